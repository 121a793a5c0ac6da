#!/usr/bin/env node
// Writes Wyng archives (format 3), plain or encrypted, from images given in memory, laid out as Wyng 0.8
// writes them (`src/wyng` of tasket/wyng-backup: save_ini, save_volinfo, save_info, send): for
// tests of what the shared fixtures do not cover (other chunk sizes and compressions, many
// sessions, volumes that grow and shrink) and for the README's committed example archive.
// Usage: node make-archive.mjs DIR   writes the README's demo archive into DIR.
import { execFileSync } from 'node:child_process';
import { createHmac, hkdfSync, scryptSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20, xchacha20poly1305 } from '@noble/ciphers/chacha.js';

const COMPRESS = {
  zlib: (b, level) => deflateSync(b, { level }),
  bz2: (b, level) => execFileSync('bzip2', [`-${level}`, '-c'], { input: b, maxBuffer: 1 << 30 }),
  zstd: (b, level) => execFileSync('zstd', [`-${level}`, '-q', '-c'], { input: b, maxBuffer: 1 << 30 }),
};
const b64 = (b) => Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const hex16 = (n) => n.toString(16).padStart(16, '0');

/**
 * Writes an archive. `spec`: { chunkSize, compression ('zlib' | 'bz2' | 'zstd'), level, hashtype
 * ('blake2b' | 'sha256' | 'hmac-sha256'), encryption?: { passphrase, ci }, volumes: [{ vid, name, sessions: [{ id: 'YYYYMMDD-HHMMSS', image }] }] }.
 * Each session stores the chunks that differ from the previous session's image (all of them in
 * the first), zero chunks as `0`, and records the merged manifest's CRC-32 (`mfcs`).
 */
const derived = new Map();
/** scrypt as Wyng derives keys (N = 2^19, r = 8), remembered: a second or two each. */
function wyngKey(passphrase, salt) {
  const id = `${passphrase}/${Buffer.from(salt).toString('hex')}`;
  if (!derived.has(id)) derived.set(id, new Uint8Array(scryptSync(passphrase, salt, 32, { N: 2 ** 19, r: 8, p: 1, maxmem: 640 * 1024 * 1024 })));
  return derived.get(id);
}

/**
 * An encrypted archive's keys and sealing (`encryption`: { passphrase, ci: '30' | '32' | '34' | '35' }):
 * archive.salt's four slots (fixed salts, so every archive made here shares its keys) and its key
 * check, the metadata key (slot 1) sealing metadata as nonce ‖ tag ‖ XChaCha20-Poly1305, the data
 * key (slot 0) XChaCha20 for chunks, and the HMAC-SHA256 subkey (slot 3, HKDF-SHA512) but in mode 30.
 */
function encryption(dir, { passphrase, ci }) {
  const short = ci === '30';
  const salt = (slot) => Uint8Array.from({ length: 64 }, (_, i) => (slot * 64 + i * 7 + 1) & 0xff);
  const salts = new Uint8Array(4 * 80);
  for (let slot = 0; slot < 4; slot++) salts.set(salt(slot), slot * 80 + 10);
  const meta = wyngKey(passphrase, short ? salt(1).subarray(0, 32) : salt(1));
  const data = wyngKey(passphrase, short ? salt(0).subarray(0, 32) : salt(0));
  const mhash = short ? undefined : new Uint8Array(hkdfSync('sha512', data, salt(3), 'Wyng-Manifest-Hash0', 128)).slice(64);
  let counter = 0;
  const nonce = () => { const n = new Uint8Array(24); new DataView(n.buffer).setUint32(20, ++counter); return n; };
  const seal = (b) => {
    const n = nonce();
    const sealed = xchacha20poly1305(meta, n).encrypt(b);
    return Buffer.concat([n, sealed.subarray(sealed.length - 16), sealed.subarray(0, sealed.length - 16)]);
  };
  const check = seal(blake2b(Buffer.concat([0, 1, 2, 3].map(salt)), { dkLen: 64 }));
  writeFileSync(join(dir, 'archive.salt'), Buffer.concat([salts, check]));
  return {
    seal,
    encryptChunk: (b) => { const n = nonce(); return Buffer.concat([n, xchacha20(data, n, b)]); },
    dataHash: mhash ? (b) => b64(createHmac('sha256', mhash).update(b).digest()) : undefined,
  };
}

export function writeArchive(dir, spec) {
  const { chunkSize, compression = 'zlib', hashtype = 'blake2b' } = spec;
  const level = spec.level ?? (compression === 'zstd' ? 3 : 6);
  const compress = (b) => new Uint8Array(COMPRESS[compression](b, level));
  mkdirSync(dir, { recursive: true });
  const enc = spec.encryption ? encryption(dir, spec.encryption) : undefined;
  const ci = spec.encryption?.ci ?? '00';
  // Metadata hashes: BLAKE2b-256 when data hashes are HMAC-SHA256, else the hashtype's own.
  const hash = (b) => b64(hashtype === 'sha256' ? sha256(b) : blake2b(b, { dkLen: 32 }));
  const dataHash = enc?.dataHash ?? hash;
  const seal = enc ? enc.seal : (b) => b;
  const volumes = [];
  for (const vol of spec.volumes) {
    const vdir = join(dir, vol.vid);
    mkdirSync(vdir, { recursive: true });
    let previous;
    const merged = new Map();
    const refs = [];
    vol.sessions.forEach((s, sequence) => {
      const sdir = join(vdir, `S_${s.id}`);
      mkdirSync(sdir, { recursive: true });
      const lines = [];
      for (let addr = 0; addr < s.image.length; addr += chunkSize) {
        const chunk = s.image.subarray(addr, addr + chunkSize);
        const before = previous && addr < previous.image.length ? previous.image.subarray(addr, addr + chunkSize) : undefined;
        if (before && Buffer.compare(before, chunk) === 0 && addr + chunkSize <= previous.image.length) continue;
        let h = '0';
        if (chunk.some((x) => x !== 0)) {
          const data = compress(chunk);
          h = dataHash(data);
          mkdirSync(join(sdir, hex16(addr).slice(0, 9)), { recursive: true });
          writeFileSync(join(sdir, hex16(addr).slice(0, 9), `x${hex16(addr)}`), enc ? enc.encryptChunk(data) : data);
        }
        lines.push(`${h} x${hex16(addr)}`);
        merged.set(addr, h);
      }
      for (const a of [...merged.keys()]) if (a >= s.image.length) merged.delete(a);
      const mtext = [...merged].sort((a, b) => a[0] - b[0]).map(([a, h]) => `${h} x${hex16(a)}\n`).join('');
      let manifesthash = '0';
      if (lines.length) {
        const mz = compress(Buffer.from(lines.map((l) => `${l}\n`).join('')));
        manifesthash = hash(mz);
        writeFileSync(join(sdir, 'manifest.z'), seal(mz));
      }
      const info = [
        `localtime = ${Date.parse(`${s.id.slice(0, 4)}-${s.id.slice(4, 6)}-${s.id.slice(6, 8)}T${s.id.slice(9, 11)}:${s.id.slice(11, 13)}:${s.id.slice(13, 15)}Z`) * 1e6}`,
        `previous = ${previous ? `S_${previous.id}` : 'None'}`, 'permissions = 420:root:root', `manifesthash = ${manifesthash}`,
        `volsize = ${s.image.length}`, `sequence = ${sequence}`, `mfcs = ${crc32(Buffer.from(mtext))}`,
        ...(s.tags ?? []).map((t) => `tag = ${t}`),
      ].join('\n') + '\n';
      const iz = compress(Buffer.from(info));
      writeFileSync(join(sdir, 'info'), seal(iz));
      refs.push(`S_${s.id} = ${hash(iz)}`);
      previous = s;
    });
    const vz = compress(Buffer.from(`name = ${vol.name}\ndesc = \n${refs.join('\n')}\n`));
    writeFileSync(join(vdir, 'volinfo'), seal(vz));
    writeFileSync(join(vdir, 'sessions'), JSON.stringify(vol.sessions.map((s) => `S_${s.id}`)));
    volumes.push(`${vol.vid} = ${hash(vz)}`);
  }
  const ini = `[var]\nupdated_at = 1796423492.301839\nuuid = 3859de45-bde6-4de0-b587-dc322d8373b5\nformat_ver = 3\n` +
    `chunksize = ${chunkSize}\ncompression = ${compression}\ncompr_level = ${level}\nhashtype = ${hashtype}\nci_mode = ${ci}\n\n` +
    `[volumes]\n${volumes.join('\n')}\n\n[in_process]\n\n`;
  writeFileSync(join(dir, 'archive.ini'), Buffer.concat([Buffer.from(`[WYNG03]\nci = ${ci}\n`), seal(gzipSync(ini, { level: 4 }))]));
}

/** The README's demo: the qube `demo`'s 1 MiB private volume in 64 KiB chunks, two sessions. */
export function demoImages() {
  const first = new Uint8Array(1 << 20);
  first.set(Buffer.from('Wyng demo: the first session\n'), 0);
  const second = first.slice();
  second.set(Buffer.from('My documents, as of the second session\n'), 0x80000);
  return [{ id: '20260101-120000', image: first }, { id: '20260102-120000', image: second }];
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node make-archive.mjs DIR');
  writeArchive(dir, { chunkSize: 1 << 16, compression: 'zlib', volumes: [{ vid: 'Vol_de0001', name: 'vm-demo-private', sessions: demoImages() }] });
}
