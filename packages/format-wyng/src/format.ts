import {
  AuthenticationError, CorruptBackupError, UsageError, WrongPassphraseError, collect, once, utf8, withMember,
  type Archive, type BackupInput, type DirectorySource, type FormatContext, type FormatPlugin, type OpenedBackup,
  type PluginDescriptor, type PluginInfo, type ReadOptions, type Registry,
} from '@qubes-backup/core';
import type { VmInfo } from '@qubes-backup/qubes-common';
import { HEADER_LENGTH, MAX_CONF_BYTES, parseConf, parseHeader, type ArchiveConf } from './conf.js';
import { WyngKeys } from './keys.js';
import { MetadataReader, readFile, type VolumeInfo } from './metadata.js';
import { wyngDisplay, wyngModel, type WyngUnitPlan } from './model.js';
import { QUBES_METADATA_VOLUME, qubeOf, qubesFromMetadata } from './qubes.js';
import { chunkReader, volumeAt, volumeMember, type ChunkReader } from './volume.js';

const info: PluginInfo<'format'> = {
  kind: 'format', name: 'wyng', backend: 'portable',
  options: [
    {
      name: 'session', value: 'YYYYMMDD-HHMMSS',
      description: 'Wyng: read each volume as it was at this session (a volume without it: its newest session before); default the newest',
    },
    {
      name: 'all-sessions',
      description: 'Wyng: also read and check every chunk of every session, those later sessions replaced too (verify always does; this adds it to extract, files and get)',
    },
  ],
};

/** Wyng archives (format 3, Wyng 0.8), encrypted or not. */
export const formatWyng: PluginDescriptor<'format'> = {
  ...info,
  create: (): FormatPlugin => ({ info, detect: detectWyng, open: openWyng }),
};

/** A folder with an `archive.ini` that starts with `[WYNG03]`. */
async function detectWyng(input: BackupInput): Promise<boolean> {
  if (input.kind !== 'directory') return false;
  try {
    const names = await input.dir.list('');
    if (!names.some((e) => e.name === 'archive.ini' && e.type === 'file')) return false;
    return parseHeader(await (await input.dir.file('archive.ini')).read!(0, HEADER_LENGTH)) !== undefined;
  } catch {
    return false;
  }
}

async function openWyng(input: BackupInput, ctx: FormatContext): Promise<OpenedBackup> {
  if (input.kind !== 'directory') throw new UsageError('a Wyng archive is a folder (the one holding archive.ini)');
  const dir = input.dir;
  const registry = ctx.registry;
  const opts: ReadOptions = ctx.signal ? { signal: ctx.signal } : {};
  const iniFile = await readFile(dir, 'archive.ini', MAX_CONF_BYTES, opts);
  const header = parseHeader(iniFile);
  if (!header) throw new CorruptBackupError('not a Wyng format 3 header ([WYNG03], ci = XX)', { member: 'archive.ini' });
  let keys: WyngKeys | undefined;
  let body = iniFile.subarray(HEADER_LENGTH);
  if (header.ci === '00' && ((await ctx.givenPassphrase?.())?.length ?? 0) > 0) {
    // The `ci` line itself is not authenticated: with it changed to 00, an archive someone replaced
    // (who can write to it) would open with no check at all. Wyng refuses that through the metadata
    // it keeps of each archive; here nothing is kept, so the passphrase given says it.
    throw new AuthenticationError('archive.ini says the archive is not encrypted (ci = 00), but a passphrase was given: someone who can write to it may have replaced it; ' +
      'if it was made without encryption, open it without a passphrase', { member: 'archive.ini' });
  }
  if (header.ci !== '00') {
    const salts = await readFile(dir, 'archive.salt', 4096, opts);
    const opened = await WyngKeys.open(registry, header.ci, salts, await ctx.passphrase(), { ...opts, ...(ctx.onStatus ? { onStatus: ctx.onStatus } : {}) }, ctx.resources);
    keys = opened.keys;
    try {
      body = await keys.decryptMetadata(body);
    } catch (e) {
      if ((e as { code?: string }).code !== 'E_AUTH') throw e;
      keys.dispose();
      if (!opened.checked) throw new WrongPassphraseError('wrong passphrase (archive.ini does not decrypt)', { member: 'archive.ini' });
      throw new AuthenticationError('modified: its authentication tag does not verify (the passphrase is right)', { member: 'archive.ini', cause: e });
    }
  }
  let conf: ArchiveConf;
  try {
    conf = parseConf(utf8.decode(await collect(registry.get('compressor', 'gzip').decompress(once(body), opts), MAX_CONF_BYTES * 8, 'archive.ini')), header.ci);
  } catch (e) {
    keys?.dispose();
    throw withMember(e, 'archive.ini');
  }
  try {
    return await openArchive(dir, ctx, conf, keys, opts);
  } catch (e) {
    keys?.dispose();
    throw e;
  }
}

async function openArchive(dir: DirectorySource, ctx: FormatContext, conf: ArchiveConf, keys: WyngKeys | undefined, opts: ReadOptions): Promise<OpenedBackup> {
  const registry = ctx.registry;
  const meta = new MetadataReader(registry, dir, conf, keys);
  const volumes: VolumeInfo[] = [];
  for (const [vid, hash] of conf.volumes) {
    const v = await meta.volume(vid, hash, opts);
    if (volumes.some((x) => x.name === v.name)) throw new CorruptBackupError(`volume '${v.name}' is stored twice`, { member: `${vid}/volinfo` });
    volumes.push(v);
  }
  const reader = chunkReader(registry, dir, meta, keys, ctx.checking === true || ctx.settings['all-sessions'] === true);

  const session = sessionSetting(ctx.settings['session'], volumes);
  /**
   * Each volume's session at the one asked for: that session where the volume has it (as wyng
   * receive asks for it by name), else its newest (in sequence) whose name is not after it. Names
   * are local start times, which can go back (a clock set back, a time-zone change): a name alone
   * does not order sessions.
   */
  const at = new Map<VolumeInfo, number>();
  for (const v of volumes) {
    let k = session === undefined ? v.sessions.length - 1 : v.sessions.findIndex((s) => s.id === `S_${session}`);
    if (k < 0) v.sessions.forEach((s, i) => { if (s.id <= `S_${session}`) k = i; });
    if (k >= 0) at.set(v, k);
  }

  const metaVol = volumes.find((v) => v.name === QUBES_METADATA_VOLUME);
  let qubes: VmInfo[] | undefined;
  let qubesUnread: string | undefined;
  if (metaVol && at.has(metaVol)) {
    try {
      const state = await volumeAt(meta, registry, metaVol, at.get(metaVol)!, opts);
      const m = volumeMember(reader, state, QUBES_METADATA_VOLUME);
      qubes = await qubesFromMetadata(registry, m.body(opts), `volume '${QUBES_METADATA_VOLUME}', session ${state.session.id.slice(2)}`, opts);
    } catch (e) {
      // Damage there costs only the qubes' settings: each image is checked on its own (wyng receive
      // of a volume never reads this one), so the qubes still restore, without vm.json.
      const code = (e as { code?: string }).code;
      if (code !== 'E_AUTH' && code !== 'E_CORRUPT' && code !== 'E_UNSUPPORTED') throw e;
      qubesUnread = (e as { member?: string }).member !== undefined ? (e as Error).message : `volume '${QUBES_METADATA_VOLUME}': ${(e as Error).message}`;
    }
  }

  const plans = unitPlans(volumes, at, qubes);
  const model = wyngModel(conf, dir.name, volumes, at, plans, qubes, session, qubesUnread);

  async function* archives(select: (a: Pick<Archive, 'unit' | 'path'>) => boolean, o?: ReadOptions): AsyncIterable<Archive> {
    for (const plan of plans) {
      for (const { volume, file } of plan.volumes) {
        // The image is stored as `<output>/<file>` (`work/private.img`), as a Qubes backup stores it.
        const path = `${plan.output}/${file}`;
        if (!select({ unit: plan.name, path })) continue;
        o?.signal?.throwIfAborted();
        const k = at.get(volume)!;
        yield { unit: plan.name, path, prefix: `${plan.output}/`, members: (mo) => oneMember(reader, meta, registry, volume, k, path, mo) };
      }
    }
  }

  return {
    info: model,
    display: wyngDisplay(model),
    archives,
    image(unit, volume) {
      const plan = plans.find((p) => p.name === unit);
      const v = plan?.volumes.find((x) => x.file === `${volume}.img`);
      if (!v) return undefined;
      const path = `${plan!.output}/${v.file}`;
      return { archive: (a) => a.unit === unit && a.path === path, member: (m) => m.path === path };
    },
    close: async () => keys?.dispose(),
  };
}

async function* oneMember(reader: ChunkReader, meta: MetadataReader, registry: Registry, volume: VolumeInfo, k: number, file: string, opts?: ReadOptions) {
  const state = await volumeAt(meta, registry, volume, k, opts);
  yield volumeMember(reader, state, file);
}

/** `--session`: a session some volume has (checked so a mistyped one is not silently "the newest before"). */
function sessionSetting(v: string | boolean | undefined, volumes: readonly VolumeInfo[]): string | undefined {
  if (v === undefined || v === false) return undefined;
  const all = [...new Set(volumes.flatMap((x) => x.sessions.map((s) => s.id.slice(2))))].sort();
  if (typeof v !== 'string' || !/^[0-9]{8}-[0-9]{6}$/.test(v)) throw new UsageError(`--session takes YYYYMMDD-HHMMSS (sessions: ${all.join(', ')})`);
  if (!all.includes(v)) throw new UsageError(`no session ${v} in this archive (sessions: ${all.join(', ') || 'none'})`);
  return v;
}

/**
 * The units: a qube per `vm-<qube>-private`-style volume set (its images `private.img`,
 * `root.img`), the qubes qubes.xml lists without volumes (not present), and every other volume as
 * a unit of its own, its image named after the volume's last path part.
 */
function unitPlans(volumes: readonly VolumeInfo[], at: ReadonlyMap<VolumeInfo, number>, qubes: readonly VmInfo[] | undefined): WyngUnitPlan[] {
  const plans: WyngUnitPlan[] = [];
  const byName = new Map<string, WyngUnitPlan>();
  const planOf = (name: string, output: string, vm?: VmInfo): WyngUnitPlan => {
    let p = byName.get(name);
    if (!p) { p = { name, output, volumes: [], ...(vm ? { vm } : {}) }; byName.set(name, p); plans.push(p); }
    return p;
  };
  /** Output folders taken by a unit, so that two volumes never write one file. */
  const outputs = new Set<string>();
  const ownUnit = (v: VolumeInfo) => {
    // Distinct names can meet once `/` becomes `_` (`a/b/c`, `a_b/c`): the later one keeps its volume id too.
    let output = v.name.replace(/\//g, '_');
    if (outputs.has(output)) output = `${output}~${v.vid}`;
    outputs.add(output);
    planOf(v.name, output).volumes.push({ volume: v, file: v.name.split('/').pop()! });
  };
  const sessionOf = (v: VolumeInfo) => v.sessions[at.get(v)!]!.id;
  for (const v of volumes) {
    if (!at.has(v)) continue;
    const q = qubeOf(v.name);
    if (!q) { ownUnit(v); continue; }
    const plan = planOf(q.qube, q.qube, qubes?.find((x) => x.name === q.qube));
    outputs.add(q.qube);
    const file = `${q.image}.img`;
    const taken = plan.volumes.findIndex((x) => x.file === file);
    if (taken < 0) { plan.volumes.push({ volume: v, file }); continue; }
    // Two volumes of one image of a qube (`vm-work-private` and `appvms/work/private.img`: the qube
    // moved between an LVM and a file pool): the one at the newer session is the qube's, the other
    // restores as a volume of its own rather than over it.
    const other = plan.volumes[taken]!.volume;
    const [newer, older] = sessionOf(v) > sessionOf(other) ? [v, other] : [other, v];
    plan.volumes[taken] = { volume: newer, file };
    ownUnit(older);
  }
  for (const p of plans) p.volumes.sort((a, b) => a.file.localeCompare(b.file));
  for (const vm of qubes ?? []) if (!byName.has(vm.name)) planOf(vm.name, vm.name, vm);
  return plans;
}
