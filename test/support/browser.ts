import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, as CI installs it (`apt-get install chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-background-networking'] });
}
