// Reading a zip back with the two readers people will use on the page's output: Info-ZIP's unzip
// (Debian's) and Python's zipfile. Both are real programs, not a parser of ours, so a layout
// mistake that our own reader would share cannot pass. Used by the zip writer's and the page's tests.
import { execFileSync, spawnSync } from 'node:child_process';

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;
const hasPython = spawnSync('python3', ['-c', 'import zipfile']).status === 0;

/** Why zip tests cannot run here, or undefined when both readers are installed. */
export const zipReadersMissing: string | undefined = !hasUnzip
  ? 'unzip is not installed (apt-get install unzip)'
  : !hasPython ? 'python3 is not installed' : undefined;

/** One entry as Python's zipfile reads it: its data's sha256, Unix mode (with type bits) and DOS date and time. */
export interface ReadEntry {
  readonly sha256: string;
  readonly mode: number;
  readonly dateTime: readonly number[];
}

/** What Python's zipfile reads: testzip's verdict (null when every CRC matches) and every entry by name, in order. */
export function pythonRead(path: string): { bad: string | null; entries: Record<string, ReadEntry> } {
  const script = [
    'import hashlib, json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    // A name without the UTF-8 flag is bytes (zipfile decoded them as cp437): given back as those bytes, escaped like core's utf8.decodeEscaped.
    'name = lambda i: i.filename if i.flag_bits & 0x800 else i.filename.encode("cp437").decode("utf-8", "surrogateescape")',
    'print(json.dumps({"bad": bad, "entries": {name(i): {"sha256": hashlib.sha256(z.read(i)).hexdigest(), "mode": i.external_attr >> 16, "dateTime": list(i.date_time)} for i in z.infolist()}}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { bad: string | null; entries: Record<string, ReadEntry> };
}

/** Runs `unzip` (or its zipinfo mode, -Z) on `path`, in a UTF-8 locale so non-ASCII names print as they are. */
export function unzip(args: readonly string[], path: string): string {
  return execFileSync('unzip', [...args, path], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
}

/** A DOS date and time as zipfile gives it ([y, m, d, h, min, s], local time, even seconds) for `mtime` seconds since the epoch. */
export function dosDateTime(mtime: number): number[] {
  const d = new Date(mtime * 1000);
  return [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds() & ~1];
}
