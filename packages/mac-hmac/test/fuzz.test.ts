// Property tests (fast-check): the `.hmac` text parser on random and mutated files, and the Macs
// on mutated tags. Any input gives a value or a typed QubesBackupError; the text every OpenSSL
// version prints parses back to the digest.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mutate, mutationOps } from '@qubes-backup/testkit';
import { createHmac } from 'node:crypto';
import { isQubesBackupError, once } from '@qubes-backup/core';
import { createHmacMac, MAX_HMAC_FILE_SIZE, parseHmacTag } from '@qubes-backup/mac-hmac';

const RUNS = { numRuns: 2000 };
const enc = new TextEncoder();
const PASS = enc.encode('qubes');

const mutations = mutationOps(5);

function parseOrTyped(b: Uint8Array): string | undefined {
  try {
    return parseHmacTag(b);
  } catch (e) {
    if (!isQubesBackupError(e)) throw e;
    expect(e.message).not.toMatch(/[\r\n]/);
    return undefined;
  }
}

const DIGESTS = [['sha512', 'SHA2-512'], ['sha256', 'SHA2-256'], ['sha1', 'SHA1']] as const;
const DATA = enc.encode('version=3\nhmac-algorithm=SHA512\n');
const tagText = (digest: string, label: string, style: number) => {
  const hex = createHmac(digest, PASS).update(DATA).digest('hex');
  return [`(stdin)= ${hex}\n`, `${label}(stdin)= ${hex}\n`, `HMAC-${label}(stdin)= ${hex}\n`, `HMAC-${label}(/tmp/x)= ${hex}\r\n`][style]!;
};

describe('parseHmacTag under fuzzing', () => {
  test('random bytes (up to past the size limit)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { parseOrTyped(b); }), RUNS);
    expect(parseOrTyped(new Uint8Array(MAX_HMAC_FILE_SIZE + 1).fill(0x3d))).toBeUndefined();
  });

  test('every OpenSSL output style parses back to the digest', () => {
    fc.assert(fc.property(fc.nat(DIGESTS.length - 1), fc.nat(3), (d, style) => {
      const [digest, label] = DIGESTS[d]!;
      expect(parseHmacTag(enc.encode(tagText(digest, label, style)))).toBe(createHmac(digest, PASS).update(DATA).digest('hex'));
    }), { numRuns: 200 });
  });

  test('mutated tags parse typed, and a Mac never accepts a tag that changed the digest', async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(fc.nat(DIGESTS.length - 1), fc.nat(3), mutations, async (d, style, ops) => {
      const [digest, label] = DIGESTS[d]!;
      const good = createHmac(digest, PASS).update(DATA).digest('hex');
      const tag = mutate(enc.encode(tagText(digest, label, style)), ops, 16);
      const parsed = parseOrTyped(tag);
      let accepted = false;
      try {
        await createHmacMac({ name: digest }).verify(once(DATA), tag, PASS);
        accepted = true;
      } catch (e) {
        if (!isQubesBackupError(e)) throw e;
      }
      seen[accepted ? 'accepted' : 'refused']++;
      if (accepted) expect(parsed).toBe(good);
    }), RUNS);
    // Both branches ran: some mutations left the digest intact (accepted), most broke it.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(seen.accepted);
  });
});
