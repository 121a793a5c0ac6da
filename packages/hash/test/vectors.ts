import { enc } from '@qubes-backup/testkit';
import type { HashName } from '../src/index.js';

/** [name, message, digest hex]. */
export type DigestVector = readonly [HashName, Uint8Array, string];
/** [name, RFC 4231 case, key, message, HMAC hex]. */
export type HmacVector = readonly [HashName, string, Uint8Array, Uint8Array, string];

const ABC = enc('abc');
const M448 = enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
const M896 = enc('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu');
export const MILLION_A = new Uint8Array(1_000_000).fill(0x61);
const EMPTY = new Uint8Array(0);
const RAMP_1000 = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

/**
 * SHA-256 and SHA-512: the FIPS 180-2 appendix examples (NIST "Example Algorithms" sheets):
 * "abc", the 448-bit (SHA-256) and 896-bit (SHA-512) messages and one million "a"; plus the
 * empty message. BLAKE2b-256 has no official vector: these were computed with CPython 3.11
 * `hashlib.blake2b(m, digest_size=32).hexdigest()` (its BLAKE2b-512 of "abc" equals RFC 7693
 * Appendix A, checked in the suite).
 */
export const DIGESTS: readonly DigestVector[] = [
  ['sha256', ABC, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['sha256', M448, '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['sha256', MILLION_A, 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ['sha256', EMPTY, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['sha512', ABC,
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
  ['sha512', M896,
    '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909'],
  ['sha512', MILLION_A,
    'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b'],
  ['sha512', EMPTY,
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'],
  ['blake2b-256', EMPTY, '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8'],
  ['blake2b-256', ABC, 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319'],
  ['blake2b-256', enc('The quick brown fox jumps over the lazy dog'),
    '01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9'],
  ['blake2b-256', RAMP_1000, 'c636324d47d89f2b2434dc2c994100663fbbaea880ff020fc5de89dd0f77a1ec'],
];

/** RFC 7693 Appendix A: BLAKE2b-512("abc"), to show the primitive under blake2b-256 is BLAKE2b. */
export const BLAKE2B_512_ABC =
  'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923';

// RFC 4231 inputs (case 5, a truncated tag, is left out: truncation is the caller's business).
const CASES: readonly [string, Uint8Array, Uint8Array][] = [
  ['1', new Uint8Array(20).fill(0x0b), enc('Hi There')],
  ['2', enc('Jefe'), enc('what do ya want for nothing?')],
  ['3', new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd)],
  ['4', Uint8Array.from({ length: 25 }, (_, i) => i + 1), new Uint8Array(50).fill(0xcd)],
  ['6', new Uint8Array(131).fill(0xaa), enc('Test Using Larger Than Block-Size Key - Hash Key First')],
  ['7', new Uint8Array(131).fill(0xaa), enc('This is a test using a larger than block-size key and a larger than block-size data. '
    + 'The key needs to be hashed before being used by the HMAC algorithm.')],
];

const TAGS: Readonly<Record<HashName, readonly string[]>> = {
  // RFC 4231 section 4, HMAC-SHA-256.
  sha256: [
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  ],
  // RFC 4231 section 4, HMAC-SHA-512.
  sha512: [
    '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
    'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
    '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
  ],
  // The RFC 4231 inputs under HMAC-BLAKE2b-256 (block 128). No official vectors exist; computed
  // with CPython 3.11 `hmac.new(k, m, lambda d=b'': hashlib.blake2b(d, digest_size=32))` and
  // again with a hand-written RFC 2104 HMAC over hashlib.blake2b (both agree).
  'blake2b-256': [
    'b6996ecae165cdb17a02becfbf442b5dee41c5075ded9a5763185cd68bd261d0',
    '3cf096eeeb2202a250db168c4823a44ef4618ebabb225789386fed316131e3a0',
    '0c941ae399759df449bf27599d613ade89a6e6d149bf7a457862d16df31f9ede',
    '8cdc727af11f390abd2323aac291c11054ac64352cdd9b5218afcd3e8d6fab45',
    '8211788e2a5a2113c9297ab147e9e0cf0630e83a52f1c7d46241bbe0e1fc7bdc',
    'd565312dd0f66c3eb4c0e2ab7f24acddb102b59702394d9d9e85d0bd72faa06c',
  ],
};

export const HMACS: readonly HmacVector[] = (Object.keys(TAGS) as HashName[]).flatMap((name) =>
  CASES.map(([n, key, msg], i): HmacVector => [name, n, key, msg, TAGS[name][i]!]));
