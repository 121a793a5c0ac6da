import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes in ArrayBuffers that are still reachable: full GCs first, so garbage that V8 has not
 * collected yet does not count (sampling without them measured up to ~115 MB of garbage). Two:
 * V8 frees dead ArrayBuffers on a background thread after a collection returns, so right after
 * one the count still held up to 64 MiB of them (1 MiB buffers dropped in a loop; on a busy
 * fresh-clone CI machine a bomb test read 74 MB for a decoder holding ~16 MiB). The second
 * collection first waits for the first one's freeing to end.
 */
export function liveArrayBuffers(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}
