import { describe, expect, test } from '@jest/globals';
import { createHmac, webcrypto } from 'node:crypto';
import { webCryptoHmac } from '../src/webcrypto.js';

describe('WebCrypto HMAC', () => {
  test('two keys used in turn (a Borg chunk\'s MAC key, then its id key) are imported once each', async () => {
    let imports = 0;
    const subtle = webcrypto.subtle as unknown as SubtleCrypto;
    const counting = {
      importKey: (...a: Parameters<SubtleCrypto['importKey']>) => { imports++; return subtle.importKey(...a); },
      sign: (...a: Parameters<SubtleCrypto['sign']>) => subtle.sign(...a),
    } as unknown as SubtleCrypto;
    const hmacOf = webCryptoHmac('sha256', { crypto: { subtle: counting } })!;
    const keys = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const data = new Uint8Array(40_000).fill(7);
    for (let i = 0; i < 10; i++) {
      const key = keys[i % 2]!;
      expect(Buffer.from(await hmacOf(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
    }
    expect(imports).toBe(2);
  });
});
