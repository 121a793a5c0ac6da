/**
 * Where each object of a repository lives, built by replaying segments: 32-byte id → (segment,
 * offset), in an open-addressing table over typed arrays (40 bytes a slot), so a repository of a
 * million objects costs tens of MB, not a Map of strings and objects.
 */
export class ObjectMap {
  private keys: Uint32Array;
  private vals: Uint32Array;
  /** 0 empty, 1 used, 2 deleted. */
  private state: Uint8Array;
  private used = 0;
  private filled = 0;

  constructor(capacity = 1024) {
    const n = 1 << Math.ceil(Math.log2(Math.max(16, capacity)));
    this.keys = new Uint32Array(n * 8);
    this.vals = new Uint32Array(n * 2);
    this.state = new Uint8Array(n);
  }

  get size(): number {
    return this.used;
  }

  get(id: Uint8Array): { segment: number; offset: number } | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : { segment: this.vals[i * 2]!, offset: this.vals[i * 2 + 1]! };
  }

  set(id: Uint8Array, segment: number, offset: number): void {
    if ((this.filled + 1) * 4 > this.state.length * 3) this.grow();
    const i = this.find(id);
    if (i >= 0) { this.vals[i * 2] = segment; this.vals[i * 2 + 1] = offset; return; }
    const mask = this.state.length - 1;
    for (let j = this.slot(id); ; j = (j + 1) & mask) {
      if (this.state[j] !== 1) {
        if (this.state[j] === 0) this.filled++;
        this.state[j] = 1;
        this.keys.set(words(id), j * 8);
        this.vals[j * 2] = segment;
        this.vals[j * 2 + 1] = offset;
        this.used++;
        return;
      }
    }
  }

  delete(id: Uint8Array): void {
    const i = this.find(id);
    if (i < 0) return;
    this.state[i] = 2;
    this.used--;
  }

  private slot(id: Uint8Array): number {
    // Ids are keyed hashes: their first bytes are already uniform.
    return (id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) >>> 0 & (this.state.length - 1);
  }

  private find(id: Uint8Array): number {
    const w = words(id);
    const mask = this.state.length - 1;
    for (let j = this.slot(id), n = 0; n < this.state.length; j = (j + 1) & mask, n++) {
      const s = this.state[j];
      if (s === 0) return -1;
      if (s === 1) {
        let k = 0;
        while (k < 8 && this.keys[j * 8 + k] === w[k]) k++;
        if (k === 8) return j;
      }
    }
    return -1;
  }

  private grow(): void {
    const old = { keys: this.keys, vals: this.vals, state: this.state };
    const n = this.state.length * 2;
    this.keys = new Uint32Array(n * 8);
    this.vals = new Uint32Array(n * 2);
    this.state = new Uint8Array(n);
    this.used = 0;
    this.filled = 0;
    const id = new Uint8Array(32);
    const view = new Uint32Array(id.buffer);
    for (let j = 0; j < old.state.length; j++) {
      if (old.state[j] !== 1) continue;
      view.set(old.keys.subarray(j * 8, j * 8 + 8));
      this.set(id, old.vals[j * 2]!, old.vals[j * 2 + 1]!);
    }
  }
}

function words(id: Uint8Array): Uint32Array {
  const copy = id.byteOffset % 4 === 0 && id.length === 32 ? id : id.slice(0, 32);
  return new Uint32Array(copy.buffer, copy.byteOffset, 8);
}
