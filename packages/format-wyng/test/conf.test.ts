// archive.ini and the names: what is refused, and how (unknown versions, codecs and hashes are
// UnsupportedError; broken settings CorruptBackupError naming archive.ini), and wyng-util-qubes'
// volume names.
import { afterAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { identify, inspect } from '@qubes-backup/restore';
import { parseConf, parseHeader } from '../src/conf.js';
import { qubeOf } from '../src/qubes.js';
import { registry } from './_wyng.js';

const DEMO = new URL('./fixtures/demo', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'qbt-wyng-conf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const iniText = gunzipSync(readFileSync(join(DEMO, 'archive.ini')).subarray(17)).toString();

describe('archive.ini', () => {
  test('the header: [WYNG03] and a two-digit cipher mode', () => {
    const ok = Buffer.from('[WYNG03]\nci = 35\n');
    expect(parseHeader(ok)).toEqual({ ci: '35' });
    for (const bad of ['[WYNG02]\nci = 35\n', '[WYNG03]\nci = 3x\n', '[WYNG03]\nci = 35', '[var]\nuuid = 1\n']) {
      expect(parseHeader(Buffer.from(bad))).toBeUndefined();
    }
  });

  const edited = (from: string, to: string) => iniText.replace(new RegExp(`^${from}$`, 'm'), to);
  test.each([
    ['format_ver = 3', 'format_ver = 2', 'E_UNSUPPORTED', /format 2/],
    ['compression = zlib', 'compression = lz4', 'E_UNSUPPORTED', /compression 'lz4'/],
    ['hashtype = blake2b', 'hashtype = md5', 'E_UNSUPPORTED', /hash type 'md5'/],
    ['chunksize = 65536', 'chunksize = 65537', 'E_CORRUPT', /chunk size 65537/],
    ['chunksize = 65536', 'chunksize = 1024', 'E_CORRUPT', /chunk size 1024/],
    ['ci_mode = 00', 'ci_mode = 35', 'E_CORRUPT', /cipher mode 35 differs/],
    ['uuid = .*', 'uuid = ../etc', 'E_CORRUPT', /malformed uuid/],
    // Beyond what a date can show: it was a RangeError, an internal error with a stack trace.
    ['updated_at = .*', 'updated_at = 1e20', 'E_CORRUPT', /bad update time '1e20'/],
  ])('%s → %s: %s', (from, to, code, message) => {
    let e: unknown;
    try { parseConf(edited(from, to), '00'); } catch (x) { e = x; }
    expect(e).toMatchObject({ code, member: 'archive.ini', message: expect.stringMatching(message) });
  });

  test('an archive.ini that is not Wyng 0.8\'s is no Wyng archive; a settings error names archive.ini', async () => {
    const old = join(work, 'v2');
    cpSync(DEMO, old, { recursive: true });
    writeFileSync(join(old, 'archive.ini'), '[var]\nformat_ver = 2\n');
    expect(await identify(old, registry())).toBeUndefined();
    const lz4 = join(work, 'lz4');
    cpSync(DEMO, lz4, { recursive: true });
    writeFileSync(join(lz4, 'archive.ini'), Buffer.concat([Buffer.from('[WYNG03]\nci = 00\n'), gzipSync(edited('compression = zlib', 'compression = lz4'))]));
    await expect(inspect(lz4, { registry: registry() })).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/^archive\.ini: compression 'lz4'/) });
  }, 60_000);
});

test('volume names as wyng-util-qubes gives them', () => {
  expect(qubeOf('vm-work-private')).toEqual({ qube: 'work', image: 'private' });
  expect(qubeOf('vm-sys-usb-root')).toEqual({ qube: 'sys-usb', image: 'root' });
  expect(qubeOf('appvms/my-work/private.img')).toEqual({ qube: 'my-work', image: 'private' });
  expect(qubeOf('vm-templates/debian-12/root.img')).toEqual({ qube: 'debian-12', image: 'root' });
  expect(qubeOf('wyng-qubes-metadata')).toBeUndefined();
  expect(qubeOf('appvms/a/b/private.img')).toBeUndefined();
  expect(qubeOf('home-backup')).toBeUndefined();
  // Not a name Qubes accepts: a volume of its own, never a folder named '..'.
  expect(qubeOf('vm-..-private')).toBeUndefined();
  expect(qubeOf('appvms/../private.img')).toBeUndefined();
});
