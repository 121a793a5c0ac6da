// This package's test helpers: its fixtures (test-fixtures/v4-*) and whole-member tampering of
// their outer tar. scrypt chunks cannot be changed in place without breaking their MAC, so these
// tests drop, duplicate, swap or rename whole members, or add chunks forged with the passphrase.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatV4 } from '@qubes-backup/format-v4';
import { OURS, readOuter, registryWith, writeOuter, type OuterMember } from '@qubes-backup/testkit';

export const registry = registryWith(formatV4);
export const fixturePath = (name: string): string => join(OURS, name, 'backup.bin');
export const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));
/** The backup-id of every committed v4 fixture (and of the crafted pieces in test-fixtures/adversarial). */
export const BACKUP_ID = '20240612T101500-4242';

/** A fixture's outer members, changed by `edit`, written back as an outer tar. */
export async function tampered(name: string, edit: (ms: OuterMember[]) => OuterMember[] | void): Promise<Uint8Array> {
  const ms = await readOuter(registry, fixtureBytes(name));
  return writeOuter(edit(ms) ?? ms);
}

/** The member named `name` (throws when absent, so a renamed fixture cannot make a test vacuous). */
export function pick(ms: readonly OuterMember[], name: string): OuterMember {
  const m = ms.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name} in the fixture (have: ${ms.map((x) => x.name).join(', ')})`);
  return m;
}

/** Without the members named. */
export const without = (ms: readonly OuterMember[], ...names: string[]): OuterMember[] => {
  for (const n of names) pick(ms, n);
  return ms.filter((m) => !names.includes(m.name));
};

/** With `extra` inserted right after the member named `after`. */
export function insertAfter(ms: readonly OuterMember[], after: string, ...extra: OuterMember[]): OuterMember[] {
  const i = ms.indexOf(pick(ms, after));
  return [...ms.slice(0, i + 1), ...extra, ...ms.slice(i + 1)];
}

/** With the positions of two members exchanged (names and contents move together). */
export function swap(ms: readonly OuterMember[], a: string, b: string): OuterMember[] {
  const out = [...ms];
  const i = out.indexOf(pick(ms, a));
  const j = out.indexOf(pick(ms, b));
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
