// Hostile backups an attacker who knows the passphrase can make: every piece here is authentic
// (scrypt enc / openssl enc + dgst with the real passphrase), so only the restore's own checks can
// stop it. Each case replaces some outer members of a valid base backup; the pieces are built
// once with the real tools (make-adversarial.mjs --crafted) and committed, and spliced in at test time.
import { writeTar, paxRecords, concat } from './tar.mjs';

const enc = new TextEncoder();
const MiB = 1 << 20;

/** The bases: what the pieces are bound to (passphrase, backup-id, algorithms, hidden VM names). */
export const BASES = {
  v4: {
    format: 'v4', fixture: 'test-fixtures/v4-sample/backup.bin', passphrase: 'qubes', backupId: '20240612T101500-4242',
    vmDir: 'vm5', dom0: 'dom0-home/user', header: (lines) => lines.join('\n') + '\n',
    stdHeader: ['version=4', 'encrypted=True', 'compressed=True', 'compression-filter=gzip', 'hmac-algorithm=scrypt', 'backup-id=20240612T101500-4242'],
  },
  v3: {
    format: 'v3', fixture: 'qubes/v3-encrypted-gzip/qubes-2023-11-14T221320', shared: true, passphrase: 'qubes',
    vmDir: 'vm5', dom0: 'dom0-home/user',
    stdHeader: ['version=3', 'hmac-algorithm=SHA512', 'crypto-algorithm=aes-256-cbc', 'encrypted=True', 'compressed=True', 'compression-filter=gzip'],
  },
};

const hdr = (base, edit) => {
  const lines = [...BASES[base].stdHeader];
  return enc.encode(edit(lines).join('\n') + '\n');
};
const set = (lines, key, value) => lines.map((l) => (l.startsWith(`${key}=`) ? `${key}=${value}` : l));

/** A PAX GNU.sparse 1.0 member as Qubes' tarwriter writes it: the map leads the data area. */
function paxSparse(name, realsize, map, fill = 0x41) {
  let text = `${map.length}\n`;
  for (const [o, n] of map) text += `${o}\n${n}\n`;
  const head = new Uint8Array(Math.ceil(text.length / 512) * 512);
  head.set(enc.encode(text));
  const stored = map.reduce((a, [, n]) => a + n, 0);
  const data = concat([head, new Uint8Array(stored).fill(fill)]);
  return {
    name: `${name.replace(/\/[^/]*$/, '')}/GNUSparseFile.0/${name.replace(/^.*\//, '')}`, type: 'file', data,
    pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': name, 'GNU.sparse.realsize': String(realsize) },
  };
}

const file = (name, text) => ({ name, type: 'file', data: enc.encode(text) });
const dir = (name) => ({ name, type: 'dir' });

/**
 * Each case: id, klass (the class), bases it applies to, and `pieces(base)` returning
 * { header?: bytes, qubesXml?: (xml text) => xml text, vmFile?: tar entries (the VM's private.img
 * archive), dom0?: tar entries (dom0 home archive) }, plus the expected outcome.
 * expect: { codes: [...], member: [...names the message may name] } or { ok: true }.
 */
export function craftedCases() {
  const out = [];
  const add = (c) => out.push(c);
  for (const base of ['v4', 'v3']) {
    const B = BASES[base];
    const ver = base === 'v4' ? '4' : '3';
    const H = ['backup-header', 'backup-header.hmac'];
    add({ id: `${base}-hdr-duplicate-key`, klass: 'header-duplicate-key', base,
      pieces: { header: hdr(base, (l) => [...l, 'compressed=False']) }, expect: { codes: ['E_CORRUPT'], member: H } });
    add({ id: `${base}-hdr-duplicate-version`, klass: 'header-duplicate-key', base,
      pieces: { header: hdr(base, (l) => [...l, `version=${ver === '4' ? '3' : '2'}`]) }, expect: { codes: ['E_CORRUPT'], member: H } });
    add({ id: `${base}-hdr-non-ascii`, klass: 'header-non-ascii', base,
      pieces: { header: concat([hdr(base, (l) => l), enc.encode('x-comment=caf'), new Uint8Array([0xe9]), enc.encode('\n')]) },
      expect: { codes: ['E_CORRUPT'], member: H } });
    add({ id: `${base}-hdr-underscore-value`, klass: 'header-underscore', base,
      pieces: { header: hdr(base, (l) => set(l, 'compression-filter', 'gzip_x')) }, expect: { codes: ['E_CORRUPT'], member: H } });
    add({ id: `${base}-hdr-version-5`, klass: 'header-unknown-version', base,
      pieces: { header: hdr(base, (l) => set(l, 'version', '5')) }, expect: { codes: ['E_UNSUPPORTED'], member: H } });
    add({ id: `${base}-hdr-filter-unknown`, klass: 'header-unknown-filter', base,
      pieces: { header: hdr(base, (l) => set(l, 'compression-filter', 'less')) }, expect: { codes: ['E_UNSUPPORTED'], member: H } });
    add({ id: `${base}-hdr-filter-sh`, klass: 'header-filter-sh', base,
      pieces: { header: hdr(base, (l) => set(l, 'compression-filter', 'sh')) }, expect: { codes: ['E_UNSUPPORTED'], member: H } });
    add({ id: `${base}-hdr-filter-path`, klass: 'header-filter-sh', base,
      pieces: { header: hdr(base, (l) => set(l, 'compression-filter', '/bin/sh')) }, expect: { codes: ['E_CORRUPT', 'E_UNSUPPORTED'], member: H } });
    if (base === 'v4') {
      add({ id: 'v4-hdr-missing-backup-id', klass: 'header-missing-key', base,
        pieces: { header: hdr(base, (l) => l.filter((x) => !x.startsWith('backup-id='))) }, expect: { codes: ['E_CORRUPT'], member: H } });
    }

    const xmlMember = base === 'v4' ? ['qubes.xml', 'qubes.xml.000.enc'] : ['qubes.xml', 'qubes.xml.000'];
    const bp = base === 'v4'
      ? (to) => (x) => x.replace('<feature name="backup-path">vm5/</feature>', `<feature name="backup-path">${to}</feature>`)
      : (to) => (x) => x.replace('backup_path="vm5"', `backup_path="${to}"`);
    add({ id: `${base}-xml-backup-path-dotdot`, klass: 'qubes-xml-backup-path', base,
      pieces: { qubesXml: bp('../../etc') }, expect: { codes: ['E_UNSAFE_PATH', 'E_CORRUPT'], member: xmlMember } });
    add({ id: `${base}-xml-backup-path-absolute`, klass: 'qubes-xml-backup-path', base,
      pieces: { qubesXml: bp('/etc') }, expect: { codes: ['E_UNSAFE_PATH', 'E_CORRUPT'], member: xmlMember } });
    add({ id: `${base}-xml-backup-path-vm-dotdot`, klass: 'qubes-xml-backup-path', base,
      pieces: { qubesXml: bp('vm5/../../../tmp') }, expect: { codes: ['E_UNSAFE_PATH', 'E_CORRUPT'], member: xmlMember } });

    const vm = B.vmDir;
    const d0 = B.dom0;
    const inner = (name) => ({ codes: ['E_UNSAFE_PATH'], member: [name] });
    add({ id: `${base}-inner-dotdot`, klass: 'inner-unsafe-name', base,
      pieces: { vmFile: [file('../x', 'escaped\n')] }, expect: inner('../x') });
    add({ id: `${base}-inner-absolute`, klass: 'inner-unsafe-name', base,
      pieces: { vmFile: [file('/etc/x', 'escaped\n')] }, expect: inner('/etc/x') });
    add({ id: `${base}-inner-vm-dotdot`, klass: 'inner-unsafe-name', base,
      pieces: { vmFile: [file(`${vm}/../../x`, 'escaped\n')] }, expect: inner(`${vm}/../../x`) });
    add({ id: `${base}-inner-under-archive-dotdot`, klass: 'inner-unsafe-name', base,
      pieces: { vmFile: [file(`${vm}/private.img/../../../x`, 'escaped\n')] }, expect: inner(`${vm}/private.img/../../../x`) });
    add({ id: `${base}-inner-dom0-dotdot`, klass: 'inner-unsafe-name', base,
      pieces: { dom0: [dir(`${d0}/`), file(`${d0}/../../../x`, 'escaped\n')] }, expect: inner(`${d0}/../../../x`) });
    add({ id: `${base}-inner-other-vm`, klass: 'inner-unsafe-name', base,
      pieces: { dom0: [dir(`${d0}/`), file(`${vm}/private.img`, 'not dom0\n')] }, expect: inner(`${vm}/private.img`) });
    add({ id: `${base}-symlink-then-file-through-it`, klass: 'inner-symlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/link`, type: 'symlink', linkname: '../../..' }, file(`${d0}/link/escaped.txt`, 'escaped\n')] },
      expect: inner(`${d0}/link/escaped.txt`) });
    add({ id: `${base}-symlink-absolute-then-file`, klass: 'inner-symlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/abs`, type: 'symlink', linkname: '/tmp' }, file(`${d0}/abs/qubes-adversarial-escaped.txt`, 'escaped\n')] },
      expect: inner(`${d0}/abs/qubes-adversarial-escaped.txt`) });
    add({ id: `${base}-symlink-then-same-name-file`, klass: 'inner-symlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/same`, type: 'symlink', linkname: '../../../escaped.txt' }, file(`${d0}/same`, 'escaped\n')] },
      expect: { codes: ['E_UNSAFE_PATH', 'E_EXISTS', 'E_CORRUPT'], member: [`${d0}/same`] } });
    add({ id: `${base}-hardlink-absolute`, klass: 'inner-hardlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/h`, type: 'hardlink', linkname: '/etc/passwd' }] }, expect: inner(`${d0}/h`) });
    add({ id: `${base}-hardlink-dotdot`, klass: 'inner-hardlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/h`, type: 'hardlink', linkname: `${d0}/../../../../../etc/passwd` }] }, expect: inner(`${d0}/h`) });
    add({ id: `${base}-hardlink-to-symlink`, klass: 'inner-hardlink', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/s`, type: 'symlink', linkname: '/etc/passwd' }, { name: `${d0}/h`, type: 'hardlink', linkname: `${d0}/s` }] },
      expect: inner(`${d0}/h`) });
    add({ id: `${base}-device-nodes`, klass: 'inner-device', base,
      pieces: { dom0: [dir(`${d0}/`), { name: `${d0}/null`, type: 'char', devmajor: 1, devminor: 3 }, { name: `${d0}/sda`, type: 'block', devmajor: 8, devminor: 0 }, { name: `${d0}/fifo`, type: 'fifo' }, file(`${d0}/after.txt`, 'after the devices\n')] },
      expect: { ok: true } });

    const img = `${vm}/private.img`;
    const sparse = { codes: ['E_CORRUPT', 'E_UNSUPPORTED'], member: [img, `${img}.000`, `${img}.000.enc`] };
    add({ id: `${base}-sparse-1pb`, klass: 'sparse-huge', base,
      pieces: { vmFile: [paxSparse(img, 2 ** 50, [[0, 512], [2 ** 50 - 512, 512]])] }, expect: sparse });
    add({ id: `${base}-sparse-overlap`, klass: 'sparse-overlap', base,
      pieces: { vmFile: [paxSparse(img, 8192, [[0, 1024], [512, 1024]])] }, expect: sparse });
    add({ id: `${base}-sparse-unsorted`, klass: 'sparse-overlap', base,
      pieces: { vmFile: [paxSparse(img, 8192, [[4096, 512], [0, 512]])] }, expect: sparse });
    add({ id: `${base}-sparse-beyond-size`, klass: 'sparse-overlap', base,
      pieces: { vmFile: [paxSparse(img, 4096, [[0, 512], [8192, 512]])] }, expect: sparse });
    // backup-size in qubes.xml says 4 KiB; the image inflates to 16 MiB of zeros (~16 KiB of gzip).
    const small = base === 'v4'
      ? (x) => x.replace('<feature name="backup-size">33555401</feature>', '<feature name="backup-size">4096</feature>')
      : (x) => x.replace(/(name="work"[^>]*?backup_size=")\d+"/, '$14096"');
    add({ id: `${base}-gzip-bomb`, klass: 'gzip-bomb', base,
      pieces: { qubesXml: small, vmFile: [{ name: img, type: 'file', data: new Uint8Array(16 * MiB) }] }, expect: sparse });
    add({ id: `${base}-gzip-bomb-after-end`, klass: 'gzip-bomb', base,
      pieces: { vmFile: [file(img, 'tiny\n')], vmFileTrailer: 16 * MiB }, expect: { codes: ['E_CORRUPT'], member: [img, `${img}.000`, `${img}.000.enc`], okAllowed: true } });
  }
  return out;
}

export { paxRecords };
