// Format 4 (Qubes R4.x) writer: scrypt-encrypted chunks bound to backup-id and member name.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './proc.mjs';
import { appendOuter, innerArchive, splitStream } from './inner.mjs';

/** scrypt enc with the passphrase on stdin (scrypt strips the newline, as from Qubes' pty). */
export function scryptEnc(plain, out, passphrase, kdf) {
  const tune = kdf.auto ? ['-t', '0.1'] : ['--logN', String(kdf.logN), '-r', String(kdf.r), '-p', String(kdf.p)];
  run('scrypt', ['enc', '-P', ...tune, plain, out], { input: `${passphrase}\n` });
}

export function scryptDec(enc, out, passphrase) {
  return run('scrypt', ['dec', '-P', enc, out], { input: `${passphrase}\n`, allowFail: true });
}

/** The header exactly as R4 writes it: version first, then the non-None keys in fixed order. */
export function headerV4({ compressed, filter, backupId }) {
  return [
    'version=4',
    'encrypted=True',
    `compressed=${compressed ? 'True' : 'False'}`,
    `compression-filter=${filter}`,
    'hmac-algorithm=scrypt',
    `backup-id=${backupId}`,
  ].map((l) => `${l}\n`).join('');
}

/**
 * Build the backup file from prepared sources.
 * items: [{ dir, base, subdir, dereference, sparseDialect?, vm, restores: [paths] }] in stored order
 *   (qubes.xml first). Returns { outer_members, archives } for the manifest.
 */
export function writeV4({ backup, work, header, passphrase, backupId, filter, chunkSize, kdf, items }) {
  const stage = path.join(work, 'stage');
  fs.mkdirSync(stage, { recursive: true });
  fs.rmSync(backup, { force: true });
  const outer = [];
  const append = (name) => {
    outer.push({ name, size: fs.statSync(path.join(stage, name)).size });
    appendOuter(backup, stage, name);
  };

  fs.writeFileSync(path.join(stage, 'backup-header'), header);
  scryptEnc(path.join(stage, 'backup-header'), path.join(stage, 'backup-header.hmac'), `backup-header!${passphrase}`, kdf);
  append('backup-header');
  append('backup-header.hmac');

  const archives = [];
  for (const item of items) {
    const stream = path.join(work, 'stream');
    const dialect = innerArchive(item, filter, stream, item.pid);
    const streamSize = fs.statSync(stream).size;
    const stored = `${item.subdir}${item.base}`;
    const chunks = splitStream(stream, path.join(stage, stored), chunkSize);
    fs.rmSync(stream);
    const names = [];
    for (const chunk of chunks) {
      const name = path.relative(stage, chunk);
      scryptEnc(chunk, `${chunk}.enc`, `${backupId}!${name}!${passphrase}`, kdf);
      fs.rmSync(chunk);
      append(`${name}.enc`);
      names.push(`${name}.enc`);
    }
    archives.push({
      vm: item.vm ?? null,
      stored_name: stored,
      prefix: item.subdir,
      inner_tar: dialect,
      stream_size: streamSize,
      chunks: names,
      restores: item.restores,
    });
  }
  return { outer_members: outer, archives };
}
