// Test wiring for the format packages: every shipped part with only the format under test, and the
// restore library's own open/run/sink, so the whole path is exercised.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupInfo, Registry, ByteSource, ByteStream, Cipher, PluginDescriptor } from '@qubes-backup/core';
import { defaultRegistry } from '@qubes-backup/all/node';
import { directorySink, nullSink, openBackup, runArchives } from '@qubes-backup/restore';
import { memorySource } from './outer.js';

/** Every shipped part (tar, ciphers, MACs, codecs; both backends) with only these formats. */
export function registryWith(...formats: PluginDescriptor<'format'>[]): Registry {
  return defaultRegistry({ formats });
}

export interface RestoreOptions { registry: Registry; passphrase?: string; legacy?: boolean; vms?: string[]; tmpPrefix?: string }

/** Restores a backup into a fresh temporary folder (removed again on failure; `cleanup()` otherwise). */
export async function restoreTo<M extends BackupInfo = BackupInfo>(input: string | ByteSource, o: RestoreOptions): Promise<{ dest: string; model: M; cleanup: () => void }> {
  const dest = mkdtempSync(join(tmpdir(), o.tmpPrefix ?? 'qbt-'));
  try {
    const opened = await openBackup(input, { passphrase: o.passphrase ?? 'qubes', registry: o.registry, ...(o.legacy ? { settings: { legacy: true } } : {}) });
    await runArchives(opened, directorySink(dest), o.vms ? { units: o.vms } : {});
    return { dest, model: opened.info as M, cleanup: () => rmSync(dest, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw e;
  }
}

/** Opens and verifies a backup held in memory, writing nothing. */
export async function verifyBytes(bytes: Uint8Array, o: { registry: Registry; passphrase?: string; legacy?: boolean }): Promise<void> {
  const opened = await openBackup(memorySource(bytes), { passphrase: o.passphrase ?? 'qubes', registry: o.registry, ...(o.legacy ? { settings: { legacy: true } } : {}) });
  await runArchives(opened, nullSink(), {});
}

/**
 * The parts and `format`, with an aes-256-cbc cipher that shows every input piece to `watch`
 * before decrypting it; `onDecrypt` is called once per decryption and returns that call's watcher.
 */
export function registryWithCipherSpy(format: PluginDescriptor<'format'>, onDecrypt: () => (piece: Uint8Array) => void): Registry {
  const real = registryWith(format).get('cipher', 'aes-256-cbc');
  const spy: PluginDescriptor<'cipher'> = {
    kind: 'cipher', name: 'aes-256-cbc', backend: 'portable',
    create: (): Cipher => ({
      info: real.info,
      decrypt: (data: ByteStream, pass, opts) => real.decrypt((async function* () {
        const watch = onDecrypt();
        for await (const c of data) { watch(c); yield c; }
      })(), pass, opts),
    }),
  };
  return registryWith(format).remove('cipher', 'aes-256-cbc').use(spy);
}
