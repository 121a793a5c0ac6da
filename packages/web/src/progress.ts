import { formatBytes } from '@qubes-backup/core';

/** The progress bar and its text: percentage in `aria-valuenow`, bytes, rate and time left in words. */
export interface ProgressView {
  /** Starts a new task: `total` bytes expected, or undefined when unknown (the bar then shows activity only). */
  start(label: string, total?: number): void;
  /** `bytes` more were done. */
  add(bytes: number): void;
  done(): void;
}

/** How often the text is redrawn: often enough to look alive, rarely enough to cost nothing. */
const REDRAW_MS = 200;

export function progressView(bar: HTMLElement, text: HTMLElement, box: HTMLElement): ProgressView {
  let total: number | undefined;
  let done = 0;
  let started = 0;
  let label = '';
  let last = 0;
  const draw = () => {
    last = performance.now();
    const secs = (last - started) / 1000;
    const rate = secs > 0.5 ? done / secs : 0;
    const parts = [label, total !== undefined ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done)];
    if (rate > 0) parts.push(`${formatBytes(rate)}/s`);
    if (rate > 0 && total !== undefined && total > done) parts.push(`about ${duration((total - done) / rate)} left`);
    text.textContent = parts.join(' · ');
    if (total !== undefined && total > 0) {
      const pct = Math.min(100, Math.floor((done / total) * 100));
      bar.setAttribute('aria-valuenow', String(pct));
      bar.style.setProperty('--done', `${pct}%`);
      bar.removeAttribute('data-busy');
    } else {
      bar.setAttribute('aria-valuenow', '0');
      bar.setAttribute('data-busy', '');
    }
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      done = 0;
      started = performance.now();
      box.hidden = false;
      draw();
    },
    add(n) {
      done += n;
      if (performance.now() - last >= REDRAW_MS) draw();
    },
    done() {
      draw();
      box.hidden = true;
    },
  };
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.ceil(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
