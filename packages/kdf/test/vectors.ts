import { enc } from '@qubes-backup/testkit';
import type { KdfName } from '../src/index.js';

export interface Vector {
  readonly name: KdfName;
  readonly source: string;
  readonly secret: Uint8Array;
  readonly salt: Uint8Array;
  readonly iterations?: number;
  readonly info?: Uint8Array;
  readonly length: number;
  readonly hex: string;
}

const range = (a: number, b: number): Uint8Array => Uint8Array.from({ length: b - a }, (_, i) => a + i);
// RFC 6070's inputs (it gives PBKDF2-HMAC-SHA1 outputs only); its 16 777 216-iteration case is left out.
const RFC6070: readonly [string, Uint8Array, Uint8Array, number][] = [
  ['password/salt', enc('password'), enc('salt'), 1],
  ['password/salt', enc('password'), enc('salt'), 2],
  ['password/salt', enc('password'), enc('salt'), 4096],
  ['long', enc('passwordPASSWORDpassword'), enc('saltSALTsaltSALTsaltSALTsaltSALTsalt'), 4096],
  ['NUL', enc('pass\0word'), enc('sa\0lt'), 4096],
];
const PY = 'RFC 6070 inputs, computed with CPython 3.11 hashlib.pbkdf2_hmac';

export const PBKDF2: readonly Vector[] = [
  // RFC 7914 (scrypt) section 11 gives PBKDF2-HMAC-SHA256 vectors of its own.
  { name: 'pbkdf2-sha256', source: 'RFC 7914 §11 #1', secret: enc('passwd'), salt: enc('salt'), iterations: 1, length: 64,
    hex: '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783' },
  { name: 'pbkdf2-sha256', source: 'RFC 7914 §11 #2', secret: enc('Password'), salt: enc('NaCl'), iterations: 80000, length: 64,
    hex: '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d' },
  ...([
    ['120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b', 32],
    ['ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43', 32],
    ['c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a', 32],
    ['348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9', 40],
    ['89b69d0516f829893c696226650a8687', 16],
  ] as const).map(([hex, length], i): Vector => {
    const [what, secret, salt, iterations] = RFC6070[i]!;
    return { name: 'pbkdf2-sha256', source: `${PY}, ${what}`, secret, salt, iterations, length, hex };
  }),
  ...([
    ['867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce', 64],
    ['e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e', 64],
    ['d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5', 64],
    ['8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8', 64],
    ['9d9e9c4cd21fe4be24d5b8244c759665', 16],
  ] as const).map(([hex, length], i): Vector => {
    const [what, secret, salt, iterations] = RFC6070[i]!;
    return { name: 'pbkdf2-sha512', source: `${PY}, ${what}`, secret, salt, iterations, length, hex };
  }),
];

// RFC 5869 Appendix A, test cases 1-3 (SHA-256): basic, long inputs, empty salt and info.
const HKDF_INPUTS: readonly [string, Uint8Array, Uint8Array, Uint8Array, number][] = [
  ['1', new Uint8Array(22).fill(0x0b), range(0x00, 0x0d), range(0xf0, 0xfa), 42],
  ['2', range(0x00, 0x50), range(0x60, 0xb0), range(0xb0, 0x100), 82],
  ['3', new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42],
];

const HKDF_OKM: Readonly<Record<'hkdf-sha256' | 'hkdf-sha512', readonly string[]>> = {
  'hkdf-sha256': [
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  ],
  // RFC 5869 has no SHA-512 cases: the same inputs, computed with Python `cryptography` 48 HKDF
  // and again with an RFC 5869 extract+expand written on CPython's hashlib/hmac (both agree).
  'hkdf-sha512': [
    '832390086cda71fb47625bb5ceb168e4c8e26a1a16ed34d9fc7fe92c1481579338da362cb8d9f925d7cb',
    'ce6c97192805b346e6161e821ed165673b84f400a2b514b2fe23d84cd189ddf1b695b48cbd1c8388441137b3ce28f16aa64ba33ba466b24df6cfcb021ecff235f6a2056ce3af1de44d572097a8505d9e7a93',
    'f5fa02b18298a72a8c23898a8703472c6eb179dc204c03425c970e3b164bf90fff22d04836d0e2343bac',
  ],
};

export const HKDF: readonly Vector[] = (['hkdf-sha256', 'hkdf-sha512'] as const).flatMap((name) =>
  HKDF_INPUTS.map(([n, secret, salt, info, length], i): Vector => ({
    name, source: name === 'hkdf-sha256' ? `RFC 5869 A.${n}` : `RFC 5869 A.${n} inputs, Python-computed`,
    secret, salt, info, length, hex: HKDF_OKM[name][i]!,
  })));

