import { describe, expect, test } from '@jest/globals';
import { Registry } from '@qubes-backup/core';
import { aesCtrPortable } from '../src/index.js';
import { aesCtrNode } from '../src/node.js';
import { nobleCtr } from '../src/noble.js';
import { portableCtrEngine } from '../src/portable.js';
import { describeBackend } from './backend-suite.js';
import { aesCtrNoble } from './noble-backend.js';

describeBackend(aesCtrNode);
describeBackend(aesCtrPortable, 'portable, WebCrypto');
describeBackend(aesCtrNoble, 'portable, @noble/ciphers fallback');

describe('backend choice', () => {
  test('portable uses WebCrypto where crypto.subtle exists, @noble/ciphers where it does not', () => {
    expect(globalThis.crypto?.subtle).toBeDefined();
    expect(portableCtrEngine()).not.toBe(nobleCtr);
    expect(portableCtrEngine({})).toBe(nobleCtr);
    expect(portableCtrEngine({ crypto: {} })).toBe(nobleCtr); // an http page: crypto without subtle
  });

  test('the registry prefers node where it runs, gives portable on request', () => {
    const r = new Registry({ preferred: 'node' }).use(aesCtrNode, aesCtrPortable);
    expect(r.get('stream-cipher', 'aes-256-ctr').info.backend).toBe('node');
    expect(r.get('stream-cipher', 'AES-128-CTR', { backend: 'portable' }).info).toEqual({ kind: 'stream-cipher', name: 'aes-128-ctr', backend: 'portable' });
    expect(() => r.get('stream-cipher', 'aes-256-cbc')).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });
});
