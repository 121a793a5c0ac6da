import { BLOCK_WASM_BASE64 } from './block-wasm.js';

/** Slack after the input and the output: block.wat's 8-byte copies may run up to 16 bytes past either end. */
const WILD = 32;
/**
 * The largest input + output decoded this way. WebAssembly memory only grows, and what it grew to
 * stays with the process: Borg chunks are a few MiB (at most 8 MiB with borg's default chunker),
 * larger blocks stream through the TypeScript decoder instead.
 */
const MAX_BYTES = 24 << 20;
const PAGE = 64 << 10;

interface BlockModule {
  readonly memory: WebAssembly.Memory;
  decode(src: number, srcEnd: number, dst: number, cap: number): number;
}

let loaded: BlockModule | null | undefined;

/** The module, compiled on first use; null where WebAssembly is missing or forbidden (a page whose CSP has no 'wasm-unsafe-eval'). */
function blockModule(): BlockModule | null {
  if (loaded !== undefined) return loaded;
  try {
    const bytes = Uint8Array.from(atob(BLOCK_WASM_BASE64), (c) => c.charCodeAt(0));
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as BlockModule;
    loaded = exports;
  } catch {
    loaded = null;
  }
  return loaded;
}

/**
 * A whole block's output when it is valid and at most `cap` bytes, decoded in WebAssembly (several
 * times faster than the streaming decoder on short sequences); undefined otherwise: invalid, larger
 * than `cap`, too large for this path, or no WebAssembly here. The caller then runs the streaming
 * decoder, which gives the same output or says exactly what is wrong.
 */
export function decodeWholeBlock(block: Uint8Array, cap: number): Uint8Array | undefined {
  if (block.length + cap > MAX_BYTES) return undefined;
  const m = blockModule();
  if (!m) return undefined;
  const src = cap + WILD;
  const need = src + block.length + WILD;
  const have = m.memory.buffer.byteLength;
  if (have < need) m.memory.grow(Math.ceil((need - have) / PAGE));
  const memory = new Uint8Array(m.memory.buffer);
  memory.set(block, src);
  const n = m.decode(src, src + block.length, 0, cap);
  return n < 0 ? undefined : memory.slice(0, n);
}
