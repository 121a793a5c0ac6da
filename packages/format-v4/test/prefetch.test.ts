// Format 4 asks for qubes.xml's key while the header's MAC is checked (the scrypt scheduler runs the
// two derivations side by side where that pays, one after the other otherwise), and nothing of that
// work outlives a header that fails.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Cipher, Mac, PluginDescriptor } from '@qubes-backup/core';
import { defaultRegistry } from '@qubes-backup/all/node';
import type { QubesBackupModel } from '@qubes-backup/qubes-common';
import { fileSource, inspect } from '@qubes-backup/restore';

type PreparedDecryption = Awaited<ReturnType<NonNullable<Cipher['prepare']>>>;

const FIX = join(dirname(new URL(import.meta.url).pathname), '../../../test-fixtures/v4-sample');
const backup = join(FIX, 'backup.bin');
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as { passphrase: string };

/** The default registry with its scrypt Mac and Cipher wrapped to log what happens when. */
function recordingRegistry() {
  const events: string[] = [];
  const derivations: Promise<unknown>[] = [];
  let prepareStarted: () => void = () => undefined;
  const prepareSeen = new Promise<void>((r) => { prepareStarted = r; });
  const real = defaultRegistry();
  const mac = real.clone().get('mac', 'scrypt');
  const cipher = real.clone().get('cipher', 'scrypt');
  const macInfo = { kind: 'mac', name: 'scrypt', backend: 'node' } as const;
  const cipherInfo = { kind: 'cipher', name: 'scrypt', backend: 'node' } as const;
  const wrappedMac: Mac = {
    info: macInfo,
    async verify(data, tag, key, opts) {
      events.push('header MAC: start');
      try {
        await mac.verify(data, tag, key, opts);
        // Held open until a prefetch starts (or 2 s): the order is then decided by the code, not by timing.
        await Promise.race([prepareSeen, new Promise((r) => setTimeout(r, 2000))]);
      } finally {
        events.push('header MAC: end');
      }
    },
  };
  const wrappedCipher: Cipher = {
    ...cipher,
    info: cipherInfo,
    decrypt: (data, pass, opts) => cipher.decrypt(data, pass, opts),
    async prepare(head, pass, opts) {
      events.push('prepare: start');
      prepareStarted();
      const p = cipher.prepare!(head, pass, opts);
      derivations.push(p);
      const prepared = await p;
      return {
        decrypt: (d, o) => prepared.decrypt(d, o),
        dispose: () => { events.push('prepare: disposed'); prepared.dispose(); },
      } satisfies PreparedDecryption;
    },
  };
  const registry = real.remove('mac', 'scrypt').remove('cipher', 'scrypt').use(
    { ...macInfo, create: () => wrappedMac } satisfies PluginDescriptor<'mac'>,
    { ...cipherInfo, create: () => wrappedCipher } satisfies PluginDescriptor<'cipher'>,
  );
  return { registry, events, derivations };
}

describe('format 4 prefetch of the qubes.xml key', () => {
  test('starts while the header MAC is being checked, and the backup opens as before', async () => {
    const { registry, events } = recordingRegistry();
    const model = (await inspect(backup, { passphrase: manifest.passphrase, registry })).info as QubesBackupModel;
    expect(model.vms.map((v) => v.name)).toContain('work');
    expect(events.indexOf('prepare: start')).toBeGreaterThan(events.indexOf('header MAC: start'));
    expect(events.indexOf('prepare: start')).toBeLessThan(events.indexOf('header MAC: end'));
  });

  test('a wrong passphrase still fails as a wrong passphrase; the early derivation fails too', async () => {
    const { registry, derivations } = recordingRegistry();
    const err = await inspect(backup, { passphrase: 'not the passphrase', registry }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_PASSPHRASE' });
    expect(String((err as Error).message)).toMatch(/wrong passphrase/);
    // qubes.xml's scrypt header checks the passphrase as well: no key was made, nothing to wipe.
    expect((await Promise.allSettled(derivations)).map((r) => r.status)).toEqual(['rejected']);
  });

  test('a header whose MAC fails leaves no early key: cancelled while it waits its turn, or disposed of (right passphrase, tampered .hmac)', async () => {
    const bytes = new Uint8Array(readFileSync(backup));
    // backup-header.hmac is the first scrypt unit ("scrypt" + version 0); flip a byte of its ciphertext.
    const unit = Buffer.from(bytes).indexOf(Buffer.from('scrypt\0', 'latin1'));
    bytes[unit + 100] ^= 1;
    const dir = mkdtempSync(join(tmpdir(), 'qbt-prefetch-'));
    try {
      writeFileSync(join(dir, 'backup.bin'), bytes);
      const { registry, events, derivations } = recordingRegistry();
      const err = await inspect(join(dir, 'backup.bin'), { passphrase: manifest.passphrase, registry }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_PASSPHRASE' });
      // The process's scheduler decides whether the two ran side by side (it learns from earlier tests).
      const [early] = await Promise.allSettled(derivations);
      await new Promise((r) => setImmediate(r));
      if (early!.status === 'fulfilled') expect(events).toContain('prepare: disposed');
      else expect(early!.reason).toMatchObject({ name: 'AbortError' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a source that cannot seek gets no prefetch (it is read once, in order)', async () => {
    const { registry, events } = recordingRegistry();
    const file = await fileSource(backup);
    const pipe = { name: 'pipe', seekable: false, stream: (offset?: number) => file.stream(offset) };
    await inspect(pipe, { passphrase: manifest.passphrase, registry });
    expect(events).not.toContain('prepare: start');
  });
});
