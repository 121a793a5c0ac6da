import type { ChunkRef } from './chunk-list.js';

/** One chunk a file will read: fetched ahead, or when it is taken. */
export interface Slot {
  readonly chunk: ChunkRef;
  /** The file, for messages. */
  readonly what: string;
  fetched?: Promise<Uint8Array>;
  done: boolean;
}

/**
 * Plaintext bytes fetched and not yet taken, at most (one chunk is always allowed). 8 MiB, not 16:
 * a 1 GiB lz4 repository (bench case f) restored as fast, with 7-14 MB less peak RSS (its target
 * is 200 MB), three runs each.
 */
const BUDGET = 8 << 20;
/** Chunks fetched and not yet taken, at most: small files would otherwise put hundreds in flight. */
const MAX_AHEAD = 16;

/**
 * Fetches chunks before they are needed, in the order they will be taken: while one file is
 * written, the reads of the next chunks (and of the next files' chunks) are under way and their
 * decryption follows as each arrives, where a one-at-a-time restore waited for each in turn.
 * Bounded by bytes (the chunk lists' sizes) and by count; what is planned but never taken (a file
 * passed over or left half read) is dropped and its bytes let go.
 */
export class ChunkPrefetch {
  private queue: Slot[] = [];
  /** The first slot of `queue` not yet started. */
  private head = 0;
  private heldBytes = 0;
  private heldCount = 0;

  constructor(private readonly fetch: (chunk: ChunkRef, what: string) => Promise<Uint8Array>) {}

  /** Plans a file's chunks, to be taken in this order, and starts what the budget allows. */
  plan(chunks: readonly ChunkRef[], what: string): Slot[] {
    const slots = chunks.map((chunk): Slot => ({ chunk, what, done: false }));
    for (const s of slots) this.queue.push(s);
    this.pump();
    return slots;
  }

  /** True while every planned chunk is under way and there is room for more: planning more would start them now. */
  get hungry(): boolean {
    return this.head >= this.queue.length && this.heldBytes < BUDGET && this.heldCount < MAX_AHEAD;
  }

  /** A slot's bytes: fetched ahead, or fetched now. Errors are the fetch's own. */
  take(slot: Slot): Promise<Uint8Array> {
    const p = slot.fetched ?? this.fetch(slot.chunk, slot.what);
    this.release(slot);
    this.pump();
    return p;
  }

  /** Lets go of slots never taken. */
  drop(slots: readonly Slot[]): void {
    for (const s of slots) this.release(s);
    this.pump();
  }

  private release(slot: Slot): void {
    if (slot.done) return;
    if (slot.fetched) { this.heldBytes -= slot.chunk.size; this.heldCount--; }
    // The slot no longer holds its bytes: a file's slots live as long as its reading.
    slot.fetched = undefined;
    slot.done = true;
  }

  private pump(): void {
    while (this.head < this.queue.length) {
      const s = this.queue[this.head]!;
      if (s.done) { this.head++; continue; }
      if (this.heldCount > 0 && (this.heldBytes + s.chunk.size > BUDGET || this.heldCount >= MAX_AHEAD)) break;
      this.head++;
      s.fetched = this.fetch(s.chunk, s.what);
      // Seen when taken; a slot dropped unseen must not become an unhandled rejection.
      s.fetched.catch(() => undefined);
      this.heldBytes += s.chunk.size;
      this.heldCount++;
    }
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
