// `npm start`: restore the bundled sample backup with the built CLI and show where everything went.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'test-fixtures', 'v4-sample');
const manifest = JSON.parse(readFileSync(join(sample, 'manifest.json'), 'utf8'));
const backup = join(sample, manifest.backup_file ?? 'backup.bin');
const dest = join(root, 'out', 'sample');
rmSync(dest, { recursive: true, force: true });

const cli = join(root, 'packages', 'cli', 'bin', 'qubes-backup.js');
const env = { ...process.env, QUBES_BACKUP_PASSPHRASE: manifest.passphrase };
const run = (args) => {
  console.log(`\n$ qubes-backup ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
console.log(`Sample backup: ${backup} (passphrase "${manifest.passphrase}", given through QUBES_BACKUP_PASSPHRASE)`);
run(['info', backup]);
run(['verify', backup]);
run(['extract', backup, '--dest', dest]);
// And look inside the restored disk image, without root or mount.
run(['files', join(dest, 'work', 'private.img'), '/home/user/Documents', '--long']);
