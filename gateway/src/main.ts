import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Command line: `npx tsx gateway/src/main.ts --config gateway/config/sample.yaml`.
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 2 for a usage or configuration error, 1 for
 * anything else.
 */
const DEFAULT_CONFIG = fileURLToPath(new URL('../config/sample.yaml', import.meta.url));

const USAGE = `Usage: caretaker-gateway [--config <file>]

Polls the Modbus/TCP and OPC UA devices listed in a YAML configuration and publishes their
readings to an MQTT broker (see gateway/README.md).

Options:
  -c, --config <file>  configuration file (default: ${DEFAULT_CONFIG})
  -h, --help           show this help

Environment:
  \${VAR} and \${VAR:-default} in the configuration's string values are replaced from the
  environment (e.g. MQTT_URL for the sample). LOG_LEVEL sets the log level (default info).
`;

async function main(): Promise<number> {
  let args: { config?: string | undefined; help?: boolean | undefined };
  try {
    args = parseArgs({
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
  const file = args.config ?? DEFAULT_CONFIG;

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
      gateway.stop().then(
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
