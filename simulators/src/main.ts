/**
 * Command line. `serve` (the default) runs an estate of simulated devices until SIGINT/SIGTERM;
 * the other commands talk to a running simulator's control API.
 * `npx tsx simulators/src/main.ts --help`
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@caretaker/protocol/log';
import { runClientCommand } from './control/control.cli.js';
import type { RunningSimulators } from './index.js';

const USAGE = `Usage: tsx simulators/src/main.ts [serve] [options]
       tsx simulators/src/main.ts <command> [arguments] [--url <control API>]

Serves an estate of simulated facility devices (pumps and meters over Modbus TCP or RTU, lifts
over OPC UA), as a scenario file describes it, and writes the ground truth of its faults.

Options of serve:
  --scenario <name|file>   shipped scenario name or YAML path (default default-estate)
  --ground-truth <file>    JSONL file the faults' ground truth is appended to
                           (default data/ground-truth.jsonl; "none" to turn it off)
  --host <address>         address the device servers bind to (default 0.0.0.0)
  --modbus-port <port>     first Modbus TCP port; buildings take the next ones (default 5020)
  --opcua-port <port>      OPC UA port (default 4840)
  --control-port <port>    HTTP control API port (default 5080)
  --control-host <address> address of the control API (default 127.0.0.1)
  --tick-ms <ms>           how often the models step (default 500)
  --seed <n>               override the scenario's seed
  --time-factor <n>        override the scenario's time factor
  Ports may be 0 for any free port (the log prints the ports bound).

Commands (against --url, default http://127.0.0.1:5080):
  devices                          every device: where it is served, online, active faults
  faults [--state S] [--device D]  faults (S: scheduled, active, ended)
  inject <device> <kind> [--severity 0-1] [--onset step|ramp|accelerating]
         [--onset-time 7d] [--duration 2h] [--start 10m] [--point P]
         [--delay-ms N] [--exception-code N]
                                   start a fault (durations are scenario time)
  clear <fault-id>                 end a fault now
  offline <device>                 take a device off the network
  online <device>                  bring it back
  kinds                            the fault library
  --json                           print the API's JSON instead of a table

  -h, --help                       show this help and exit

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

const OPTIONS = {
  scenario: { type: 'string' },
  'ground-truth': { type: 'string' },
  host: { type: 'string' },
  'modbus-port': { type: 'string' },
  'opcua-port': { type: 'string' },
  'control-port': { type: 'string' },
  'control-host': { type: 'string' },
  'tick-ms': { type: 'string' },
  seed: { type: 'string' },
  'time-factor': { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  state: { type: 'string' },
  device: { type: 'string' },
  severity: { type: 'string' },
  onset: { type: 'string' },
  'onset-time': { type: 'string' },
  duration: { type: 'string' },
  start: { type: 'string' },
  point: { type: 'string' },
  'delay-ms': { type: 'string' },
  'exception-code': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseCommandLine() {
  try {
    return parseArgs({ options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    fail((err as Error).message);
  }
}

type Values = ReturnType<typeof parseCommandLine>['values'];

async function serve(args: Values): Promise<void> {
  const host = args.host ?? '0.0.0.0';
  if (host.trim() === '') fail('--host must not be empty');
  const modbusPort = integerOption('modbus-port', args['modbus-port'], 5020, 0, 65535);
  const opcuaPort = integerOption('opcua-port', args['opcua-port'], 4840, 0, 65535);
  const controlPort = integerOption('control-port', args['control-port'], 5080, 0, 65535);
  const tickMs = integerOption('tick-ms', args['tick-ms'], 500, 10, 60_000);
  const seed = args.seed === undefined ? undefined : integerOption('seed', args.seed, 1, 0, 0xffffffff);
  const timeFactor =
    args['time-factor'] === undefined
      ? undefined
      : integerOption('time-factor', args['time-factor'], 1, 1, 10_000_000);
  if (modbusPort !== 0 && modbusPort === opcuaPort) {
    fail(`--modbus-port and --opcua-port must differ, both are ${modbusPort}`);
  }
  const groundTruth = args['ground-truth'] ?? 'data/ground-truth.jsonl';

  const log = createLogger('simulators');
  let sims: RunningSimulators;
  try {
    // Loaded only now: node-opcua takes a second to import, which --help should not wait for.
    const { startSimulators, DEFAULT_SCENARIO } = await import('./index.js');
    sims = await startSimulators({
      host,
      modbusPort,
      opcuaPort,
      tickMs,
      controlPort,
      controlHost: args['control-host'] ?? '127.0.0.1',
      scenario: args.scenario ?? DEFAULT_SCENARIO,
      ...(groundTruth === 'none' ? {} : { groundTruthFile: groundTruth }),
      ...(seed !== undefined ? { seed } : {}),
      ...(timeFactor !== undefined ? { timeFactor } : {}),
    });
  } catch (err) {
    log.error({ err }, 'cannot start the simulators');
    process.exit(1);
  }
  for (const port of sims.modbusPorts)
    log.info({ host, port: port.port, devices: port.devices }, 'Modbus TCP listening');
  for (const line of sims.serialLines)
    log.info({ path: line.path, devices: line.devices }, 'Modbus RTU serial line open');
  log.info(
    {
      endpoint: sims.opcua.endpoint,
      devices: sims.devices.filter((d) => d.protocol === 'opcua').map((d) => d.id),
    },
    'OPC UA listening',
  );
  log.info(
    { url: sims.control?.url, groundTruth: groundTruth === 'none' ? null : groundTruth },
    'control API listening',
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

async function main(): Promise<void> {
  const { values: args, positionals } = parseCommandLine();
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [command = 'serve', ...rest] = positionals;
  if (command === 'serve') {
    if (rest.length > 0) fail(`serve takes no arguments, got ${rest.join(' ')}`);
    await serve(args);
    return;
  }
  const code = await runClientCommand(command, rest, args, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    usage: (message) => fail(message),
  });
  process.exitCode = code;
}

await main();
