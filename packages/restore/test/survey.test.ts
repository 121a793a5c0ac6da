// Issue 16: `info` says per VM whether its data is in the backup from the members actually there,
// not only from qubes.xml: a backup cut short or missing a stored file is not shown as complete.
// (A local file is surveyed by a header-only pass; other inputs keep qubes.xml's word.)
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { UnitInfo } from '@qubes-backup/core';
import { inspect, fileSource } from '@qubes-backup/restore';
import { tarContainer } from '@qubes-backup/tar';
import { OURS } from '@qubes-backup/testkit';

const sample = join(OURS, 'v4-sample', 'backup.bin');
const templates = join(OURS, 'v4-templates-root', 'backup.bin');
let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'qbt-survey-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const options = () => ({ registry: defaultRegistry(), passphrase: 'qubes' });
const units = (info: { units: readonly UnitInfo[] }) => Object.fromEntries(info.units.map((u) => [u.name, [u.present, u.lacking]]));

/** A copy of `backup` without one outer member: its bytes from its first header to the next member's. */
async function withoutMember(backup: string, name: string): Promise<string> {
  const data = readFileSync(backup);
  const offsets: { path: string; at: number }[] = [];
  for await (const m of tarContainer.create().entries(await fileSource(backup), { ignoreZeros: true })) offsets.push({ path: m.path, at: m.headerOffset });
  const i = offsets.findIndex((m) => m.path === name);
  expect(i).toBeGreaterThan(0);
  const out = join(work, `without-${name.replace(/\//g, '_')}`);
  writeFileSync(out, Buffer.concat([data.subarray(0, offsets[i]!.at), data.subarray(offsets[i + 1]!.at)]));
  return out;
}

describe('info surveys the members of a local backup file', () => {
  test('a whole backup: every VM as qubes.xml says, and no problem', async () => {
    const { info, display } = await inspect(sample, options());
    expect(units(info)).toMatchObject({ work: [true, undefined], dom0: [true, undefined], 'fedora-38': [false, undefined] });
    expect((info as { survey?: unknown }).survey).toEqual({});
    expect(display.fields.some(([label]) => label === 'WARNING')).toBe(false);
  });

  test('cut short: the VMs after the cut are not in it, the one cut lacks what followed, and the cut is named', async () => {
    const cut = join(work, 'cut.bin');
    writeFileSync(cut, readFileSync(sample).subarray(0, 40000));
    const { info, display } = await inspect(cut, options());
    expect(units(info)).toMatchObject({ work: [true, 'members after the cut'], dom0: [false, 'all its data'] });
    expect((info as { survey?: { problem?: string } }).survey?.problem).toMatch(/truncated/);
    expect(display.fields.find(([label]) => label === 'WARNING')?.[1]).toMatch(/ends early/);
    expect(display.tables[0]!.rows.find((r) => r[0] === 'work')!.at(-1)).toBe('partly: no members after the cut');
    expect(display.fields.find(([label]) => label === 'dom0 home')?.[1]).toMatch(/NOT in the backup/);
  });

  test('a stored image dropped from a format-4 backup: that VM lacks it', async () => {
    const dropped = await withoutMember(templates, 'vm7/root.img.000.enc');
    const { info, display } = await inspect(dropped, options());
    const standalone = info.units.find((u) => u.lacking !== undefined);
    expect(standalone).toMatchObject({ present: true, lacking: 'root.img' });
    expect(display.tables[0]!.rows.find((r) => r[0] === standalone!.name)!.at(-1)).toBe('partly: no root.img');
    expect(info.units.filter((u) => u.lacking !== undefined)).toHaveLength(1);
  });

  test('a source that is not a local file (a stream) keeps qubes.xml\'s word: no survey', async () => {
    const { info } = await inspect(await fileSource(sample), options());
    expect((info as { survey?: unknown }).survey).toBeUndefined();
  });
});
