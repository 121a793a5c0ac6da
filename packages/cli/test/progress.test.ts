// The progress line on a terminal (issue 16): while a key is derived it says so, whole, on an
// 80-column terminal, with the derivation's cost, and no rate or ETA (no byte moves then).
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { progressBar } from '../src/progress.js';

let written = '';
let columns: number | undefined;

beforeEach(() => {
  written = '';
  jest.useFakeTimers();
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { written += String(s); return true; });
  columns = process.stderr.columns;
  process.stderr.columns = 80;
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
  process.stderr.columns = columns!;
});

/** The line as the terminal shows it last (after the last carriage return), without its padding. */
const shown = () => written.slice(written.lastIndexOf('\r') + 1).trimEnd();

test('a wait that lasts is shown whole with its cost, instead of rate and ETA; its end brings them back', () => {
  const p = progressBar(1 << 20, true);
  p.add(256 << 10);
  p.status('deriving the key of vm5/private.img.003.enc');
  p.status('deriving the key of vm5/private.img.003.enc (scrypt, 1.0 GiB, ~3 s)');
  jest.advanceTimersByTime(299);
  expect(shown()).not.toContain('deriving');
  jest.advanceTimersByTime(1);
  expect(shown()).toBe(' 25% deriving the key of vm5/private.img.003.enc (scrypt, 1.0 GiB, ~3 s)…');
  expect(shown().length).toBeLessThan(80);
  p.status(undefined);
  expect(shown()).toMatch(/^\[#{6}\.{18}\]  25% 256\.0 KiB\/1\.0 MiB .*\/s ETA /);
  p.stop();
});

test('a short wait (a small derivation) is never drawn', () => {
  const p = progressBar(1 << 20, true);
  p.status('deriving the key of qubes.xml.000.enc (scrypt, 16.0 MiB, <1 s)');
  jest.advanceTimersByTime(100);
  p.status(undefined);
  jest.advanceTimersByTime(1000);
  expect(written).not.toContain('deriving');
  p.stop();
});
