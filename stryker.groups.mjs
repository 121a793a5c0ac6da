// The groups of `npm run mutation`: the safety modules, each with the Jest project whose tests
// cover them; `only` names the test files run, when not all: the unit suites meant to kill mutants
// of those files (the whole-backup, adversarial and fuzz suites reach them too, but at minutes per
// mutant). Read by stryker.config.mjs and by stryker.jest.config.mjs (which Jest loads inside
// Stryker's sandbox).
export const GROUPS = {
  // MAC/tag checks before any plaintext: the scrypt unit and the scrypt header MAC.
  'cipher-scrypt': { mutate: ['packages/cipher-scrypt/src/unit.ts', 'packages/cipher-scrypt/src/mac.ts'], project: 'cipher-scrypt', only: ['unit', 'backends', 'keys', 'read-twice'] },
  // The Qubes outer archive: header authentication, HMAC chunks, size caps, bounded streams.
  'qubes-common': {
    mutate: ['packages/qubes-common/src/outer.ts', 'packages/qubes-common/src/hmac-chunks.ts', 'packages/qubes-common/src/read-twice.ts', 'packages/qubes-common/src/size-cap.ts', 'packages/qubes-common/src/streams.ts'],
    project: 'qubes-common',
  },
  // Where restored bytes may be written.
  restore: {
    mutate: ['packages/restore/src/safe-path.ts', 'packages/restore/src/sink.ts', 'packages/restore/src/io-error.ts'],
    project: 'restore', only: ['sink', 'io-error'],
  },
  // Sparse maps stay inside the member and its real size.
  tar: { mutate: ['packages/tar/src/sparse-map.ts'], project: 'tar', only: ['sparse-map'] },
  // Format 4: each file stored once, its chunks complete and in order.
  'format-v4': { mutate: ['packages/format-v4/src/format.ts', 'packages/format-v4/src/stored-file.ts'], project: 'format-v4', only: ['chunks', 'open', 'selection', 'size-cap', 'prefetch', 'key-ahead'] },
  // Wyng: the hash chain of metadata files, each chunk's hash before decompression, the key check.
  'format-wyng': {
    mutate: ['packages/format-wyng/src/metadata.ts', 'packages/format-wyng/src/volume.ts', 'packages/format-wyng/src/keys.ts', 'packages/format-wyng/src/conf.ts'],
    project: 'format-wyng', only: ['adversarial', 'conf', 'generated', 'encrypted'],
  },
};

export function group(name = process.env.STRYKER_GROUP) {
  const g = name && GROUPS[name];
  if (!g) throw new Error(`STRYKER_GROUP must be one of: ${Object.keys(GROUPS).join(', ')}`);
  return { name, ...g };
}
