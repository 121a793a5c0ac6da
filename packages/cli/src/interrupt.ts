// Ctrl-C and SIGTERM during a long run. The first asks the work to stop: reads end at the next
// chunk, ciphers wipe their keys as they unwind, completed files stay, and the command prints what
// completed and how to go on. The second, or a run still busy a second later (a 1 GiB scrypt
// derivation cannot be cut short), exits at once: files are renamed only once complete, so what
// the folder holds is still true.
import { Interrupted, EXIT_INTERRUPTED } from './exit-codes.js';

/** How long the work may take to stop after the first signal. */
const GRACE_MS = 1000;

export interface Interruption {
  readonly signal: AbortSignal;
  /** What to print when the process must end before the work stopped (what completed, how to resume). */
  summary?: () => string;
  /** Run (synchronously) when the process must end before the work stopped: removes what only this run needed. */
  readonly atQuit: Set<() => void>;
  /** Stops listening (the run ended). */
  dispose(): void;
}

export function interruptible(): Interruption {
  const controller = new AbortController();
  const state: Interruption = {
    signal: controller.signal,
    atQuit: new Set(),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  const quit = () => {
    for (const f of state.atQuit) {
      try { f(); } catch { /* exiting anyway */ }
    }
    process.stderr.write(`\nqubes-backup: interrupted${state.summary ? `; ${state.summary()}` : ''}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  function onSignal(): void {
    if (controller.signal.aborted) return quit();
    process.stderr.write('\nqubes-backup: stopping (press Ctrl-C again to quit at once)\n');
    controller.abort(new Interrupted());
    setTimeout(quit, GRACE_MS).unref();
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}
