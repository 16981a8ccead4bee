import { parseArgs } from 'node:util';
import { createLogger } from '@caretaker/protocol/log';
import { hashPassword } from './auth/passwords.js';
import { loadUsersFile } from './auth/users.js';
import { HubConfigError, loadHubConfig } from './config.js';
import { Hub } from './hub.js';

const USAGE = `Caretaker hub: MQTT broker, ingest, storage, REST API, live dashboard.

Usage:
  npm run hub -- [options]
  npm run hub -- hash-password      read a password on stdin, print its hash for a users file

Options (each also an environment variable):
  --demo                 demo mode: anonymous MQTT and HTTP              CARETAKER_DEMO=1
  --users <file>         users file (YAML) with hashed passwords         HUB_USERS_FILE
  --port <n>             HTTP port for the dashboard and API (8080)      PORT
  --host <addr>          HTTP bind address (0.0.0.0)                     HOST
  --mqtt-port <n>        embedded MQTT broker port (1883)                MQTT_PORT
  --mqtt-url <url>       use this external broker instead of embedding   MQTT_URL
  --data-dir <dir>       embedded store location (./data)                DATA_DIR
  -h, --help             show this help

TLS: TLS_CERT_FILE and TLS_KEY_FILE (PEM) serve HTTPS and MQTT over TLS (MQTT_TLS_PORT, 8883);
MQTT over WebSocket is at MQTT_WS_PATH (/mqtt) on the HTTP(S) port.

Storage: the embedded SQLite store under DATA_DIR, unless INFLUX_URL is set:
  InfluxDB 1.x: INFLUX_URL, INFLUX_DATABASE (caretaker), INFLUX_USERNAME, INFLUX_PASSWORD
  InfluxDB 2.x: INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET (INFLUX_API=v2, the default with a token)
  InfluxDB 3.x: INFLUX_URL, INFLUX_TOKEN, INFLUX_DATABASE, INFLUX_API=v3
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        demo: { type: 'boolean' },
        users: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'mqtt-port': { type: 'string' },
        'mqtt-url': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] === 'hash-password') {
    if (process.stdin.isTTY) console.error('Type the password, then Enter and Ctrl-D:');
    const password = await readStdin();
    if (password.length < 8) {
      console.error('password: must be at least 8 characters');
      return 2;
    }
    console.log(await hashPassword(password));
    return 0;
  }
  if (positionals.length > 0) {
    console.error(`unknown command: ${positionals[0]}\n\n${USAGE}`);
    return 2;
  }

  const log = createLogger('hub');
  let hub: Hub;
  try {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const config = loadHubConfig(process.env, {
      CARETAKER_DEMO: values.demo ? '1' : undefined,
      PORT: str(values.port),
      HOST: str(values.host),
      MQTT_PORT: str(values['mqtt-port']),
      MQTT_URL: str(values['mqtt-url']),
      DATA_DIR: str(values['data-dir']),
    });
    const usersFile = str(values.users) ?? process.env.HUB_USERS_FILE;
    const users = usersFile ? await loadUsersFile(usersFile) : undefined;
    hub = new Hub(config, { log, ...(users ? { users } : {}) });
  } catch (err) {
    const prefix = err instanceof HubConfigError ? 'configuration error: ' : '';
    console.error(`${prefix}${(err as Error).message}`);
    return 2;
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    hub.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    await hub.start();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'the hub could not start');
    await hub.stop().catch(() => undefined);
    return 1;
  }
  const tls = hub.mqttsUrl ? `\n  MQTT over TLS:       ${hub.mqttsUrl}` : '';
  console.log(`\n  Caretaker dashboard: ${hub.url}\n  MQTT broker:         ${hub.mqttUrl}${tls}\n`);
  return -1; // keep running
}

main().then((code) => {
  if (code >= 0) process.exit(code);
});
