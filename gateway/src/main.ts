import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Command line: `npm run gateway -- --config gateway/config/sample.yaml` (that is `node
 * --optimize-for-size --max-old-space-size=512 --import tsx gateway/src/main.ts ...`: the heap flags
 * keep it under its memory aim, see gateway/README.md), or
 * `npm run gateway -- probe --endpoint host:port --unit 1 --address 0 --count 4`.
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 2 for a usage or configuration error, 1 for
 * anything else (a probe that got no answer).
 */
const DEFAULT_CONFIG = fileURLToPath(new URL('../config/sample.yaml', import.meta.url));

const USAGE = `Usage: caretaker-gateway [--config <file>]
       caretaker-gateway probe --endpoint <host:port | /dev/tty...> [options]

Polls the Modbus and OPC UA devices listed in a YAML configuration and publishes their
readings to an MQTT broker (see gateway/README.md). The configuration file is watched: a
change (or SIGHUP) is applied to the devices it concerns without a restart.

Options:
  -c, --config <file>  configuration file (default: ${DEFAULT_CONFIG})
  -h, --help           show this help

Environment:
  \${VAR} and \${VAR:-default} in the configuration's string values are replaced from the
  environment (e.g. MQTT_URL for the sample). LOG_LEVEL sets the log level (default info).
`;

const PROBE_USAGE = `Usage: caretaker-gateway probe --endpoint <host:port | /dev/tty...> [options]

Reads a window of registers once and prints every interpretation of it (16/32/64-bit integers
and floats in all four word/byte orders, text), to find a device's data types and byte order.

Options:
  --endpoint <e>        host:port (Modbus/TCP; port default 502), or a serial device path
  --unit <n>            unit id (default 1)
  --table <t>           holding (default), input, coil or discrete
  --address <n>         first register (default 0), 0-based unless --address-base 1
  --address-base <0|1>  how --address counts (default 0: 40001 is holding 0)
  --count <n>           registers to read, 1-125 (default 4; bits: 1-2000)
  --rtu-over-tcp        RTU framing over the TCP connection (a serial-to-Ethernet converter)
  --baud <n>            serial: baud rate (default 9600)
  --parity <p>          serial: none, even (default) or odd
  --stop-bits <1|2>     serial: stop bits (default 1)
  --timeout <ms>        response timeout (default 1000)
`;

async function probe(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        endpoint: { type: 'string' },
        unit: { type: 'string', default: '1' },
        table: { type: 'string', default: 'holding' },
        address: { type: 'string', default: '0' },
        'address-base': { type: 'string', default: '0' },
        count: { type: 'string', default: '4' },
        'rtu-over-tcp': { type: 'boolean', default: false },
        baud: { type: 'string', default: '9600' },
        parity: { type: 'string', default: 'even' },
        'stop-bits': { type: 'string', default: '1' },
        timeout: { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${PROBE_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(PROBE_USAGE);
    return 0;
  }
  const problems: string[] = [];
  const integer = (name: string, min: number, max: number): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`--${name} must be an integer ${min}-${max}`);
    return value;
  };
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : '';
  if (endpoint === '') problems.push('--endpoint is required');
  const table = String(values.table);
  if (!['holding', 'input', 'coil', 'discrete'].includes(table))
    problems.push('--table must be holding, input, coil or discrete');
  const bits = table === 'coil' || table === 'discrete';
  const unit = integer('unit', 0, 255);
  const base = integer('address-base', 0, 1);
  const address = integer('address', base, 65535 + base) - base;
  const count = integer('count', 1, bits ? 2000 : 125);
  const timeoutMs = integer('timeout', 10, 600_000);
  const baud = integer('baud', 300, 921_600);
  const stopBits = integer('stop-bits', 1, 2) as 1 | 2;
  const parity = String(values.parity);
  if (!['none', 'even', 'odd'].includes(parity)) problems.push('--parity must be none, even or odd');
  if (address + count > 65536) problems.push('--address + --count runs past 65535');
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n\n${PROBE_USAGE}`);
    return 2;
  }
  const { parseHostPort } = await import('./config/config.schema.js');
  const { formatInterpretations, interpretWindow, readWindow } = await import('./probe/probe.js');
  const link = endpoint.startsWith('/')
    ? ({
        kind: 'rtu',
        path: endpoint,
        baud_rate: baud,
        data_bits: 8,
        parity: parity as 'none' | 'even' | 'odd',
        stop_bits: stopBits,
      } as const)
    : ({ kind: values['rtu-over-tcp'] === true ? 'rtu-tcp' : 'tcp', ...parseHostPort(endpoint) } as const);
  try {
    const result = await readWindow({ link, unit, table: table as 'holding', address, count, timeoutMs });
    process.stdout.write(
      `${endpoint} unit ${unit}, ${table} ${address + base}-${address + base + count - 1}` +
        ` (${count} ${bits ? 'bits' : 'registers'}, answered in ${result.rttMs.toFixed(1)} ms)\n\n`,
    );
    if (result.bits !== undefined) {
      process.stdout.write(`${result.bits.map((bit, i) => `${address + base + i}: ${bit}`).join('\n')}\n`);
    } else {
      process.stdout.write(`${formatInterpretations(interpretWindow(result.words ?? [], address + base))}\n`);
    }
    return 0;
  } catch (err) {
    const error = err as { modbusCode?: number; message?: string };
    process.stderr.write(
      `probe failed: ${typeof error.modbusCode === 'number' ? `Modbus exception ${error.modbusCode}: ` : ''}${error.message ?? String(err)}\n`,
    );
    return 1;
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'probe') return probe(argv.slice(1));
  let args: { config?: string | undefined; help?: boolean | undefined };
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }

  // Loaded after argument parsing so `--help` stays instant (node-opcua is large).
  const { ConfigError, Gateway, loadGatewayConfig } = await import('./index.js');
  const { createLogger } = await import('@caretaker/protocol/log');
  const log = createLogger('gateway');
  const file = path.resolve(args.config ?? DEFAULT_CONFIG);

  let gateway: InstanceType<typeof Gateway>;
  try {
    const config = await loadGatewayConfig(file);
    gateway = new Gateway(config);
    gateway.init();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration ${file}:\n`);
      for (const issue of err.issues) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      return 2;
    }
    throw err;
  }

  // Configuration changes: applied to the devices they concern; an invalid file changes nothing.
  let applied = await readFile(file, 'utf8').catch(() => '');
  let reloading = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(async () => {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined || (text === applied && why === 'file changed')) return;
      try {
        const config = await loadGatewayConfig(file);
        await gateway.reload(config);
        applied = text;
      } catch (err) {
        gateway.metrics?.configReloaded(false);
        if (err instanceof ConfigError) {
          log.error(
            { why, issues: err.issues.map((i) => `${i.path}: ${i.message}`) },
            'configuration not applied',
          );
        } else {
          log.error({ why, err }, 'configuration reload failed');
        }
      }
    });
  };
  let debounce: NodeJS.Timeout | undefined;
  // Watch the folder: editors often replace the file rather than write into it.
  const watcher = watch(path.dirname(file), (_event, name) => {
    if (name !== path.basename(file)) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => reload('file changed'), 300);
  });
  watcher.on('error', (err) => log.warn({ err }, 'cannot watch the configuration file'));
  process.on('SIGHUP', () => reload('SIGHUP'));

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal; exiting without a clean stop');
        resolve(1);
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      watcher.close();
      clearTimeout(debounce);
      reloading
        .then(() => gateway.stop())
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error({ err }, 'stop failed');
            resolve(1);
          },
        );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  await gateway.start();
  return stopped;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `gateway failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
