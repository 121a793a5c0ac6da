// Browsing a VM image keeps its data in the page's memory: up to a limit, beyond which the person is
// told what to do instead, rather than the tab dying when the browser runs out of memory.
import { expect, test } from '@jest/globals';
import { portableRegistry } from '@qubes-backup/all';
import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blobSource } from '../src/file-source.js';
import { imageTree } from '../src/image-tree.js';
import { openInPage } from '../src/open-backup.js';

const V4 = join(fileURLToPath(new URL('../../../', import.meta.url)), 'test-fixtures/v4-sample/backup.bin');
const open = async () => openInPage({ kind: 'file', source: blobSource(await openAsBlob(V4), 'backup.bin') }, { registry: portableRegistry(), passphrase: 'qubes' });

test('an image within the limit is browsed; one beyond it is refused in words that say what to do', async () => {
  const opened = await open();
  const tree = await imageTree(opened, 'work', 'private', 64 << 20);
  expect((await tree.list('')).map((e) => e.name)).toContain('home');
  await expect(imageTree(opened, 'work', 'private', 16 << 10)).rejects.toMatchObject({
    code: 'E_USAGE',
    member: 'vm5/private.img',
    message: expect.stringMatching(/work's private\.img holds more data than this page can keep in memory to browse it \(more than 16\.0 KiB\)\. Save the whole image instead, or use the command-line tool/),
  });
}, 60_000);
