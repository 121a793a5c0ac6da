import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the browser the page is tested in (Playwright's own downloads are not used). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium's path, installing it with apt-get when missing and this runs as root (CI does); else
 * undefined and the reason, so the suite skips saying why rather than failing on a machine without it.
 */
export function findChromium(): { path?: string; reason?: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  if (process.getuid?.() !== 0) return { reason: `${CHROMIUM} is missing and installing it needs root (apt-get install chromium)` };
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'ignore', timeout: 600_000 });
  } catch (e) {
    return { reason: `installing chromium with apt-get failed: ${(e as Error).message}` };
  }
  return existsSync(CHROMIUM) ? { path: CHROMIUM } : { reason: `apt-get ran but ${CHROMIUM} is still missing` };
}

/** Headless Chromium; as root it needs --no-sandbox (Chromium refuses to start its sandbox as root). */
export function launch(path: string): Promise<Browser> {
  return chromium.launch({ executablePath: path, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
