import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Whether a test that needs an installed tool (socat) can run. Without it the suite is skipped
 * with a loud warning; under CI=true a missing tool is a failure, because CI must install it.
 */
export function requireBinary(name: string, installHint: string): boolean {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, name)));
  if (found) return true;
  const message = `${name} is not installed (${installHint}); the tests that need it cannot run`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`\n!!!!!!!!!!\n!! SKIPPING: ${message}\n!!!!!!!!!!\n`);
  return false;
}
