// The one place that loads the ext2fs WASM module. Everything that calls into it goes through `serialized`,
// because the module is a process-wide singleton with one 16 MiB heap and hook state kept in globals.
import type { Ext2Disk, Ext2Fs } from 'ext2fs';

export interface Ext2Module {
  mount(disk: Ext2Disk, offset?: number): Promise<Ext2Fs>;
  umount(fs: Ext2Fs): Promise<void>;
  /** Raw (byte) names of a directory's entries, `.` and `..` included. */
  readdirRaw(fs: Ext2Fs, path: Buffer): Promise<Buffer[]>;
  /** Raw bytes of a symlink's target. */
  readlinkRaw(fs: Ext2Fs, path: Buffer): Promise<Buffer>;
}

let loading: Promise<Ext2Module> | undefined;

/** Loads ext2fs once. Its emscripten glue adds process-wide `uncaughtException`/`unhandledRejection` handlers that rethrow; they are removed so that the host application keeps its own error policy. */
export function loadExt2fs(): Promise<Ext2Module> {
  loading ??= (async () => {
    const events = ['uncaughtException', 'unhandledRejection'];
    const emitter = process as unknown as NodeJS.EventEmitter;
    const before = events.map((e) => new Set(emitter.listeners(e)));
    const [{ default: ext2fs }, { default: binding }, { default: util }] = await Promise.all([
      import('ext2fs'), import('ext2fs/lib/binding.js'), import('ext2fs/lib/util.js'),
    ]);
    events.forEach((e, i) => {
      for (const l of emitter.listeners(e)) if (!before[i]!.has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
    });
    const readdirRaw = util.withHooks(async (fs: Ext2Fs, path: Buffer) => {
      const p = await util.usePath(path);
      const [entries, id] = await util.useObject<Buffer[]>([]);
      await binding.readdir(fs.promises.fsPointer, p, id);
      return entries;
    });
    const readlinkRaw = util.withHooks(async (fs: Ext2Fs, path: Buffer) => {
      const p = await util.usePath(path);
      const [out, id] = await util.useObject<Buffer[]>([]);
      await binding.readlink(fs.promises.fsPointer, p, id);
      return out[0] ?? Buffer.alloc(0);
    });
    return { mount: ext2fs.mount, umount: ext2fs.umount, readdirRaw, readlinkRaw };
  })();
  return loading;
}

let tail: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier call into the module has settled. */
export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn, fn);
  tail = run.catch(() => undefined);
  return run;
}
