// Test wiring for the format packages: every shipped part with only the format under test, and the
// restore library's own open/run/sink, so the whole path is exercised.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupInfo, Registry, ByteSource, ByteStream, Cipher, FormatContext, PluginDescriptor } from '@qubes-backup/core';
import { defaultRegistry } from '@qubes-backup/all/node';
import { directorySink, fileSource, nullSink, openBackup, runArchives, type Opened, type RunReport } from '@qubes-backup/restore';
import { memorySource } from './outer.js';
import { fileDigests } from './tree.js';

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

/** The sha256 of every file a restore of `source` writes; every unit must restore completely. */
export async function restoredDigests(source: ByteSource, registry: Registry, passphrase = 'qubes'): Promise<Record<string, string>> {
  const dest = mkdtempSync(join(tmpdir(), 'qbt-digests-'));
  try {
    const report = await runArchives(await openBackup(source, { passphrase, registry }), directorySink(dest), {});
    const failed = report.units.filter((u) => u.status !== 'ok');
    if (failed.length) throw new Error(`not restored: ${failed.map((u) => u.name).join(', ')}`);
    return fileDigests(dest);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/** Opens and verifies a backup held in memory, writing nothing (only the VMs `vms`, when given). */
export async function verifyBytes(
  bytes: Uint8Array,
  o: { registry: Registry; passphrase?: string; legacy?: boolean; vms?: string[]; settings?: Record<string, string | boolean> },
): Promise<RunReport> {
  const settings = { ...o.settings, ...(o.legacy ? { legacy: true } : {}) };
  const opened = await openBackup(memorySource(bytes), { passphrase: o.passphrase ?? 'qubes', registry: o.registry, settings });
  return runArchives(opened, nullSink(), o.vms ? { units: o.vms } : {});
}

/** The parts and `format`, with the cipher `name` (both backends) replaced by `wrap(real)`. */
export function registryWithCipher(format: PluginDescriptor<'format'>, name: string, wrap: (real: Cipher) => Cipher): Registry {
  const real = registryWith(format).get('cipher', name);
  const wrapped: PluginDescriptor<'cipher'> = { kind: 'cipher', name, backend: 'portable', create: () => wrap(real) };
  return registryWith(format).remove('cipher', name).use(wrapped);
}

/**
 * The parts and `format`, with an aes-256-cbc cipher that shows every input piece to `watch`
 * before decrypting it; `onDecrypt` is called once per decryption and returns that call's watcher.
 */
export function registryWithCipherSpy(format: PluginDescriptor<'format'>, onDecrypt: () => (piece: Uint8Array) => void): Registry {
  return registryWithCipher(format, 'aes-256-cbc', (real) => ({
    info: real.info,
    decrypt: (data: ByteStream, pass, opts) => real.decrypt((async function* () {
      const watch = onDecrypt();
      for await (const c of data) { watch(c); yield c; }
    })(), pass, opts),
  }));
}

export interface FormatOpenOptions {
  registry: Registry;
  passphrase?: string;
  settings?: FormatContext['settings'];
  /** Cores and memory for work ahead (key look-ahead); absent: none, as for a browser. */
  resources?: FormatContext['resources'];
}

/**
 * Opens a backup file with one format's `open` directly, with a context the test chooses
 * (`openBackup` always offers this machine's cores and memory): the result runs like `openBackup`'s.
 */
export async function openWithFormat(format: PluginDescriptor<'format'>, path: string, o: FormatOpenOptions): Promise<Opened> {
  const input = { kind: 'file' as const, source: await fileSource(path) };
  const pass = new TextEncoder().encode(o.passphrase ?? 'qubes');
  const ctx: FormatContext = {
    registry: o.registry, settings: o.settings ?? {}, passphrase: async () => pass.slice(),
    ...(o.resources ? { resources: o.resources } : {}),
  };
  return { ...(await format.create().open(input, ctx)), input };
}
