// Peak RSS split into scrypt's own memory and everything else, seen from outside the process.
//
// GNU time gives the exact peak RSS but not what it is made of; ours derives keys in parallel (up to one per
// core), so "RSS − one KDF" over-counts when two derive at the peak and "− two" may under-count. Here the
// largest process of the tree is sampled every few ms through /proc/<pid>/smaps: an scrypt derivation is
// one anonymous mapping of 128·N·r·p bytes (N may differ per chunk) plus a few KiB, or a part of a merged one (OpenSSL allocates B, X·Y and V in one block, and
// glibc mmaps every block above its threshold), so its resident pages can be told apart from the rest.
import { readFileSync } from 'node:fs';

const SLACK = 4 << 20;

function children(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function descendants(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...children(p));
  }
  return out;
}

/**
 * How many derivations an anonymous mapping of `size` bytes holds: the kernel merges adjacent anonymous
 * mappings, so two derivations allocated side by side show as one mapping of twice the size.
 */
function kdfCount(size, kdfSizes, max = 4) {
  const fits = (left, n) => {
    if (n > 0 && left >= 0 && left <= n * SLACK) return n;
    if (n === max) return 0;
    for (const k of kdfSizes) { const r = fits(left - k, n + 1); if (r) return r; }
    return 0;
  };
  return kdfSizes.length ? fits(size, 0) : 0;
}

/**
 * Resident bytes of one process: in all, in anonymous mappings the size of an scrypt derivation
 * (`kdfSizes`: 128·N·r·p of each) that are mostly resident (node:crypto's allocation, or the
 * WebAssembly memory ours derives in and keeps: V8 puts it in a read-write mapping of that size
 * between reserved, never-resident ones), and its proportional share (PSS: a page shared by k processes
 * counts 1/k in each, so a tree's PSS sum counts the node binary a wrapper and its child share once).
 */
export function residentSplit(pid, kdfSizes) {
  let text;
  try { text = readFileSync(`/proc/${pid}/smaps`, 'utf8'); } catch { return null; }
  let total = 0;
  let pss = 0;
  let scrypt = 0;
  let kdfs = 0;
  let mapping = { size: 0, n: 0 };
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = parseInt(head[2], 16) - parseInt(head[1], 16);
      mapping = { size, n: head[3] === '' ? kdfCount(size, kdfSizes) : 0 };
      continue;
    }
    if (line.startsWith('Pss:')) pss += Number(line.split(/\s+/)[1]) * 1024;
    if (line.startsWith('Rss:')) {
      const kib = Number(line.split(/\s+/)[1]) * 1024;
      total += kib;
      if (mapping.n > 0) scrypt += kib;
      // A reservation of the same size that is not resident (guard pages) holds no derivation.
      if (mapping.n > 0 && kib >= mapping.size / 2) kdfs += mapping.n;
    }
  }
  return { total, pss, scrypt, kdfs };
}

/**
 * Samples the process tree under `rootPid` until stop(): the largest process's RSS, and the same minus
 * its scrypt mappings. Returns the peaks of both, how many derivations were resident at most, and `tree`,
 * the peak of the RSS summed over every process below `rootPid` (itself left out: it is /usr/bin/time),
 * which counts a wrapper process as well as the one it starts, and `treePss`, the peak of their PSS summed
 * (pages the processes share counted once: what the tree as a whole holds).
 */
export function sampleMemory(rootPid, kdfSizes, intervalMs = 5) {
  const peak = { total: 0, beyondScrypt: 0, scryptAtPeak: 0, maxKdfs: 0, samples: 0, tree: 0, treePss: 0 };
  const tick = () => {
    let best = null;
    let sum = 0;
    let pss = 0;
    for (const pid of descendants(rootPid)) {
      const s = residentSplit(pid, kdfSizes);
      if (s && pid !== rootPid) { sum += s.total; pss += s.pss; }
      if (s && (!best || s.total > best.total)) best = s;
    }
    if (!best) return;
    peak.samples++;
    peak.tree = Math.max(peak.tree, sum);
    peak.treePss = Math.max(peak.treePss, pss);
    peak.total = Math.max(peak.total, best.total);
    peak.maxKdfs = Math.max(peak.maxKdfs, best.kdfs);
    if (best.total - best.scrypt > peak.beyondScrypt) {
      peak.beyondScrypt = best.total - best.scrypt;
      peak.scryptAtPeak = best.scrypt;
    }
  };
  const timer = setInterval(tick, intervalMs);
  return { stop: () => { clearInterval(timer); tick(); return peak; } };
}
