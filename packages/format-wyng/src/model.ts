import { formatBytes, type BackupInfo, type OpenedBackup } from '@qubes-backup/core';
import { netvmText, type VmInfo } from '@qubes-backup/qubes-common';
import type { ArchiveConf } from './conf.js';
import { cipherModes } from './keys.js';
import type { VolumeInfo } from './metadata.js';
import { qubeOf } from './qubes.js';

/** A unit to restore: a qube (its images) or a volume that is no qube's. */
export interface WyngUnitPlan {
  readonly name: string;
  readonly output: string;
  readonly volumes: { readonly volume: VolumeInfo; readonly file: string }[];
  readonly vm?: VmInfo;
}

/** One volume as `info --json` shows it. */
export interface WyngVolumeInfo {
  readonly name: string;
  /** The folder it is stored in (`Vol_1a2b3c`). */
  readonly id: string;
  readonly qube?: string;
  readonly image?: 'private' | 'root';
  /** Its size at the newest session (or at `--session`). */
  readonly size: number;
  /** Every session, oldest first, as `YYYYMMDD-HHMMSS`. */
  readonly sessions: readonly string[];
  /** The session read (`--session`, else the newest); absent when the volume has none that early. */
  readonly session?: string;
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

/** What `info --json` prints for a Wyng archive. */
export interface WyngArchiveInfo extends BackupInfo {
  readonly format: 'wyng';
  readonly uuid: string;
  readonly formatVersion: number;
  readonly location: string;
  readonly encryption: { readonly mode: string; readonly data: string; readonly metadata: string } | 'off';
  /** `zstd:3`, `zlib:6`, `bz2:9`. */
  readonly compression: string;
  /** `hmac-sha256`, `blake2b`, `sha256`. */
  readonly hash: string;
  readonly chunkSize: number;
  readonly updatedAt: string;
  /** `--session`, when given. */
  readonly session?: string;
  readonly volumes: readonly WyngVolumeInfo[];
  /** The qubes the wyng-qubes-metadata volume's qubes.xml lists (at the session read), when there is one. */
  readonly qubes?: readonly VmInfo[];
  /** Why that volume could not be read (damaged): the qubes' images restore, without their settings (`vm.json`). */
  readonly qubesUnread?: string;
}

export function wyngModel(
  conf: ArchiveConf, location: string, volumes: readonly VolumeInfo[], at: ReadonlyMap<VolumeInfo, number>,
  plans: readonly WyngUnitPlan[], qubes: readonly VmInfo[] | undefined, session: string | undefined, qubesUnread?: string,
): WyngArchiveInfo {
  const modes = cipherModes(conf.ciMode);
  return {
    format: 'wyng', title: `Wyng archive (format ${conf.formatVersion})`, unitNoun: 'VM',
    encrypted: modes !== undefined,
    // An unencrypted archive's hashes are unkeyed: anyone who can write it can rewrite them.
    authenticated: modes !== undefined,
    units: plans.map((p) => {
      const size = p.volumes.reduce((n, v) => n + v.volume.sessions[at.get(v.volume)!]!.volsize, 0);
      return {
        name: p.name, output: p.output, present: p.volumes.length > 0,
        ...(p.volumes.length ? { size } : {}),
        ...(p.vm ? { metadata: { file: 'vm.json', json: p.vm } } : {}),
      };
    }),
    uuid: conf.uuid, formatVersion: conf.formatVersion, location,
    encryption: modes ? { mode: conf.ciMode, ...modes } : 'off',
    compression: conf.compressionLevel ? `${conf.compression}:${conf.compressionLevel}` : conf.compression,
    hash: conf.hashType, chunkSize: conf.chunkSize,
    updatedAt: new Date(conf.updatedAt * 1000).toISOString(),
    ...(session !== undefined ? { session } : {}),
    volumes: volumes.map((v) => {
      const k = at.get(v);
      const q = qubeOf(v.name);
      const tags: Record<string, string[]> = {};
      for (const s of v.sessions) for (const t of s.tags) (tags[t.split(' ')[0]!] ??= []).push(s.id.slice(2));
      return {
        name: v.name, id: v.vid, ...(q ? { qube: q.qube, image: q.image } : {}),
        size: k === undefined ? 0 : v.sessions[k]!.volsize,
        sessions: v.sessions.map((s) => s.id.slice(2)),
        ...(k !== undefined ? { session: v.sessions[k]!.id.slice(2) } : {}),
        tags,
      };
    }),
    ...(qubes ? { qubes } : {}),
    ...(qubesUnread !== undefined ? { qubesUnread } : {}),
  };
}

/** `info` for people: the archive's settings, its volumes with their sessions, and its qubes. */
export function wyngDisplay(m: WyngArchiveInfo): OpenedBackup['display'] {
  const fields: [string, string][] = [
    ['Format', `Wyng archive format ${m.formatVersion}${m.authenticated ? '' : '  (UNAUTHENTICATED: not encrypted, its hashes are unkeyed)'}`],
    ['UUID', m.uuid],
    ['Encryption', m.encryption === 'off' ? 'off' : `${m.encryption.data} (metadata ${m.encryption.metadata})`],
    ['Compression', m.compression],
    ['Data hashing', m.hash],
    ['Chunk size', formatBytes(m.chunkSize)],
    ['Updated', m.updatedAt],
    ...(m.session ? [['Session', m.session] as [string, string]] : []),
    ...(m.qubesUnread !== undefined ? [['Qubes settings', `not read, the images restore without vm.json: ${m.qubesUnread}`] as [string, string]] : []),
  ];
  const volumes = m.volumes.map((v) => [v.name, v.qube ?? '-', v.session ? formatBytes(v.size) : '-', v.session ?? '-', v.sessions.join(' ')]);
  const tables: OpenedBackup['display']['tables'][number][] = [
    { title: 'Volumes', columns: ['VOLUME', 'QUBE', 'SIZE', 'READ AT', 'SESSIONS'], rows: volumes },
  ];
  if (m.qubes) {
    tables.push({
      title: 'Qubes (from wyng-qubes-metadata)', columns: ['NAME', 'CLASS', 'TEMPLATE', 'NETVM', 'LABEL', 'IN ARCHIVE'],
      rows: m.qubes.map((vm) => [
        vm.name, vm.class, vm.template ?? '-', netvmText(vm.netvm),
        vm.label ?? '-', m.units.some((u) => u.name === vm.name && u.present) ? 'yes' : 'no',
      ]),
    });
  }
  return { fields, tables };
}
