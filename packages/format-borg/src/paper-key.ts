import { UsageError, type Hash } from '@qubes-backup/core';

/**
 * A key typed back in from `borg key export --paper` (`crypto/keymanager.py`): an `id:` line
 * `N / <first 18 hex of the repository id> / <12 hex of sha256(blob)> - <2 hex>`, then N lines
 * `i: <hex of up to 18 bytes> - <2 hex>`, each with its own checksum (the first byte of
 * sha256(i as u16 big-endian ‖ bytes)), so a mistyped line is found by its number. Spaces anywhere
 * in a line are ignored; hex may be upper case.
 */
export function parsePaperKey(text: string, sha256: Hash): { repositoryIdPrefix: string; blob: Uint8Array } | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\s+/g, ''));
  const idAt = lines.findIndex((l) => l.toLowerCase().startsWith('id:'));
  if (idAt < 0) return undefined;
  const hex2 = (b: Uint8Array) => [...b.subarray(0, 1)].map((x) => x.toString(16).padStart(2, '0')).join('');
  const sum = (...parts: Uint8Array[]) => { const h = sha256.create(); for (const p of parts) h.update(p); return h.digest(); };

  const idLine = lines[idAt]!.slice(3).toLowerCase();
  const [data, check, ...more] = idLine.split('-');
  if (more.length || check === undefined) throw new UsageError("paper key: the id line must contain exactly one '-'");
  const fields = data!.split('/');
  if (fields.length !== 3) throw new UsageError("paper key: the id line must contain exactly two '/'");
  if (hex2(sum(new TextEncoder().encode(data))) !== check) throw new UsageError('paper key: the checksum of the id line does not match (a mistyped character?)');
  const [n, repositoryIdPrefix, overall] = fields as [string, string, string];
  const count = Number(n);
  if (!/^[0-9]{1,4}$/.test(n) || count < 1) throw new UsageError('paper key: the id line does not give the number of lines');

  const parts: Uint8Array[] = [];
  let row = idAt + 1;
  for (let i = 1; i <= count; i++) {
    while (row < lines.length && lines[row] === '') row++;
    const line = lines[row++];
    const m = line === undefined ? null : /^([0-9]+):([0-9a-fA-F]*)-([0-9a-fA-F]{2})$/.exec(line);
    if (!m) throw new UsageError(`paper key line ${i}: expected '${i}: <hex> - <checksum>'${line === undefined ? ', the key ends early' : ''}`);
    if (Number(m[1]) !== i) throw new UsageError(`paper key line ${i}: it is numbered ${m[1]}`);
    if (m[2]!.length % 2) throw new UsageError(`paper key line ${i}: an odd number of hex digits (a character missing?)`);
    const bytes = new Uint8Array(m[2]!.length / 2);
    for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(m[2]!.slice(2 * k, 2 * k + 2), 16);
    if (hex2(sum(new Uint8Array([i >> 8, i & 0xff]), bytes)) !== m[3]!.toLowerCase()) {
      throw new UsageError(`paper key line ${i}: its checksum does not match (a mistyped character on that line?)`);
    }
    parts.push(bytes);
  }
  const blob = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { blob.set(p, o); o += p.length; }
  const whole = [...sum(blob).subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join('');
  if (whole !== overall) throw new UsageError('paper key: the overall checksum does not match (lines typed in the wrong order?)');
  return { repositoryIdPrefix, blob };
}
