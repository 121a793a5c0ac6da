#!/usr/bin/env node
// Writes unencrypted Wyng archives (format 3) from images given in memory, laid out as Wyng 0.8
// writes them (`src/wyng` of tasket/wyng-backup: save_ini, save_volinfo, save_info, send): for
// tests of what the shared fixtures do not cover (other chunk sizes and compressions, many
// sessions, volumes that grow and shrink) and for the README's committed example archive.
// Usage: node make-archive.mjs DIR   writes the README's demo archive into DIR.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';

const COMPRESS = {
  zlib: (b, level) => deflateSync(b, { level }),
  bz2: (b, level) => execFileSync('bzip2', [`-${level}`, '-c'], { input: b, maxBuffer: 1 << 30 }),
  zstd: (b, level) => execFileSync('zstd', [`-${level}`, '-q', '-c'], { input: b, maxBuffer: 1 << 30 }),
};
const b64 = (b) => Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const hex16 = (n) => n.toString(16).padStart(16, '0');

/**
 * Writes an archive. `spec`: { chunkSize, compression ('zlib' | 'bz2' | 'zstd'), level, hashtype
 * ('blake2b' | 'sha256'), volumes: [{ vid, name, sessions: [{ id: 'YYYYMMDD-HHMMSS', image }] }] }.
 * Each session stores the chunks that differ from the previous session's image (all of them in
 * the first), zero chunks as `0`, and records the merged manifest's CRC-32 (`mfcs`).
 */
export function writeArchive(dir, spec) {
  const { chunkSize, compression = 'zlib', hashtype = 'blake2b' } = spec;
  const level = spec.level ?? (compression === 'zstd' ? 3 : 6);
  const compress = (b) => new Uint8Array(COMPRESS[compression](b, level));
  const hash = (b) => b64(hashtype === 'sha256' ? sha256(b) : blake2b(b, { dkLen: 32 }));
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
          h = hash(data);
          mkdirSync(join(sdir, hex16(addr).slice(0, 9)), { recursive: true });
          writeFileSync(join(sdir, hex16(addr).slice(0, 9), `x${hex16(addr)}`), data);
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
        writeFileSync(join(sdir, 'manifest.z'), mz);
      }
      const info = [
        `localtime = ${Date.parse(`${s.id.slice(0, 4)}-${s.id.slice(4, 6)}-${s.id.slice(6, 8)}T${s.id.slice(9, 11)}:${s.id.slice(11, 13)}:${s.id.slice(13, 15)}Z`) * 1e6}`,
        `previous = ${previous ? `S_${previous.id}` : 'None'}`, 'permissions = 420:root:root', `manifesthash = ${manifesthash}`,
        `volsize = ${s.image.length}`, `sequence = ${sequence}`, `mfcs = ${crc32(Buffer.from(mtext))}`,
        ...(s.tags ?? []).map((t) => `tag = ${t}`),
      ].join('\n') + '\n';
      const iz = compress(Buffer.from(info));
      writeFileSync(join(sdir, 'info'), iz);
      refs.push(`S_${s.id} = ${hash(iz)}`);
      previous = s;
    });
    const vz = compress(Buffer.from(`name = ${vol.name}\ndesc = \n${refs.join('\n')}\n`));
    writeFileSync(join(vdir, 'volinfo'), vz);
    writeFileSync(join(vdir, 'sessions'), JSON.stringify(vol.sessions.map((s) => `S_${s.id}`)));
    volumes.push(`${vol.vid} = ${hash(vz)}`);
  }
  const ini = `[var]\nupdated_at = 1796423492.301839\nuuid = 3859de45-bde6-4de0-b587-dc322d8373b5\nformat_ver = 3\n` +
    `chunksize = ${chunkSize}\ncompression = ${compression}\ncompr_level = ${level}\nhashtype = ${hashtype}\nci_mode = 00\n\n` +
    `[volumes]\n${volumes.join('\n')}\n\n[in_process]\n\n`;
  writeFileSync(join(dir, 'archive.ini'), Buffer.concat([Buffer.from('[WYNG03]\nci = 00\n'), gzipSync(ini, { level: 4 })]));
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
