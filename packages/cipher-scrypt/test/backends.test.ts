import { expect, test } from '@jest/globals';
import { consume, randomBytes, sha256hex } from '@qubes-backup/testkit';
import { scryptCipherNode, scryptMacNode } from '../src/node.js';
import { scryptCipherPortable, scryptDescriptors, scryptMacPortable, scryptPrimitivesPortable, webCryptoPrimitives } from '../src/index.js';
import { describeBackend } from './backend-suite.js';
import { PASS, encryptUnit, randomSplits } from './helpers.js';

describeBackend({ cipher: scryptCipherNode, mac: scryptMacNode });
describeBackend({ cipher: scryptCipherPortable, mac: scryptMacPortable });

// The one-shot primitives a browser host gives (WebCrypto; Node has the same API): the same suite,
// so the whole-unit path checks tags and decrypts exactly as the incremental one.
describeBackend(scryptDescriptors({ ...scryptPrimitivesPortable, ...webCryptoPrimitives(globalThis.crypto.subtle) }));

test('one-shot WebCrypto: a unit of several 8 MiB slices decrypts whole, the counter carried across slices', async () => {
  const { cipher } = scryptDescriptors({ ...scryptPrimitivesPortable, ...webCryptoPrimitives(globalThis.crypto.subtle) });
  const plain = randomBytes(17 * 2 ** 20 + 12345, 11);
  const { bytes, maxPiece } = await consume(cipher.create().decrypt(randomSplits(encryptUnit(plain, PASS), 5, 1 << 20), PASS));
  expect(sha256hex(bytes)).toBe(sha256hex(plain));
  expect(maxPiece).toBeLessThanOrEqual(1 << 20);
}, 30_000);
