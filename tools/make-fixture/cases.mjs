// The fixture cases. Each is a function of nothing returning plain data: the qubes (all of them,
// for qubes.xml; `files` only on the ones in the backup), dom0's home tree and the backup options.
// Add a case here; the builder (lib/build.mjs) does the rest.
import { Prng } from './lib/prng.mjs';
import { DEFAULT_FIREWALL, appmenus, firewallXml } from './lib/qubes-xml.mjs';
import { GPT_TYPES } from './lib/gpt.mjs';

const MiB = 1024 * 1024;
export const QUBES_CHUNK_SIZE = 100 * MiB;
const T0 = 1718187300; // 2024-06-12T10:15:00Z: every mtime is T0 plus a small offset

/** Deterministic UUID (version-4 layout) from a seed string. */
export function uuidFrom(seed) {
  const b = new Prng(`uuid:${seed}`).bytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const userOwned = (p) => (p === 'home/user' || p.startsWith('home/user/') ? [1000, 1000] : [0, 0]);

/** The skeleton every private volume has (mounted at /rw in the qube). */
function privateSkeleton(vm, t = T0) {
  return [
    { path: 'home/user', type: 'dir', mode: 0o700, mtime: t + 60 },
    { path: 'home/user/.bashrc', type: 'file', data: Buffer.from(`# .bashrc of ${vm}\n[ -f /etc/bashrc ] && . /etc/bashrc\nexport EDITOR=vi\n`), mtime: t + 1 },
    { path: 'home/user/.config', type: 'dir', mode: 0o700, mtime: t + 2 },
    { path: 'config/rc.local', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\n# This script runs at the end of boot in the qube.\n'), mtime: t + 3 },
    { path: 'usrlocal', type: 'dir', mtime: t + 4 },
  ];
}

function privateImage(vm, sizeBytes, tree, extra = {}) {
  return {
    name: 'private.img',
    image: { layout: 'ext4', sizeBytes, tree, owner: userOwned, uuid: uuidFrom(`${vm}/private`), label: '', mtime: T0, ...extra },
  };
}

/** dom0's home: dotfiles, a document, an empty dir and a relative symlink. */
function dom0Home(caseName) {
  return [
    { path: 'user', type: 'dir', mode: 0o700, mtime: T0 + 100 },
    { path: 'user/.bash_history', type: 'file', mode: 0o600, data: Buffer.from('qvm-ls\nqvm-backup --help\n'), mtime: T0 + 10 },
    { path: 'user/.config/qubes/backup.conf', type: 'file', data: Buffer.from('# qvm-backup profile\ninclude: work\n'), mtime: T0 + 11 },
    { path: 'user/Documents/dom0-notes.txt', type: 'file', data: Buffer.from(`Notes kept in dom0 (${caseName}).\n`), mtime: T0 + 12 },
    { path: 'user/Desktop', type: 'dir', mtime: T0 + 13 },
    { path: 'user/notes', type: 'symlink', target: 'Documents/dom0-notes.txt', mtime: T0 + 14 },
  ];
}

/** The qubes every case's qubes.xml describes but no case backs up. */
function systemQubes() {
  return [
    { name: 'dom0', klass: 'AdminVM', qid: 0, label: 'black' },
    { name: 'fedora-38', klass: 'TemplateVM', qid: 1, label: 'black', netvm: null, features: { gui: '1', qrexec: '1', 'updates-available': '' } },
    { name: 'sys-net', klass: 'AppVM', qid: 2, label: 'red', template: 'fedora-38', netvm: null, props: { provides_network: 'True', virt_mode: 'hvm', memory: '425' }, pci: ['00_19.0'] },
    { name: 'sys-firewall', klass: 'AppVM', qid: 3, label: 'green', template: 'fedora-38', netvm: 'sys-net', props: { provides_network: 'True' } },
    { name: 'fedora-38-dvm', klass: 'AppVM', qid: 4, label: 'red', template: 'fedora-38', props: { template_for_dispvms: 'True' }, features: { 'appmenus-dispvm': '1', internal: '' } },
    { name: 'untrusted', klass: 'AppVM', qid: 9, label: 'red', template: 'fedora-38', tags: ['created-by-dom0'] },
  ];
}

const globals = (pool) => ({
  clockvm: 'sys-net',
  default_dispvm: 'fedora-38-dvm',
  default_kernel: '6.6.48-1.fc37',
  default_netvm: 'sys-firewall',
  default_pool: pool,
  default_template: 'fedora-38',
  updatevm: 'sys-firewall',
});

const common = (name, pool) => ({
  name,
  version: 4,
  passphrase: 'qubes',
  chunkSize: QUBES_CHUNK_SIZE,
  kdf: { logN: 14, r: 8, p: 1 },
  pool,
  globals: globals(pool),
  mtime: T0,
  dom0: { user: 'user', tree: dom0Home(name) },
});

// ---------------------------------------------------------------------------------------------

function sample() {
  const tree = [
    ...privateSkeleton('work'),
    { path: 'home/user/Documents/recovered.txt', type: 'file', data: Buffer.from('Hello from the work qube! If you can read this, your Qubes backup was restored without Qubes.\n'), mtime: T0 + 20 },
    { path: 'home/user/Pictures', type: 'dir', mtime: T0 + 21 },
  ];
  return {
    ...common('v4-sample', 'vm-pool'),
    description: 'The README quick-start sample: one AppVM `work` and dom0 home, gzip, PAX sparse images (LVM default).',
    exercises: ['R4 defaults: gzip, 100 MiB chunks, one chunk per file', 'tarwriter PAX GNU.sparse 1.0 image', 'firewall.xml', 'dom0 home'],
    backupId: '20240612T101500-4242',
    compression: 'gzip',
    sparse: 'pax',
    qubes: [
      ...systemQubes(),
      {
        name: 'work', klass: 'AppVM', qid: 5, label: 'blue', template: 'fedora-38',
        features: { 'service.meminfo-writer': '1' },
        files: [privateImage('work', 32 * MiB, tree), { name: 'firewall.xml', data: firewallXml(DEFAULT_FIREWALL) }],
      },
    ],
  };
}

function gnuSparseMultichunk() {
  const rng = new Prng('v4-gnu-sparse-multichunk');
  const work = [
    ...privateSkeleton('work'),
    { path: 'home/user/Documents/random.bin', type: 'file', data: rng.bytes(56 * 1024), mtime: T0 + 30 },
    { path: 'home/user/Documents/report.txt', type: 'file', data: rng.text(9000), mtime: T0 + 31 },
  ];
  const personal = [
    ...privateSkeleton('personal'),
    { path: 'home/user/Pictures/holiday.raw', type: 'file', data: rng.bytes(40 * 1024), mtime: T0 + 32 },
    { path: 'home/user/Documents/letter.txt', type: 'file', data: Buffer.from('Dear reader,\nthis letter crossed several 20000-byte chunks.\n'), mtime: T0 + 33 },
  ];
  return {
    ...common('v4-gnu-sparse-multichunk', 'varlibqubes'),
    description: 'GNU tar --sparse (old-GNU `S`) images from a file pool, bzip2, 20000-byte chunks so every image spans several chunks.',
    exercises: ['old-GNU sparse typeflag S with extension headers', 'chunk size not a multiple of 512', 'bzip2 streams cut mid-block', 'explicit netvm', 'notes.txt'],
    backupId: '20240612T111500-5151',
    compression: 'bzip2',
    sparse: 'gnu',
    chunkSize: 20000,
    qubes: [
      ...systemQubes(),
      { name: 'work', klass: 'AppVM', qid: 5, label: 'blue', template: 'fedora-38',
        files: [privateImage('work', 24 * MiB, work), { name: 'firewall.xml', data: firewallXml(DEFAULT_FIREWALL) }] },
      { name: 'personal', klass: 'AppVM', qid: 6, label: 'yellow', template: 'fedora-38', netvm: 'sys-firewall',
        files: [privateImage('personal', 24 * MiB, personal), { name: 'notes.txt', data: 'For Your Eyes Only\n' }] },
    ],
  };
}

function paxSparseXz() {
  const rng = new Prng('v4-pax-sparse-xz');
  const work = [
    ...privateSkeleton('work'),
    { path: 'home/user/Documents/odd-size.bin', type: 'file', data: rng.bytes(700), mtime: T0 + 40 },
    { path: 'home/user/Documents/plan.txt', type: 'file', data: rng.text(5000), mtime: T0 + 41 },
  ];
  const vault = [
    ...privateSkeleton('vault'),
    { path: 'home/user/.local/share/keepassxc/passwords.kdbx', type: 'file', mode: 0o600, data: rng.bytes(3000), mtime: T0 + 42 },
  ];
  return {
    ...common('v4-pax-sparse-xz', 'vm-pool'),
    description: 'Images written as PAX GNU.sparse 1.0 like qubes/tarwriter.py (512-byte holes), xz.',
    exercises: ['././@PaxHeader with GNU.sparse.major/minor/name/realsize', 'placeholder name GNUSparseFile.<pid>', 'map ending with (size,0) and map ending with a data run at EOF', 'xz', 'netvm none'],
    backupId: '20240612T121500-6262',
    compression: 'xz',
    sparse: 'pax',
    qubes: [
      ...systemQubes(),
      { name: 'work', klass: 'AppVM', qid: 5, label: 'blue', template: 'fedora-38',
        files: [privateImage('work', 20 * MiB, work)] },
      { name: 'vault', klass: 'AppVM', qid: 7, label: 'black', template: 'fedora-38', netvm: null,
        // Unused space at the very end of the volume holds old data, so the sparse map's last
        // run reaches EOF instead of the usual (size, 0) entry.
        files: [privateImage('vault', 20 * MiB, vault, { tail: Buffer.from('old data in free space at the end of the volume\n'.padEnd(512, '.')) }),
          { name: 'whitelisted-appmenus.list', data: appmenus(['org.keepassxc.KeePassXC']) }] },
    ],
  };
}

function templatesRoot() {
  const os = (vm, t) => [
    { path: 'etc/os-release', type: 'file', data: Buffer.from('NAME="Fedora Linux"\nVERSION_ID=38\nID=fedora\nVARIANT="Qubes template"\n'), mtime: t },
    { path: 'etc/hostname', type: 'file', data: Buffer.from(`${vm}\n`), mtime: t + 1 },
    { path: 'etc/fstab', type: 'file', data: Buffer.from('/dev/mapper/dmroot / ext4 defaults,discard,noatime 1 1\n/dev/xvdb /rw auto noauto,defaults,discard,nosuid,nodev 1 2\n'), mtime: t + 2 },
    { path: 'usr/bin/hello-qubes', type: 'file', mode: 0o755, data: Buffer.from(`#!/bin/sh\necho "hello from ${vm}"\n`), mtime: t + 3 },
    { path: 'usr/bin/sh', type: 'symlink', target: 'bash', mtime: t + 4 },
    { path: 'usr/share/applications/org.gnome.Terminal.desktop', type: 'file', data: Buffer.from('[Desktop Entry]\nName=Terminal\nExec=gnome-terminal\nType=Application\n'), mtime: t + 5 },
    { path: 'var/lib/systemd/random-seed', type: 'file', mode: 0o600, data: new Prng(`seed:${vm}`).bytes(512), mtime: t + 6 },
  ];
  const lists = (vm) => [
    { name: 'whitelisted-appmenus.list', data: appmenus(['org.gnome.Terminal', 'org.gnome.Nautilus', 'firefox']) },
    ...(vm === 'my-template' ? [
      { name: 'vm-whitelisted-appmenus.list', data: appmenus(['org.gnome.Terminal', 'firefox']) },
      { name: 'netvm-whitelisted-appmenus.list', data: appmenus(['org.gnome.Terminal']) },
    ] : []),
  ];
  const tplRoot = {
    name: 'root.img',
    image: {
      layout: 'gpt', sizeBytes: 24 * MiB, diskGuid: uuidFrom('my-template/disk').toUpperCase(),
      partitions: [
        { start: 2048, size: 4096, type: GPT_TYPES.efi, uuid: uuidFrom('my-template/p1').toUpperCase(), name: 'EFI System' },
        { start: 6144, size: 2048, type: GPT_TYPES.biosBoot, uuid: uuidFrom('my-template/p2').toUpperCase(), name: 'BIOS boot partition' },
        { start: 8192, type: GPT_TYPES.linux, uuid: uuidFrom('my-template/p3').toUpperCase(), name: 'Root filesystem' },
      ],
      fsPartition: 3, tree: os('my-template', T0 + 200), uuid: uuidFrom('my-template/root'), label: 'root', mtime: T0,
    },
  };
  const standaloneRoot = { name: 'root.img', image: { layout: 'ext4', sizeBytes: 16 * MiB, tree: os('standalone', T0 + 300), uuid: uuidFrom('standalone/root'), label: 'root', mtime: T0 } };
  return {
    ...common('v4-templates-root', 'varlibqubes'),
    description: 'A TemplateVM (root.img = GPT disk, ext4 on partition 3) and a StandaloneVM (root.img = bare ext4), uncompressed.',
    exercises: ['root.img before private.img', 'GPT partitioned root volume', 'compressed=False with compression-filter=gzip', 'appmenus lists incl. vm-/netvm- lists', 'template not in the backup vs in it'],
    backupId: '20240612T131500-7373',
    compression: null,
    sparse: 'gnu',
    qubes: [
      ...systemQubes(),
      { name: 'my-template', klass: 'TemplateVM', qid: 6, label: 'black', netvm: null, rootSize: 24 * MiB, privateSize: 8 * MiB,
        features: { gui: '1', qrexec: '1' },
        files: [tplRoot, privateImage('my-template', 8 * MiB, privateSkeleton('my-template')), ...lists('my-template')] },
      { name: 'standalone', klass: 'StandaloneVM', qid: 7, label: 'purple', netvm: null, rootSize: 16 * MiB, privateSize: 8 * MiB,
        files: [standaloneRoot, privateImage('standalone', 8 * MiB, privateSkeleton('standalone')), ...lists('standalone')] },
      { name: 'dev', klass: 'AppVM', qid: 8, label: 'orange', template: 'my-template' },
    ],
  };
}

/** 5 MiB of text that gzip shrinks to tens of KB: an 8 KiB unit repeated (inside gzip's 32 KiB window). */
function bigCompressible() {
  const unit = new Prng('v4-files/big').text(8192 - 24);
  const parts = [];
  for (let i = 0; i < 640; i++) parts.push(Buffer.from(`part ${String(i).padStart(4, '0')} of 0640 `.padEnd(23, '-') + '\n'), unit);
  return Buffer.concat(parts);
}

function files() {
  const rng = new Prng('v4-files');
  const many = [];
  for (let i = 0; i < 300; i++) many.push({ path: `home/user/many/file-${String(i).padStart(3, '0')}.txt`, type: 'file', data: Buffer.from(`entry ${i}\n`), mtime: T0 + 500 + i });
  const tree = [
    ...privateSkeleton('work'),
    { path: 'home/user/Documents/a/b/c/d/e/deep.txt', type: 'file', data: Buffer.from('Five directories down.\n'), mtime: T0 + 50 },
    { path: 'home/user/Documents/a/b/sibling.txt', type: 'file', data: rng.text(3000), mtime: T0 + 51 },
    { path: 'home/user/Documents/My Notes.txt', type: 'file', data: Buffer.from('A name with a space.\n'), mtime: T0 + 52 },
    { path: 'home/user/Videos/big-log.txt', type: 'file', data: bigCompressible(), mtime: T0 + 53 },
    { path: 'home/user/Документы/zażółć.txt', type: 'file', data: Buffer.from('Zażółć gęślą jaźń. Съешь же ещё этих мягких французских булок.\n'), mtime: T0 + 54 },
    { path: 'home/user/empty.txt', type: 'file', data: Buffer.alloc(0), mtime: T0 + 55 },
    { path: 'home/user/Desktop/deep-link', type: 'symlink', target: '../Documents/a/b/c/d/e/deep.txt', mtime: T0 + 56 },
    { path: 'home/user/Desktop/long-link', type: 'symlink', target: `../Documents/${'very-long-directory-name/'.repeat(4)}target-that-does-not-exist.txt`, mtime: T0 + 57 },
    { path: 'home/user/bin/run.sh', type: 'file', mode: 0o755, data: Buffer.from('#!/bin/sh\necho run\n'), mtime: T0 + 58 },
    { path: 'home/user/.ssh/id_ed25519', type: 'file', mode: 0o600, data: Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n'), mtime: T0 + 59 },
    { path: 'home/user/.ssh', type: 'dir', mode: 0o700, mtime: T0 + 60 },
    { path: 'home/user/sparse-inside.bin', type: 'file', sparse: { size: 3 * MiB, pieces: [{ offset: 0, data: Buffer.from('start of a sparse file\n') }, { offset: 2 * MiB + 4096, data: rng.bytes(4096) }] }, mtime: T0 + 61 },
    ...many,
  ];
  const deleted = [
    { path: 'home/user/Documents/deleted-secret.txt', type: 'file', data: Buffer.from('This file was deleted; its blocks may still hold this text.\n'.repeat(20)), mtime: T0 + 70 },
  ];
  return {
    ...common('v4-files', 'vm-pool'),
    description: 'A private.img made for single-file extraction: nested dirs, a 5 MiB file, non-ASCII names, symlinks, an empty file, a sparse file, a 300-entry htree directory and a deleted file.',
    exercises: ['ext4 walking and file reads', 'extents of a 5 MiB file', 'UTF-8 names', 'fast and slow symlinks', 'holes inside a file', 'htree (dir_index) directory', 'deleted inode not listed'],
    backupId: '20240612T141500-8484',
    compression: 'gzip',
    sparse: 'pax',
    qubes: [
      ...systemQubes(),
      { name: 'work', klass: 'AppVM', qid: 5, label: 'blue', template: 'fedora-38',
        files: [privateImage('work', 32 * MiB, tree, { deleted, indexDirs: true })] },
    ],
  };
}

export const CASES = {
  'v4-sample': sample,
  'v4-gnu-sparse-multichunk': gnuSparseMultichunk,
  'v4-pax-sparse-xz': paxSparseXz,
  'v4-templates-root': templatesRoot,
  'v4-files': files,
};
