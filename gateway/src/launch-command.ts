import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * How a user launches the gateway. The root package.json's `gateway` script is the one place the
 * Node flags are written (heap caps that keep the gateway under its memory aim); `npm start` and
 * docker-compose.yml repeat them (launch-command.test.ts keeps them in step) and the benchmark
 * launches the gateway from this very script, so its figures are those of the real default.
 */
export interface LaunchCommand {
  /** Node's own arguments, before the script (flags and `--import tsx`). */
  nodeArgs: string[];
  /** The script, relative to the repository. */
  script: string;
  /** Arguments after the script. */
  args: string[];
}

export const GATEWAY_SCRIPT = 'gateway/src/main.ts';

/** Parses `node <node args> gateway/src/main.ts [args]` (whitespace-separated, no quoting). */
export function parseLaunchCommand(command: string): LaunchCommand {
  const tokens = command.trim().split(/\s+/);
  const scriptAt = tokens.indexOf(GATEWAY_SCRIPT);
  if (tokens[0] !== 'node' || scriptAt < 0) {
    throw new Error(`expected "node <flags> ${GATEWAY_SCRIPT} ...", got "${command}"`);
  }
  return {
    nodeArgs: tokens.slice(1, scriptAt),
    script: tokens[scriptAt] ?? '',
    args: tokens.slice(scriptAt + 1),
  };
}

/** The root package.json's `gateway` script, parsed. */
export function gatewayLaunchCommand(repo: string): LaunchCommand {
  const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const script = manifest.scripts?.gateway;
  if (script === undefined) throw new Error('package.json has no "gateway" script');
  return parseLaunchCommand(script);
}
