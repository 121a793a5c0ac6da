// Types for tar.mjs (used by the TypeScript tests).
export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  data?: Uint8Array;
  linkname?: string;
  mode?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
  size?: number;
  typeflag?: string;
}
export interface OuterMember { name: string; start: number; header: number; data: number; size: number; end: number; next: number }
export function fixChecksum(block: Uint8Array): void;
export function ustarHeader(e: Omit<TarEntry, 'type'> & { type?: TarEntry['type'] | 'pax' }): Uint8Array;
export function paxRecords(records: Record<string, string>): Uint8Array;
export function writeTar(entries: readonly TarEntry[]): Uint8Array;
export function concat(parts: readonly Uint8Array[]): Uint8Array;
export function parseOuter(buf: Uint8Array): OuterMember[];
export function memberOf(members: readonly OuterMember[], name: string): OuterMember;
export function outerMember(name: string, data: Uint8Array): Uint8Array;
export function renameMember(buf: Uint8Array, name: string, newName: string): Uint8Array;
export function replaceMembers(buf: Uint8Array, replacements: Record<string, Uint8Array>): Uint8Array;
export function reorderMembers(buf: Uint8Array, names: readonly string[]): Uint8Array;
export function insertAfter(buf: Uint8Array, after: string, bytes: Uint8Array): Uint8Array;
