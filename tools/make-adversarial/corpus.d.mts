// Types for corpus.mjs (used by packages/restore/test/adversarial.test.ts).
export interface CaseExpect {
  ok?: boolean;
  codes?: string[];
  /** Names the error may carry; null when the damage leaves none (an offset is enough). */
  member?: string[] | null;
  okAllowed?: boolean;
  /** VM folders a cut emptied without any error being due (a silent loss if it restores). */
  lostVmData?: string[];
  passphrase?: string;
}
export interface AdversarialCase {
  id: string;
  klass: string;
  format: string;
  fixture: string;
  passphrase: string;
  crafted?: boolean;
  /** The pristine backup this case was derived from. */
  reference?: string;
  bytes(): Uint8Array;
  expect: CaseExpect;
}
export const REPO: string;
export const CRAFTED_DIR: string;
export function sharedFixtures(): string | undefined;
export function buildCorpus(): AdversarialCase[];
export function craftedCorpus(): AdversarialCase[];
