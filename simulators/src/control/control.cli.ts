import { controlPaths } from './control.server.js';

/** Where the commands write, and how they report bad usage (the CLI exits with code 2). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  usage(message: string): never;
}

type Args = Partial<Record<string, string | boolean>>;

export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:5080';

/** The API refused the command or could not be reached: exit code 1, not a usage error. */
class ApiError extends Error {}

interface FaultJson {
  id: string;
  device: string;
  kind: string;
  state: string;
  severity: number;
  intensity: number;
  start_ms: number;
  end_ms: number | null;
  point?: string;
}

interface DeviceJson {
  id: string;
  kind: string;
  protocol: string;
  endpoint: string;
  unitId?: number;
  online: boolean;
  faults: FaultJson[];
}

/** Fixed-width columns, for a terminal. */
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(11, 19));

function faultRows(faults: FaultJson[]): string {
  return table(
    ['ID', 'DEVICE', 'KIND', 'STATE', 'SEVERITY', 'NOW', 'START', 'END'],
    faults.map((f) => [
      f.id,
      f.device,
      f.point ? `${f.kind}(${f.point})` : f.kind,
      f.state,
      String(f.severity),
      f.intensity.toFixed(2),
      time(f.start_ms),
      time(f.end_ms),
    ]),
  );
}

/**
 * Runs one client command against the control API; returns the exit code (0 done, 1 the API
 * refused or could not be reached). Bad usage goes to `io.usage`.
 */
export async function runClientCommand(
  command: string,
  positionals: string[],
  args: Args,
  io: CliIo,
): Promise<number> {
  const base = (typeof args.url === 'string' ? args.url : DEFAULT_CONTROL_URL).replace(/\/+$/, '');
  const json = args.json === true;
  const need = (count: number, names: string) => {
    if (positionals.length !== count)
      io.usage(`${command} takes ${names}, got ${positionals.length} argument(s)`);
  };

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the simulators' control API at ${base}: ${(err as Error).message}`);
    }
    const payload = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new ApiError(payload.error ?? `HTTP ${res.status}`);
    return payload;
  };

  const number = (name: string): number | undefined => {
    const raw = args[name];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
      io.usage(`--${name} must be a number, got ${JSON.stringify(raw)}`);
    }
    return value;
  };

  try {
    switch (command) {
      case 'devices': {
        need(0, 'no arguments');
        const { devices } = (await call('GET', controlPaths.devices)) as { devices: DeviceJson[] };
        io.out(
          json
            ? `${JSON.stringify(devices, null, 2)}\n`
            : table(
                ['DEVICE', 'KIND', 'PROTOCOL', 'ENDPOINT', 'UNIT', 'ONLINE', 'FAULTS'],
                devices.map((d) => [
                  d.id,
                  d.kind,
                  d.protocol,
                  d.endpoint,
                  d.unitId === undefined ? '-' : String(d.unitId),
                  d.online ? 'yes' : 'no',
                  d.faults.map((f) => `${f.id}:${f.kind}`).join(',') || '-',
                ]),
              ),
        );
        return 0;
      }
      case 'faults': {
        need(0, 'no arguments');
        const query = new URLSearchParams();
        if (typeof args.state === 'string') query.set('state', args.state);
        if (typeof args.device === 'string') query.set('device', args.device);
        const suffix = query.size > 0 ? `?${query}` : '';
        const { faults } = (await call('GET', `${controlPaths.faults}${suffix}`)) as { faults: FaultJson[] };
        io.out(json ? `${JSON.stringify(faults, null, 2)}\n` : faultRows(faults));
        return 0;
      }
      case 'inject': {
        need(2, '<device> <kind>');
        const [device, kind] = positionals;
        const body: Record<string, unknown> = { device, kind };
        const severity = number('severity');
        if (severity !== undefined) body.severity = severity;
        const delay = number('delay-ms');
        if (delay !== undefined) body.delay_ms = delay;
        const code = number('exception-code');
        if (code !== undefined) body.exception_code = code;
        for (const [flag, key] of [
          ['onset', 'onset'],
          ['onset-time', 'onset_time'],
          ['duration', 'duration'],
          ['start', 'start'],
          ['point', 'point'],
        ] as const) {
          if (typeof args[flag] === 'string') body[key] = args[flag];
        }
        const { fault } = (await call('POST', controlPaths.faults, body)) as { fault: FaultJson };
        io.out(json ? `${JSON.stringify(fault, null, 2)}\n` : faultRows([fault]));
        return 0;
      }
      case 'clear': {
        need(1, '<fault-id>');
        const { fault } = (await call('DELETE', controlPaths.fault(positionals[0] ?? ''))) as {
          fault: FaultJson;
        };
        io.out(json ? `${JSON.stringify(fault, null, 2)}\n` : faultRows([fault]));
        return 0;
      }
      case 'offline':
      case 'online': {
        need(1, '<device>');
        const id = positionals[0] ?? '';
        const path = command === 'offline' ? controlPaths.offline(id) : controlPaths.online(id);
        const result = (await call('POST', path)) as { device: DeviceJson };
        io.out(
          json
            ? `${JSON.stringify(result, null, 2)}\n`
            : `${id} is ${result.device.online ? 'online' : 'off the network'}\n`,
        );
        return 0;
      }
      case 'kinds': {
        need(0, 'no arguments');
        const { kinds } = (await call('GET', controlPaths.kinds)) as {
          kinds: Array<{ kind: string; layer: string; summary: string }>;
        };
        io.out(
          json
            ? `${JSON.stringify(kinds, null, 2)}\n`
            : table(
                ['KIND', 'LAYER', 'WHAT'],
                kinds.map((k) => [k.kind, k.layer, k.summary]),
              ),
        );
        return 0;
      }
      default:
        io.usage(`unknown command ${command}`);
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    io.err(`error: ${err.message}\n`);
    return 1;
  }
}
