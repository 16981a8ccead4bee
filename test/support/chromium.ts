import { type Browser, chromium } from 'playwright-core';
import { findBinary } from './require-binary.js';

/**
 * Debian's Chromium, headless (playwright-core drives it; no browser is ever downloaded).
 * `--autoplay-policy` lets the board's alarm tone play without a click, as a kiosk-mode wall
 * screen is set up to.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: findBinary('chromium') ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
