// Markdown for the results: one table per question, then the targets, then the raw runs.
import { median } from './run.mjs';

const MiB = 2 ** 20;
export const mib = (b) => (b == null || Number.isNaN(b) ? '–' : `${(b / MiB).toFixed(b < 10 * MiB ? 1 : 0)} MiB`);
const bytes = (b) => (b == null || Number.isNaN(b) ? '–' : b < 10 * 1024 ? `${b} B` : b < 10 * MiB ? `${(b / 1024).toFixed(b < 100 * 1024 ? 1 : 0)} KiB` : mib(b));
const gib = (b) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const sec = (s) => (s == null || Number.isNaN(s) ? '–' : `${s.toFixed(s < 10 ? 2 : 1)}`);
const pct = (x) => (x < 0.001 ? `${(x * 100).toFixed(4)} %` : `${(x * 100).toFixed(2)} %`);
const load1 = (u) => /load average: ([\d.]+)/.exec(u)?.[1] ?? '?';
const ok = (b) => (b == null ? '–' : b ? 'yes' : '**no**');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const good = (runs) => (runs ?? []).filter((r) => r.code === 0);
const med = (runs, k) => (good(runs).length ? median(good(runs).map((r) => r[k])) : null);
const tempOf = (runs) => (runs?.length ? Math.max(...runs.map((r) => r.temp?.peakExtraBytes ?? 0)) : null);
const strays = (runs) => [...new Set((runs ?? []).flatMap((r) => (r.temp?.extraneous ?? []).map(([p]) => p)))];
const renamed = (runs) => [...new Set((runs ?? []).flatMap((r) => (r.temp?.vanished ?? []).map(([p]) => p)))];
const kdfText = (m) => (m.kdfs ? `${m.kdfs} (logN ${m.logNs.join('/')}, r ${m.r}, p ${m.p})` : 'openssl (no KDF cost)');
const net = (res, n = 1) => (med(res.ours, 'rss') == null ? null : med(res.ours, 'rss') - n * res.meta.kdfBytes);
const nets = (res) => (res.meta.kdfBytes ? `${mib(net(res))} / ${mib(net(res, 2))}` : mib(net(res)));
/**
 * RSS beyond scrypt, from the sampled run: the largest sampled "RSS minus resident scrypt mappings", plus
 * whatever part of the exact peak (GNU time, same run) the samples missed, so a peak between two samples
 * is charged in full.
 */
const beyond = (res) => {
  const p = res.profile;
  if (!p || p.code !== 0 || !p.memory?.samples) return null;
  return p.memory.beyondScrypt + Math.max(0, (p.rss ?? 0) - p.memory.total);
};

export function renderMarkdown(env, results) {
  const out = [];
  const when = env.started.toISOString().replace('T', ' ').slice(0, 16);
  out.push(`# qubes-backup benchmark, ${when} UTC`, '');
  out.push(`Commit ${env.commit}${env.dirty ? ' (packages/ had uncommitted changes)' : ''}; Node ${env.node}; ${env.cpu}; ` +
    `median of ${env.runs} run(s)${env.quick ? '; --quick (large cases skipped)' : ''}` +
    `${env.scale !== 1 ? `; **--scale ${env.scale}: development run, not comparable**` : ''}. ` +
    `${env.buildFailed ? '**`npm run build` failed: the existing dist/ builds were measured.** ' : ''}` +
    'The machine is shared: the 1-minute load average is given before → after each case.', '');

  const cmp = results.filter((r) => r.c.compare);
  if (cmp.length) {
    out.push('## Full restore: ours (`extract`) vs the manual emergency-restore pipeline', '');
    out.push(table(['case', 'backup', 'KDFs', 'ours s', 'manual s', 'ours/manual', 'target', 'ours peak RSS', 'scrypt mem / KDF',
      'ours RSS − 1 / 2 KDFs', 'manual peak RSS', 'ours temp disk', 'manual temp disk', 'load'], cmp.map((r) => {
      const o = med(r.ours, 'wall');
      const t = med(r.theirs, 'wall');
      const oursFailed = !good(r.ours).length;
      return [`${r.c.name}: ${r.c.title}`, gib(r.size), kdfText(r.meta),
        oursFailed ? `fails (exit ${r.ours?.[0]?.code})` : sec(o), sec(t),
        o != null && t ? `**${(o / t).toFixed(2)}×**` : '–', `≤ ${r.c.target.toFixed(2)}×`,
        mib(med(r.ours, 'rss')), r.meta.kdfBytes ? mib(r.meta.kdfBytes) : '–', nets(r), mib(med(r.theirs, 'rss')),
        oursFailed ? '–' : bytes(tempOf(r.ours)), bytes(med(r.theirs, 'temp')), `${load1(r.load[0])} → ${load1(r.load[1])}`];
    })), '');
    out.push('KDFs: scrypt derivations a full restore needs (one per stored `.enc` file, plus the header). ' +
      '"ours RSS − 1 / 2 KDFs" subtracts one and two derivations\' 128·N·r·p (a rough bound; the sampled split ' +
      'below measures what is resident). Temp disk (polled every 150 ms): bytes that appeared in TMPDIR, the working directory or the ' +
      'destination\'s parent, plus how far the destination\'s allocated size rose above its final size (a file written ' +
      'under a temporary name and renamed into place costs nothing); for the manual pipeline, the extracted outer ' +
      'tar and the decrypted chunks.', '');
  }

  const kdf = results.filter((r) => r.floor);
  if (kdf.length) out.push(...kdfSection(kdf));

  const borg = results.filter((r) => r.borg);
  if (borg.length) out.push(...borgSection(borg));
  const wyng = results.filter((r) => r.wyng);
  if (wyng.length) out.push(...wyngSection(wyng));

  const mem = results.filter((r) => r.c.memory);
  if (mem.length) {
    out.push('## Memory: ours, full extract of large backups', '');
    out.push(table(['case', 'backup', 'restored (apparent / on disk)', 'ours s', 'MB/s', 'peak RSS', 'scrypt mem / KDF', 'RSS − 1 / 2 KDFs', 'temp disk', 'load'],
      mem.map((r) => {
        const o = med(r.ours, 'wall');
        const last = good(r.ours).at(-1);
        return [`${r.c.name}: ${r.c.title}`, gib(r.size), last ? `${gib(last.out.apparent)} / ${gib(last.out.allocated)}` : '–',
          o == null ? `fails (exit ${r.ours?.[0]?.code})` : sec(o), o ? (r.size / 1e6 / o).toFixed(0) : '–',
          mib(med(r.ours, 'rss')), mib(r.meta.kdfBytes), nets(r), bytes(tempOf(r.ours)), `${load1(r.load[0])} → ${load1(r.load[1])}`];
      })), '');
  }

  const prof = results.filter((r) => r.profile);
  if (prof.length) {
    out.push('## Memory: peak RSS beyond scrypt\'s own memory (one sampled run per case)', '');
    out.push(table(['case', 'peak RSS (GNU time)', 'sampled peak', 'peak of RSS − resident scrypt', 'scrypt resident then',
      'derivations resident at most', 'beyond scrypt, bound', 'whole tree (sampled RSS / PSS)', 'samples'], prof.map((r) => {
      const m = r.profile.memory ?? {};
      return [`${r.c.name}: ${r.c.title}`, mib(r.profile.rss), mib(m.total), mib(m.beyondScrypt), mib(m.scryptAtPeak),
        r.meta.kdfBytes ? `${m.maxKdfs} × ${mib(r.meta.kdfBytes)}` : '–', `**${mib(beyond(r))}**`, `${mib(m.tree)} / ${mib(m.treePss)}`, String(m.samples ?? 0)];
    })), '');
    out.push('A separate `extract` run per case, under GNU time, while the bench reads /proc/<pid>/smaps of the largest ' +
      'process every 5 ms. A scrypt derivation is one anonymous mapping of 128·N·r·p bytes (+ < 4 MiB); its resident ' +
      'pages are subtracted. "Bound" adds to the largest sampled difference the part of GNU time\'s exact peak the ' +
      'samples missed. Ours derives up to one key per core at once (format-4 key look-ahead), so one scrypt ' +
      'derivation is not a fixed amount to subtract. "Whole tree": the peak of the RSS summed over every process of the ' +
      'command (the `qubes-backup` wrapper re-runs node with its memory settings, so two node processes live; pages ' +
      'they share are counted twice), and of the PSS (each shared page counted once, split between the processes).', '');
  }

  const reads = [];
  for (const r of results) {
    if (r.info) {
      const b = r.infoReads.fileBytes;
      reads.push({ what: '`info`', r, t: med(r.info, 'wall'), read: b, frac: b / r.size, needed: null, target: '< 1 % of the backup', met: b / r.size < 0.01, rchar: r.infoReads.rchar, calls: r.infoReads.calls });
    }
    if (r.select) {
      const s = r.select;
      const b = s.reads.fileBytes;
      // Judged on what storage delivered when it was measured (a chunk read twice comes the second time from the page cache).
      const storage = s.storage?.code === 0 ? s.storage.storageBytes : undefined;
      const judged = storage ?? b;
      reads.push({ what: `\`extract --vm ${s.vm}\``, r, t: med(s.runs, 'wall'), read: b, frac: b / r.size, needed: s, storage, judged,
        target: '≤ 1.05 × needed', met: s.reads.code === 0 ? judged <= 1.05 * s.needed : null, rchar: s.reads.rchar, calls: s.reads.calls, temp: tempOf(s.runs) });
    }
  }
  if (reads.length) {
    out.push('## Bytes read from the backup', '');
    out.push(table(['command', 'case', 'ours s', 'read from backup (strace)', 'of backup', 'read from storage, cold cache (fincore)',
      'needed: qube members + header/qubes.xml', 'read / needed (storage / needed)', 'target', 'met', 'rchar, whole process', 'read calls on backup'], reads.map((x) => [
      x.what, `${x.r.c.name}: ${gib(x.r.size)}`, sec(x.t), bytes(x.read), pct(x.frac), x.storage === undefined ? '–' : bytes(x.storage),
      x.needed ? `${bytes(x.needed.needed)} (${bytes(x.needed.vmBytes)} in ${x.needed.vmMembers} members + ${bytes(x.needed.metaBytes)})` : '–',
      x.needed ? `${(x.read / x.needed.needed).toFixed(3)}×${x.storage === undefined ? '' : ` (${(x.storage / x.needed.needed).toFixed(3)}×)`}` : '–',
      x.target, ok(x.met), bytes(x.rchar), String(x.calls)])), '');
    out.push('"read from backup" sums the return values of read/pread64/readv/preadv on the backup file descriptor ' +
      '(strace -f -y, io_uring off); rchar is the kernel\'s count for the whole process, node\'s own module loading included. ' +
      'A member counts from its first (PAX) header byte to the end of its data. "Read from storage" is what the disk ' +
      'delivered: the page cache emptied first (root only), then the backup\'s pages the run brought in counted by `fincore` ' +
      '(read-ahead included). Format 4 reads each chunk of a local file twice (authenticate, then decrypt) and the ' +
      'second read comes from the page cache, so the target is judged on storage reads where they were measured.', '');
  }

  // Targets, as docs/performance.md states them.
  const by = (n) => results.find((r) => r.c.name === n);
  const rows = [];
  const ratio = (n) => { const r = by(n); const o = r && med(r.ours, 'wall'); const t = r && med(r.theirs, 'wall'); return o != null && t ? o / t : null; };
  for (const [n, t, label] of [['a', 0.55, 'v4 default scrypt: ours ≤ 0.55 × manual'], ['b', 1, 'v4 scrypt logN 14: ours ≤ 1.0 × manual'], ['c', 1, 'v3: ours ≤ 1.0 × manual']]) {
    if (!by(n)) continue;
    const x = ratio(n);
    rows.push([label, x == null ? (good(by(n).ours).length ? 'manual failed' : 'ours fails') : `${x.toFixed(2)}×`, ok(x == null ? false : x <= t)]);
  }
  for (const r of borg) {
    const o = med(r.ours, 'wall');
    const t = med(r.borg.plain, 'wall');
    rows.push([`Borg (case ${r.c.name}): ours ≤ ${r.c.target.toFixed(1)} × \`borg extract\``,
      o == null ? 'ours fails' : t == null ? 'borg failed' : `${(o / t).toFixed(2)}× (${sec(o)} s vs ${sec(t)} s)`, ok(o != null && t != null && o / t <= r.c.target)]);
    const peak = med(r.ours, 'rss');
    rows.push([`Borg (case ${r.c.name}): ours peak RSS ≤ ${r.c.rssTarget / 1e6} MB (GNU time: the largest process)`,
      `${mib(peak)} = ${(peak / 1e6).toFixed(0)} MB`, ok(peak != null && peak <= r.c.rssTarget)]);
    const tree = r.profile?.code === 0 ? r.profile.memory.tree : null;
    const treePss = r.profile?.code === 0 ? r.profile.memory.treePss : null;
    rows.push([`Borg (case ${r.c.name}): the same for the whole process tree (sampled, wrapper included; PSS: shared pages counted once)`,
      tree == null ? '–' : `PSS ${mib(treePss)} = ${(treePss / 1e6).toFixed(0)} MB (RSS summed ${mib(tree)}, the node binary counted in both processes)`,
      ok(treePss == null ? null : treePss <= r.c.rssTarget)]);
    const ch = r.borg.check;
    rows.push([`Borg (case ${r.c.name}): every output identical to borg's and to the source`,
      `${ch.compared} outputs × ${ch.entries} entries, ${ch.failures.length ? `${ch.failures.length} difference(s) (see Failures)` : 'no difference'}`,
      ok(ch.failures.length === 0 && ch.compared > 0)]);
  }
  for (const r of wyng) {
    const o = med(r.ours, 'wall');
    const t = med(r.wyng.receive, 'wall');
    rows.push([`Wyng (case ${r.c.name}): ours ≤ ${r.c.target.toFixed(1)} × \`wyng receive --save-to\``,
      o == null ? 'ours fails' : t == null ? 'wyng failed' : `${(o / t).toFixed(2)}× (${sec(o)} s vs ${sec(t)} s)`, ok(o != null && t != null && o / t <= r.c.target)]);
    const ch = r.wyng.check;
    rows.push([`Wyng (case ${r.c.name}): every output's sha256 equal to the volume sent`,
      `${ch.compared} outputs, ${ch.failures.length ? `${ch.failures.length} difference(s) (see Failures)` : 'no difference'}`, ok(ch.failures.length === 0 && ch.compared > 0)]);
  }
  const measured = results.filter((r) => beyond(r) != null);
  if (measured.length) {
    const worst = measured.reduce((a, r) => (beyond(r) > beyond(a) ? r : a));
    rows.push(['peak RSS beyond scrypt\'s memory ≤ 200 MB (every case)', `${mib(beyond(worst))} = ${(beyond(worst) / 1e6).toFixed(0)} MB ` +
      `(worst: case ${worst.c.name}; ${measured.map((r) => `${r.c.name} ${mib(beyond(r))}`).join(', ')})`, ok(beyond(worst) <= 200e6)]);
  }
  for (const [small, big] of [['e', 'e2'], ['g', 'g2']]) {
    if (by(small) && by(big) && beyond(by(small)) != null && beyond(by(big)) != null) {
      const d = beyond(by(big)) - beyond(by(small));
      rows.push([`flat for 2× input (${big} vs ${small}: grows < 10 % or < 20 MiB)`,
        `${mib(beyond(by(small)))} → ${mib(beyond(by(big)))} (${d >= 0 ? '+' : ''}${mib(d)})`, ok(d < Math.max(20 * MiB, 0.1 * beyond(by(small))))]);
    }
  }
  for (const x of reads) {
    rows.push([x.needed ? `\`extract --vm ${x.needed.vm}\` reads < 5 % beyond what it needs (case ${x.r.c.name})` : `\`info\` reads < 1 % of the backup (case ${x.r.c.name})`,
      x.needed ? `${(x.judged / x.needed.needed).toFixed(3)}× needed${x.storage === undefined ? '' : ` from storage (cold cache; ${(x.read / x.needed.needed).toFixed(3)}× in read calls)`}` : pct(x.frac), ok(x.met)]);
  }
  const temps = results.flatMap((r) => [...good(r.ours), ...good(r.select?.runs)]);
  if (temps.length) {
    const worst = Math.max(...temps.map((t) => t.temp.peakExtraBytes));
    const names = strays([...temps]);
    const moved = renamed(temps);
    rows.push(['temp disk 0 beyond the output', `${bytes(worst)}${names.length ? ` (outside the output: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})` : ', nothing appeared outside the output'}` +
      `${moved.length ? `; ${moved.length} file(s) in the output were renamed or removed before the end (e.g. ${moved[0]})` : ''}`, ok(worst === 0 && names.length === 0)]);
  }
  if (rows.length) out.push('## Targets', '', table(['target', 'measured', 'met'], rows), '');

  const errs = results.flatMap((r) => r.errors.map((e) => `- case ${r.c.name}: ${e}`));
  if (errs.length) out.push('## Failures', '', ...errs, '');

  out.push('## Runs', '');
  for (const r of results) {
    const list = (runs) => (runs ?? []).map((x) => (x.code === 0 ? sec(x.wall) : `exit ${x.code}`)).join(', ');
    const parts = [];
    if (r.ours) parts.push(`ours ${list(r.ours)} s (RSS ${(r.ours).map((x) => mib(x.rss)).join(', ')})`);
    if (r.theirs?.length) parts.push(`manual ${list(r.theirs)} s (RSS ${r.theirs.map((x) => mib(x.rss)).join(', ')})`);
    if (r.info) parts.push(`info ${list(r.info)} s (RSS ${r.info.map((x) => mib(x.rss)).join(', ')})`);
    if (r.select) parts.push(`extract --vm ${r.select.vm} ${list(r.select.runs)} s (RSS ${r.select.runs.map((x) => mib(x.rss)).join(', ')})`);
    if (r.wyng) parts.push(`wyng receive ${list(r.wyng.receive)} s (RSS ${r.wyng.receive.map((x) => mib(x.rss)).join(', ')})`);
    if (r.borg) {
      parts.push(`borg extract ${list(r.borg.plain)} s (RSS ${r.borg.plain.map((x) => mib(x.rss)).join(', ')})`,
        `borg extract --sparse ${list(r.borg.sparse)} s (RSS ${r.borg.sparse.map((x) => mib(x.rss)).join(', ')})`,
        `borg list ${list(r.borg.list)} s (RSS ${r.borg.list.map((x) => mib(x.rss)).join(', ')})`);
    }
    out.push(`- ${r.c.name} (\`${r.backup}\`, ${r.size} bytes): ${parts.join('; ')}. Load: ${r.load[0]} → ${r.load[1]}`);
  }
  out.push('');
  return out.join('\n');
}

const cpuOf = (runs) => (good(runs).length ? `${sec(med(runs, 'user'))} + ${sec(med(runs, 'sys'))}` : '–');
const disk = (runs) => { const x = good(runs).at(-1); return x ? `${mib(x.out.allocated)} / ${mib(x.out.apparent)}` : '–'; };

/** Case f: ours against `borg extract` on the same repository. */
function borgSection(rs) {
  const out = ['## Borg repository: ours (`extract REPO::ARCHIVE`) vs `borg extract`', ''];
  out.push(table(['case', 'repository', 'source', 'ours s', 'borg extract s', 'ours/borg', 'target', 'borg --sparse s',
    'ours user + sys s', 'borg user + sys s', 'borg --sparse user + sys s', 'load'], rs.map((r) => {
    const o = med(r.ours, 'wall');
    const t = med(r.borg.plain, 'wall');
    const src = r.borg.source;
    const st = r.borg.stats;
    return [`${r.c.name}: ${r.c.title}`, gib(r.size),
      `${gib(src.bytes)} in ${src.files} files${st ? ` (borg: ${mib(st.compressed_size)} compressed, ${mib(st.deduplicated_size)} deduplicated)` : ''}`,
      o == null ? `fails (exit ${r.ours?.[0]?.code})` : sec(o), sec(t), o != null && t ? `**${(o / t).toFixed(2)}×**` : '–',
      `≤ ${r.c.target.toFixed(2)}×`, sec(med(r.borg.sparse, 'wall')), cpuOf(r.ours), cpuOf(r.borg.plain), cpuOf(r.borg.sparse),
      `${load1(r.load[0])} → ${load1(r.load[1])}`];
  })), '');
  out.push(table(['case', 'ours peak RSS (GNU time)', 'ours whole tree (sampled RSS / PSS)', 'borg peak RSS', 'borg --sparse peak RSS',
    'read from repository: ours / borg', 'rchar: ours / borg', 'read calls: ours / borg', 'output on disk / apparent: ours',
    'borg', 'borg --sparse', 'outputs identical'], rs.map((r) => {
    const rd = r.borg.reads;
    const ch = r.borg.check;
    return [`${r.c.name}`, mib(med(r.ours, 'rss')), r.profile?.memory ? `${mib(r.profile.memory.tree)} / ${mib(r.profile.memory.treePss)}` : '–', mib(med(r.borg.plain, 'rss')),
      mib(med(r.borg.sparse, 'rss')), `${bytes(rd.ours.fileBytes)} / ${bytes(rd.borg.fileBytes)}`, `${bytes(rd.ours.rchar)} / ${bytes(rd.borg.rchar)}`,
      `${rd.ours.calls} / ${rd.borg.calls}`, disk(r.ours), disk(r.borg.plain), disk(r.borg.sparse),
      ch.failures.length ? `**no** (${ch.failures.length})` : `yes (${ch.compared} outputs)`];
  })), '');
  const infoRows = rs.filter((r) => r.info).map((r) => [`${r.c.name}`, sec(med(r.info, 'wall')), mib(med(r.info, 'rss')),
    bytes(r.infoReads?.fileBytes), sec(med(r.borg.list, 'wall')), mib(med(r.borg.list, 'rss'))]);
  if (infoRows.length) {
    out.push(table(['case', 'ours `info REPO` s', 'ours info peak RSS', 'ours info read from repository', '`borg list REPO` s', 'borg list peak RSS'], infoRows), '');
  }
  out.push('Each round runs ours (`extract REPO::ARCHIVE --dest <fresh dir>/out --no-progress`, passphrase in ' +
    '`QUBES_BACKUP_PASSPHRASE`), `borg extract REPO::ARCHIVE` and `borg extract --sparse` (both in an empty folder, ' +
    '`BORG_PASSPHRASE` set, a private `BORG_BASE_DIR`), the order rotated each round; the repository is read once before ' +
    'timing. Plain `borg extract` is the baseline: it writes every zero; `--sparse` (and ours) leave all-zero chunks as holes, ' +
    'hence the smaller output on disk. User + sys: CPU seconds from GNU time. Every output is walked after its run: type, ' +
    'mode, mtime (ns), size and sha256 of every file, symlink targets; each is compared with the generator\'s record of ' +
    'the source and with the first plain `borg extract` output. "Read from repository": read-family calls on files under ' +
    'the repository folder (strace, one more run of each); rchar is the whole process tree\'s (interpreters and modules ' +
    'included). Output on disk: allocated / apparent bytes (du). `borg list REPO` lists the archives, the nearest borg ' +
    'command to ours\' `info REPO`.', '');
  return out;
}

/** Cases g, g2: ours against `wyng receive --save-to` on the same archive. */
function wyngSection(rs) {
  const out = ['## Wyng archive: ours (`extract ARCHIVE`) vs `wyng receive VOLUME --save-to FILE`', ''];
  out.push(table(['case', 'archive', 'volume', 'ours s', 'wyng s', 'ours/wyng', 'target', 'ours user + sys s', 'wyng user + sys s',
    'ours peak RSS', 'wyng peak RSS', 'read from archive: ours / wyng', 'output on disk / apparent: ours', 'wyng', 'temp disk: ours / wyng',
    'outputs identical', 'load'], rs.map((r) => {
    const o = med(r.ours, 'wall');
    const t = med(r.wyng.receive, 'wall');
    const rd = r.wyng.reads;
    const ch = r.wyng.check;
    return [`${r.c.name}: ${r.c.title}`, gib(r.size), `${gib(r.wyng.source.size)}, ${mib(r.wyng.source.data)} of it data, the rest holes`,
      o == null ? `fails (exit ${r.ours?.[0]?.code})` : sec(o), sec(t), o != null && t ? `**${(o / t).toFixed(2)}×**` : '–',
      `≤ ${r.c.target.toFixed(2)}×`, cpuOf(r.ours), cpuOf(r.wyng.receive), mib(med(r.ours, 'rss')), mib(med(r.wyng.receive, 'rss')),
      `${bytes(rd.ours.fileBytes)} / ${bytes(rd.wyng.fileBytes)}`, disk(r.ours), disk(r.wyng.receive),
      `${bytes(tempOf(r.ours))} / ${bytes(tempOf(r.wyng.receive))}`,
      ch.failures.length ? `**no** (${ch.failures.length})` : `yes (${ch.compared} outputs)`, `${load1(r.load[0])} → ${load1(r.load[1])}`];
  })), '');
  out.push(`Wyng ${rs[0].wyng.version} (\`src/wyng\` of tasket/wyng-backup, on Debian's python3) made the archive from a btrfs ` +
    'subvolume of a loop-mounted image (`arch-init` with its defaults, `add`, `send`; lib/make-wyng-archive.mjs). Each round runs ' +
    'ours (`extract ARCHIVE --dest <fresh dir>/out --no-progress`, passphrase in `QUBES_BACKUP_PASSPHRASE`) and `wyng receive ' +
    'VOLUME --save-to=<fresh dir>/out/volume.img` (`--passcmd`, `--authmin=0` so no agent keeps the key between runs, a fresh ' +
    'empty `--meta-dir` next to the output, so it reads the archive\'s metadata each time as ours does; that folder is its temp ' +
    'disk), the order rotated each round; the archive is read once before timing. Both derive two keys per run, the metadata key and the data key ' +
    '(scrypt N 2^19, r 8: 512 MiB each); Wyng one after the other, ours side by side when a second core and half the free ' +
    'memory allow (hence its peak RSS: both derivations at once, then ~150 MiB). Each output\'s sha256 is compared with the volume that was sent. ' +
    'Both write holes for zero chunks.', '');
  return out;
}

const GiB = 2 ** 30;
const cpuText = (runs) => `${sec(med(runs, 'user'))} / ${sec(med(runs, 'sys'))}`;

/** KDF-bound cases (issue 14): ours against the KDF floor and the manual pipeline, whole-process figures. */
function kdfSection(results) {
  const out = ['## KDF-bound: ours against the KDF floor (whole-process figures)', ''];
  out.push(table(['case', 'KDFs', 'run', 'wall s', 'user / sys s', 'peak RSS', 'ours / it', 'target'], results.flatMap((r) => {
    const o = med(r.ours, 'wall');
    const rows = [['ours `extract`', r.ours, null, null], ['manual pipeline', r.theirs, med(r.theirs, 'wall'), `≤ ${r.c.target.toFixed(2)}×`],
      ['KDF floor: the same KDFs back to back, our scrypt', r.floor, med(r.floor, 'wall'), '≤ 1.10×'],
      ['the same with node:crypto\'s scrypt (reference)', r.floorCrypto, med(r.floorCrypto, 'wall'), null]];
    return rows.map(([what, runs, t, target], i) => [i === 0 ? `${r.c.name}: ${r.c.title}` : '', i === 0 ? kdfText(r.meta) : '', what,
      sec(med(runs, 'wall')), cpuText(runs), mib(med(runs, 'rss')), t && o != null ? `**${(o / t).toFixed(2)}×**` : '–', target ?? '–']);
  })), '');
  out.push(table(['case', 'derivations at once (sampled run)', 'peak RSS bound: at once × 1.07 GiB + 200 MB', 'ours peak RSS', 'met',
    '`info` s', 'two KDFs back to back s', 'info / two', '`info` peak RSS', 'bound 2 × 1.07 GiB + 200 MB'], results.map((r) => {
    const at = r.profile?.memory?.maxKdfs ?? null;
    const bound = at == null ? null : at * 1.07 * GiB + 200e6;
    const rss = med(r.ours, 'rss');
    const info = med(r.info, 'wall');
    return [r.c.name, at == null ? '–' : String(at), bound == null ? '–' : mib(bound), mib(rss), ok(bound == null || rss == null ? null : rss <= bound && rss <= 2.5e9),
      sec(info), sec(r.floor2?.wall), info != null && r.floor2 ? `${(info / r.floor2.wall).toFixed(2)}× (≤ 1.20×)` : '–',
      mib(med(r.info, 'rss')), mib(2 * 1.07 * GiB + 200e6)];
  })), '');
  out.push('Wall, user and system CPU and peak RSS come from GNU time for the whole process tree (peak RSS: the largest ' +
    'process). The floor runs in its own process the KDFs a restore of this backup needs (one per `.enc` member and the ' +
    'header), one after the other, with the scrypt ours uses (WebAssembly ROMix in a worker thread that keeps its ' +
    'memory), and once with node:crypto\'s for reference; "derivations at once" is the most scrypt mappings ' +
    'resident at one moment in the sampled run of ours.', '');
  return out;
}
