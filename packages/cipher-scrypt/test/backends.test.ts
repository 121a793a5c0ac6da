import { scryptCipherNode, scryptMacNode } from '../src/node.js';
import { scryptCipherPortable, scryptDescriptors, scryptMacPortable, scryptPrimitivesPortable } from '../src/index.js';
import { describeBackend } from './backend-suite.js';

describeBackend({ cipher: scryptCipherNode, mac: scryptMacNode });
describeBackend({ cipher: scryptCipherPortable, mac: scryptMacPortable });

// The one-shot primitives a browser host gives (WebCrypto; Node has the same API): the same suite,
// so the whole-unit path checks tags and decrypts exactly as the incremental one.
const subtle = globalThis.crypto.subtle;
describeBackend(scryptDescriptors({
  ...scryptPrimitivesPortable,
  async hmacSha256Of(key, data) {
    const k = await subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', k, data as Uint8Array<ArrayBuffer>));
  },
  async aes256CtrOf(key, data) {
    const k = await subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-CTR', false, ['decrypt']);
    return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 128 }, k, data as Uint8Array<ArrayBuffer>));
  },
}));
