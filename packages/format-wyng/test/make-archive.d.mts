// Types for make-archive.mjs.
export interface SessionSpec { id: string; image: Uint8Array; tags?: string[] }
export interface ArchiveSpec {
  chunkSize: number;
  compression?: 'zlib' | 'bz2' | 'zstd';
  level?: number;
  hashtype?: 'blake2b' | 'sha256' | 'hmac-sha256';
  encryption?: { passphrase: string; ci: '30' | '32' | '34' | '35' };
  volumes: { vid: string; name: string; sessions: SessionSpec[] }[];
}
export function writeArchive(dir: string, spec: ArchiveSpec): void;
export function demoImages(): SessionSpec[];
