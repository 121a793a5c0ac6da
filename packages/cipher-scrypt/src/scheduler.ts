/** What a machine gives key derivations: cores, and bytes of memory all derivations in flight share. */
export interface DerivationBudget {
  readonly cores: number;
  readonly memory: number;
}

export interface ScheduleOptions {
  /** Needed now (the unit being read, the backup header): goes before derivations made ahead of use. */
  readonly urgent?: boolean;
  /** Aborts the wait for a turn (a derivation already running cannot be stopped). */
  readonly signal?: AbortSignal;
}

/** What a scheduler did so far: for tests, benchmarks and `--json` figures. */
export interface SchedulerStats {
  /** Derivations allowed at once now. */
  readonly level: number;
  /** Most derivations in flight at any moment, and the most memory they held together. */
  readonly maxInFlight: number;
  readonly maxMemory: number;
  /** Derivations finished. */
  readonly finished: number;
}

interface Waiter {
  readonly weight: number;
  readonly urgent: boolean;
  readonly go: (r: Running) => void;
}

interface Running {
  readonly weight: number;
  /** Which of the places (0 … level − 1) it took, and whether that place had run one before. */
  readonly slot: number;
  readonly warm: boolean;
  readonly start: number;
  /** Time spent at each number of derivations in flight (index = count). */
  readonly at: number[];
}

/** A higher level is kept only if it derives at least this much faster in total. */
const GAIN = 1.15;
/** A derivation counts as run at level L when it spent this share of its time with L in flight. */
const CLEAN = 0.8;
/**
 * After this many derivations at a settled level, the levels are measured again from one: the
 * machine's load changes during a long restore, and one sample per level can mislead. Each new
 * measurement costs a derivation run alone where two pay, or a pair run at once where they do not
 * (on the simulated machines of the tests: under 1 % of the time).
 */
const REPROBE_AFTER = 32;

/**
 * One budget for every scrypt derivation of a process: the look-ahead's, the unit being read and the
 * backup header's. A 1 GiB derivation (logN 20, r 8) costs its memory and seconds of page faults, and
 * on some machines two at once take as long as two in a row (memory bandwidth, not cores, is the
 * limit). So derivations run one at a time at first; once one has been timed alone, a second is let
 * in beside it, and kept only while it raises the derivation throughput by GAIN (then a third, and
 * so on up to the cores). Memory in flight never exceeds the budget, except that one derivation may
 * always run. Urgent requests go before the others; otherwise first come, first served.
 * The first derivation in each place is not timed: an engine that keeps its memory per thread (the
 * WebAssembly one) pays for fresh pages then, twice the time of the derivations after it. Every
 * REPROBE_AFTER derivations after settling, it measures again from one at a time.
 */
export class DerivationScheduler {
  private budgetNow: DerivationBudget | undefined;
  private readonly queue: Waiter[] = [];
  private readonly running = new Set<Running>();
  private memory = 0;
  private lastChange = 0;
  /** Measured speeds (weight per ms) of derivations that ran at one level, by level. */
  private readonly speeds = new Map<number, number[]>();
  private currentLevel = 1;
  /** Places that ran a derivation before (a thread whose memory is in place). */
  private readonly warmed: boolean[] = [];
  private settled = false;
  /** Derivations finished since the level settled. */
  private sinceSettled = 0;
  private stats_ = { maxInFlight: 0, maxMemory: 0, finished: 0 };
  /** How long the last derivation of each size took (ms), for what people are told to expect. */
  private readonly lastTook = new Map<number, number>();

  /** `budget` is read once, at the first derivation (available memory before ours took any). */
  constructor(private readonly budget: DerivationBudget | (() => DerivationBudget), private readonly now: () => number = () => performance.now()) {}

  get stats(): SchedulerStats {
    return { level: this.currentLevel, ...this.stats_ };
  }

  /** About how long (ms) a derivation of `weight` bytes takes here: the last one's time, once one ran. */
  estimate(weight: number): number | undefined {
    return this.lastTook.get(weight);
  }

  /** Runs `work` (a derivation needing `weight` bytes) when the budget has room for it. */
  async run<T>(weight: number, work: () => Promise<T>, opts: ScheduleOptions = {}): Promise<T> {
    const r = await this.turn(weight, opts);
    try {
      return await work();
    } finally {
      this.end(r);
    }
  }

  private get limits(): DerivationBudget {
    this.budgetNow ??= typeof this.budget === 'function' ? this.budget() : this.budget;
    return this.budgetNow;
  }

  private fits(weight: number): boolean {
    const n = this.running.size;
    return n === 0 || (n < this.currentLevel && this.memory + weight <= this.limits.memory);
  }

  private turn(weight: number, { urgent = false, signal }: ScheduleOptions): Promise<Running> {
    signal?.throwIfAborted();
    if (this.queue.length === 0 && this.fits(weight)) return Promise.resolve(this.begin(weight));
    return new Promise<Running>((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason);
        this.pump();
      };
      const waiter: Waiter = { weight, urgent, go: (r) => { signal?.removeEventListener('abort', onAbort); resolve(r); } };
      // Urgent waiters go after the urgent ones already waiting and before all others.
      const at = urgent ? this.queue.findIndex((w) => !w.urgent) : -1;
      if (at >= 0) this.queue.splice(at, 0, waiter); else this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.weight)) {
      const w = this.queue.shift()!;
      // Running from now on, so that the next waiter sees its memory and count.
      w.go(this.begin(w.weight));
    }
  }

  private begin(weight: number): Running {
    this.tick();
    let slot = 0;
    while ([...this.running].some((x) => x.slot === slot)) slot++;
    const r: Running = { weight, slot, warm: this.warmed[slot] === true, start: this.now(), at: [] };
    this.warmed[slot] = true;
    this.running.add(r);
    this.memory += weight;
    this.stats_.maxInFlight = Math.max(this.stats_.maxInFlight, this.running.size);
    this.stats_.maxMemory = Math.max(this.stats_.maxMemory, this.memory);
    return r;
  }

  private end(r: Running): void {
    this.tick();
    this.running.delete(r);
    this.memory -= r.weight;
    this.stats_.finished++;
    this.lastTook.set(r.weight, this.now() - r.start);
    this.learn(r);
    if (this.settled && ++this.sinceSettled >= REPROBE_AFTER) this.reprobe();
    this.pump();
  }

  /** Adds the time since the last change to every running derivation, at the current count. */
  private tick(): void {
    const t = this.now();
    const n = this.running.size;
    for (const r of this.running) r.at[n] = (r.at[n] ?? 0) + (t - this.lastChange);
    this.lastChange = t;
  }

  private learn(r: Running): void {
    const took = this.now() - r.start;
    if (took <= 0 || !r.warm) return;
    const level = r.at.findIndex((ms) => ms !== undefined && ms >= CLEAN * took);
    if (level < 1) return; // A mixed run says nothing about either level.
    const list = this.speeds.get(level) ?? [];
    list.push(r.weight / took);
    this.speeds.set(level, list);
    const L = this.currentLevel;
    if (this.settled || level !== L) return;
    // Level L was let in after a sample at L − 1, so both have speeds.
    if (L > 1 && (L * mean(list)) / ((L - 1) * mean(this.speeds.get(L - 1)!)) < GAIN) {
      this.currentLevel = L - 1;
      this.settled = true;
      return;
    }
    this.raise(r.weight);
  }

  /** Forgets what was measured and starts again at one derivation at a time. */
  private reprobe(): void {
    this.speeds.clear();
    this.currentLevel = 1;
    this.settled = false;
    this.sinceSettled = 0;
  }

  /** Lets one more derivation in, if the cores and the memory allow one more of this size. */
  private raise(weight: number): void {
    const next = this.currentLevel + 1;
    if (next > this.limits.cores || next * weight > this.limits.memory) { this.settled = true; return; }
    this.currentLevel = next;
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
