import { ctr } from '@noble/ciphers/aes.js';
import type { CtrEngine } from './stream-cipher.js';

/**
 * AES-CTR in pure JS (@noble/ciphers), for runtimes without WebCrypto's `crypto.subtle` (a browser
 * page served over plain http, some workers and embedded engines). Its counter is the whole
 * 16-byte block, incremented big-endian with carry across all of it, like OpenSSL's.
 */
export const nobleCtr: CtrEngine = async (key, iv, data) => ctr(key, iv).decrypt(data);
