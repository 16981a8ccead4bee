import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GATEWAY_SCRIPT, gatewayLaunchCommand, parseLaunchCommand } from './launch-command.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');

// The memory aim (150 MB at 20,000 values/s) holds only with the heap flags: every way a user
// launches the gateway carries the same ones as the `gateway` script, which the benchmark measures.
describe('the gateway launch command', () => {
  const production = gatewayLaunchCommand(REPO);

  it('runs main.ts in one Node process with heap flags, without the tsx wrapper process', () => {
    expect(production.script).toBe(GATEWAY_SCRIPT);
    expect(production.nodeArgs).toEqual(expect.arrayContaining(['--import', 'tsx']));
    expect(production.nodeArgs.some((arg) => arg.startsWith('--max-old-space-size='))).toBe(true);
    expect(production.args).toEqual([]);
  });

  it('is the same in `npm start`', () => {
    const start = JSON.parse(read('package.json')).scripts.start as string;
    const gateway = /"(node [^"]*gateway\/src\/main\.ts[^"]*)"/.exec(start)?.[1];
    expect(gateway, 'npm start launches the gateway with node <flags>').toBeDefined();
    expect(parseLaunchCommand(gateway ?? '').nodeArgs).toEqual(production.nodeArgs);
  });

  it('is the same in docker-compose.yml', () => {
    const compose = parse(read('docker-compose.yml')) as { services: { gateway: { command: string[] } } };
    const command = parseLaunchCommand(compose.services.gateway.command.join(' '));
    expect(command.nodeArgs).toEqual(production.nodeArgs);
  });

  it('refuses a command it cannot read', () => {
    expect(() => parseLaunchCommand('tsx gateway/src/main.ts')).toThrow(/expected "node <flags>/);
  });
});
