// Partitioned disk images (a Qubes template's root volume is a whole disk: EFI system, BIOS boot,
// root filesystem), laid out by the real sfdisk on a sparse file.
import fs from 'node:fs';
import { run } from './proc.mjs';

export const GPT_TYPES = {
  efi: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  biosBoot: '21686148-6449-6E6F-744E-656564454649',
  linux: '0FC63DAF-8483-4772-8E79-3D69E47D7DE4',
};

/**
 * Create `image` (sizeBytes, sparse) with a GPT. partitions: [{ start, size?, type, uuid, name }]
 * in 512-byte sectors; the last one may omit size to take the rest. Fixed GUIDs keep it reproducible.
 * Returns sfdisk's own reading of the table: [{ number, start, size, type, uuid, name }] (sectors).
 */
export function makeGptDisk({ image, sizeBytes, diskGuid, partitions }) {
  fs.rmSync(image, { force: true });
  fs.closeSync(fs.openSync(image, 'w'));
  fs.truncateSync(image, sizeBytes);
  const lines = ['label: gpt', `label-id: ${diskGuid}`, 'unit: sectors', 'first-lba: 2048', 'sector-size: 512', ''];
  for (const p of partitions) {
    const fields = [`start=${p.start}`];
    if (p.size !== undefined) fields.push(`size=${p.size}`);
    fields.push(`type=${p.type}`, `uuid=${p.uuid}`, `name="${p.name}"`);
    lines.push(fields.join(', '));
  }
  run('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', image], { input: lines.join('\n') + '\n' });
  const verify = run('sfdisk', ['--verify', image]).stdout.toString();
  if (!/No errors detected/.test(verify)) throw new Error(`sfdisk --verify ${image}: ${verify}`);
  const table = JSON.parse(run('sfdisk', ['-J', image]).stdout.toString()).partitiontable;
  return table.partitions.map((p, i) => ({ number: i + 1, start: p.start, size: p.size, type: p.type, uuid: p.uuid, name: p.name }));
}
