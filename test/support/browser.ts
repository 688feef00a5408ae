import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, as CI installs it (`apt-get install chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The switches the website tests run Chromium with: headless, no sandbox (CI containers run as
 * root), no GPU, and nothing that talks to the network on its own (updates, sync, first-run pages).
 * `--user-data-dir` is not among them because playwright-core refuses it in `launch()`: it adds
 * its own, a fresh temporary folder per launch that it removes on close (test/web/sample checks
 * this on chrome://version).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Headless Chromium; fails with what to install when it is missing, never skips. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the website tests drive a real browser. ` +
        'Install it with `apt-get install chromium` (.ci/run does), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}
