// `qubes-backup guide` prints the emergency guide, docs/emergency.md, exactly: the CLI carries it (the
// build makes it a module), so it is there wherever the CLI is, installed or bundled.
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { main } from '@qubes-backup/cli';
import { captureOutput } from './_output.js';

const io = captureOutput('qbt-guide-');

test('guide prints docs/emergency.md, and exits 0', async () => {
  expect(await main(['guide'])).toBe(0);
  expect(io.out).toBe(readFileSync(new URL('../../../docs/emergency.md', import.meta.url), 'utf8'));
  expect(io.err).toBe('');
});
