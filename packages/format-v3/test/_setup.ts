// Test wiring: a registry with the real sibling parts (whatever descriptors each package exports)
// and the restore library's own open/run/sink, so the whole path is exercised. Shared by the
// format-v1, v2 and v3 tests (the restore library is not a dependency of the format packages).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type BackupModel, type ByteSource, type ByteStream, type Cipher, type PluginDescriptor } from '@qubes-backup/core';
import { memorySource } from '@qubes-backup/testkit';
import { openBackup } from '../../restore/src/open.js';
import { runArchives } from '../../restore/src/run.js';
import { directorySink, nullSink } from '../../restore/src/sink.js';
import * as tar from '@qubes-backup/tar';
import * as openssl from '@qubes-backup/cipher-openssl';
import * as hmac from '@qubes-backup/mac-hmac';
import * as gzip from '@qubes-backup/codec-gzip';
import * as gzipNode from '@qubes-backup/codec-gzip/node';
import * as bzip2 from '@qubes-backup/codec-bzip2';
import * as xz from '@qubes-backup/codec-xz';
import * as zstd from '@qubes-backup/codec-zstd';
import * as none from '@qubes-backup/codec-none';

export { openBackup, runArchives, directorySink, nullSink };

function isDescriptor(v: unknown): v is PluginDescriptor {
  return typeof v === 'object' && v !== null && typeof (v as PluginDescriptor).create === 'function'
    && typeof (v as PluginDescriptor).kind === 'string' && typeof (v as PluginDescriptor).name === 'string';
}

/** Every plugin descriptor the part packages export (first one wins per kind, name and backend). */
export function partDescriptors(): PluginDescriptor[] {
  const out: PluginDescriptor[] = [];
  const seen = new Set<string>();
  for (const ns of [tar, openssl, hmac, gzipNode, gzip, bzip2, xz, zstd, none] as Record<string, unknown>[]) {
    for (const v of Object.values(ns)) {
      for (const d of Array.isArray(v) ? v : [v]) {
        if (!isDescriptor(d) || d.kind === 'format') continue;
        const key = `${d.kind}/${d.name}/${d.backend}`.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(d);
      }
    }
  }
  return out;
}

export function registryWith(...formats: PluginDescriptor<'format'>[]): Registry {
  return new Registry().use(partDescriptors(), formats);
}

export interface RestoreOptions { registry: Registry; passphrase?: string; legacy?: boolean; vms?: string[]; tmpPrefix?: string }

/** Restores a backup into a fresh temporary folder (removed again on failure; `cleanup()` otherwise). */
export async function restoreTo(input: string | ByteSource, o: RestoreOptions): Promise<{ dest: string; model: BackupModel; cleanup: () => void }> {
  const dest = mkdtempSync(join(tmpdir(), o.tmpPrefix ?? 'qbt-'));
  try {
    const opened = await openBackup(input, { passphrase: o.passphrase ?? 'qubes', registry: o.registry, ...(o.legacy ? { legacy: true } : {}) });
    await runArchives(opened, directorySink(dest), { registry: o.registry, ...(o.vms ? { vms: o.vms } : {}) });
    return { dest, model: opened.model, cleanup: () => rmSync(dest, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw e;
  }
}

/** Opens and verifies a backup held in memory, writing nothing. */
export async function verifyBytes(bytes: Uint8Array, o: { registry: Registry; passphrase?: string; legacy?: boolean }): Promise<void> {
  const opened = await openBackup(memorySource(bytes), { passphrase: o.passphrase ?? 'qubes', registry: o.registry, ...(o.legacy ? { legacy: true } : {}) });
  await runArchives(opened, nullSink(), { registry: o.registry });
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
  return new Registry().use(partDescriptors().filter((d) => !(d.kind === 'cipher' && d.name === 'aes-256-cbc')), spy, format);
}
