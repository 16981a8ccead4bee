import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable on PATH, or null. */
export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Whether a suite that needs an installed server can run. Outside CI a missing server skips
 * the suite with a loud warning; under CI=true a missing server is a failure, because CI
 * must have installed it (.ci/run).
 */
export function requireBinary(name: string, installHint: string): boolean {
  return requireInstalled(findBinary(name) !== null, name, installHint);
}

/** The same rule for anything found another way (e.g. binaries off PATH). */
export function requireInstalled(installed: boolean, what: string, installHint: string): boolean {
  if (installed) return true;
  const message = `${what} is not installed (${installHint}); the suites that need it cannot run`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`\n!!!!!!!!!!\n!! SKIPPING: ${message}\n!!!!!!!!!!\n`);
  return false;
}
