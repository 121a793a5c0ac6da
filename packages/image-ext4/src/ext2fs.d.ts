// Minimal types for the parts of ext2fs 4.2.5 (CJS, no types of its own) that this package uses.
// Deep modules are used because the public readdir/readlink always decode names as UTF-8 (their
// `encoding: 'buffer'` option is overridden by a default), which loses bytes of non-UTF-8 names.

declare module 'ext2fs' {
  /** What libext2fs calls back into; offsets are relative to the filesystem start. */
  export interface Ext2Disk {
    read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<unknown>;
    discard(offset: number, length: number): Promise<void>;
    flush(): Promise<void>;
  }
  export interface Ext2Stats {
    mode: number;
    nlink: number;
    uid: number;
    gid: number;
    ino: number;
    size: number;
    mtime: Date;
  }
  export interface Ext2Promises {
    readonly fsPointer: number;
    open(path: string | Buffer, flags: number, mode?: number): Promise<{ readonly fd: number; close(): void }>;
    read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    close(fd: number): Promise<void>;
    fstat(fd: number): Promise<Ext2Stats>;
    lstat(path: string | Buffer): Promise<Ext2Stats>;
    stat(path: string | Buffer): Promise<Ext2Stats>;
  }
  export interface Ext2Fs {
    promises: Ext2Promises;
  }
  export function mount(disk: Ext2Disk, offset?: number): Promise<Ext2Fs>;
  export function umount(fs: Ext2Fs): Promise<void>;
  const ext2fs: { mount: typeof mount; umount: typeof umount };
  export default ext2fs;
}

declare module 'ext2fs/lib/binding.js' {
  const binding: {
    readdir(fsPointer: number, pathPointer: number, arrayId: number): Promise<number>;
    readlink(fsPointer: number, pathPointer: number, arrayId: number): Promise<number>;
    open(fsPointer: number, pathPointer: number, flags: number, mode: number): Promise<number>;
  };
  export default binding;
}

declare module 'ext2fs/lib/util.js' {
  const util: {
    withHooks<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
    usePath(path: string | Buffer): Promise<number>;
    useObject<T>(obj: T): Promise<[T, number]>;
  };
  export default util;
}
