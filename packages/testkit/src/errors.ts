import { expect } from '@jest/globals';

/** What the typed errors of @qubes-backup/core carry, as tests read it. */
export type TypedError = Error & { name: string; code: string; member?: string };

/** The rejection of `p`, or undefined when it resolves. */
export function caught(p: Promise<unknown>): Promise<TypedError | undefined> {
  return p.then(() => undefined, (e: unknown) => e as TypedError);
}

/** The rejection of `p`; throws when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<TypedError> {
  const e = await caught(p);
  if (e === undefined) throw new Error('expected a failure');
  return e;
}

/** Asserts that `p` rejects with an Error of `code` whose message matches every pattern. */
export async function expectCode(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<TypedError> {
  const e = await caught(p);
  expect(e).toBeInstanceOf(Error);
  expect(e!.code).toBe(code);
  for (const re of patterns) expect(e!.message).toMatch(re);
  return e!;
}
