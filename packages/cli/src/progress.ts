import { formatBytes } from '@qubes-backup/core';

/** A one-line progress display on stderr (only on a terminal): bytes read, rate, ETA when the size is known. */
export interface Progress {
  add(bytes: number): void;
  /** The backup's size, when it became known only once opened (a URL). */
  total(bytes: number): void;
  note(text: string): void;
  /**
   * What the work waits on (a key derivation), shown instead of the note once it lasted a moment;
   * undefined when the wait is over.
   */
  status(text: string | undefined): void;
  /** Clears the line and draws nothing until `resume` (while a passphrase is asked). */
  pause(): void;
  resume(): void;
  stop(): void;
}

export function progressBar(total: number | undefined, enabled = Boolean(process.stderr.isTTY)): Progress {
  if (!enabled) return { add() {}, total() {}, note() {}, status() {}, pause() {}, resume() {}, stop() {} };
  const start = Date.now();
  let done = 0;
  let label = '';
  let waiting: string | undefined;
  let waitTimer: NodeJS.Timeout | undefined;
  let last = 0;
  let paused = false;
  const clear = () => process.stderr.write(`\r${' '.repeat((process.stderr.columns || 100) - 1)}\r`);
  const draw = (force = false) => {
    if (paused) return;
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    const pct = total ? `${Math.min(100, (done / total) * 100).toFixed(0).padStart(3)}%` : undefined;
    let line: string;
    if (waiting !== undefined) {
      // While a key is derived no byte moves, so rate and ETA say nothing: the wait's own words take
      // their place (they tell the derivation's memory and time), kept whole on an 80-column terminal.
      line = `${pct ?? formatBytes(done)} ${waiting}`;
    } else {
      const rate = done / Math.max((now - start) / 1000, 0.001);
      if (total) {
        const width = 24;
        const fill = Math.round(Math.min(1, done / total) * width);
        const eta = rate > 0 ? (total - done) / rate : 0;
        line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct} ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(rate)}/s ETA ${fmtTime(eta)}`;
      } else {
        line = `${formatBytes(done)} ${formatBytes(rate)}/s`;
      }
      line += ` ${label}`;
    }
    const cols = process.stderr.columns || 100;
    process.stderr.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
  };
  return {
    add(n) { done += n; draw(); },
    total(n) { total ??= n; },
    status(text) {
      clearTimeout(waitTimer);
      if (text === undefined) { if (waiting !== undefined) { waiting = undefined; draw(true); } return; }
      // Short waits (a 16 MiB derivation) would only flicker: shown once it lasted 300 ms.
      waitTimer = setTimeout(() => { waiting = `${text}…`; draw(true); }, 300).unref();
    },
    note(text) { label = text; draw(true); },
    pause() { paused = true; clear(); },
    resume() { paused = false; },
    stop() { clearTimeout(waitTimer); clear(); },
  };
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
