/**
 * Command line: serves the simulated pump and meter over Modbus TCP and the lift over OPC UA
 * until SIGINT/SIGTERM.  `npx tsx simulators/src/main.ts --help`
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@caretaker/protocol/log';
import type { RunningSimulators } from './index.js';

const USAGE = `Usage: tsx simulators/src/main.ts [options]

Serves simulated facility devices:
  pump-1      pump controller   Modbus TCP, unit 1 (holding registers)
  meter-1     power meter       Modbus TCP, unit 2 (float32 input registers)
  elevator-1  lift controller   OPC UA, namespace urn:caretaker:simulators (ns=1)

Options:
  --host <address>       address to bind both servers to (default 0.0.0.0)
  --modbus-port <port>   Modbus TCP port, 0 for any free port (default 5020)
  --opcua-port <port>    OPC UA port, 0 for any free port (default 4840)
  --tick-ms <ms>         how often the models step (default 500)
  -h, --help             show this help and exit

Environment: LOG_LEVEL (default info), LOG_FORMAT=pretty.
`;

/** Exit code for bad command-line input, as BSD sysexits' EX_USAGE-style tools use 2. */
const EXIT_USAGE = 2;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(EXIT_USAGE);
}

function integerOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        host: { type: 'string' },
        'modbus-port': { type: 'string' },
        'opcua-port': { type: 'string' },
        'tick-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
}

async function main(): Promise<void> {
  const args = parseCommandLine();
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const host = args.host ?? '0.0.0.0';
  if (host.trim() === '') fail('--host must not be empty');
  const modbusPort = integerOption('modbus-port', args['modbus-port'], 5020, 0, 65535);
  const opcuaPort = integerOption('opcua-port', args['opcua-port'], 4840, 0, 65535);
  const tickMs = integerOption('tick-ms', args['tick-ms'], 500, 10, 60_000);
  if (modbusPort !== 0 && modbusPort === opcuaPort) {
    fail(`--modbus-port and --opcua-port must differ, both are ${modbusPort}`);
  }

  const log = createLogger('simulators');
  let sims: RunningSimulators;
  try {
    // Loaded only now: node-opcua takes a second to import, which --help should not wait for.
    const { startSimulators } = await import('./index.js');
    sims = await startSimulators({ host, modbusPort, opcuaPort, tickMs });
  } catch (err) {
    log.error({ err }, 'cannot start the simulators');
    process.exit(1);
  }
  log.info(
    { host, port: sims.modbus.port, devices: sims.devices.filter((d) => d.protocol === 'modbus') },
    'Modbus TCP listening',
  );
  log.info(
    { endpoint: sims.opcua.endpoint, devices: sims.devices.filter((d) => d.protocol === 'opcua') },
    'OPC UA listening',
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    // Do not hang forever on a stuck client connection.
    setTimeout(() => {
      log.error('did not stop within 5 s, exiting anyway');
      process.exit(1);
    }, 5_000).unref();
    sims.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await main();
