/**
 * `npm run bench:detect-live`: scores the hub's live detection against the simulators' ground
 * truth. Simulators (the default estate), the hub (demo mode, embedded broker and SQLite) and a
 * gateway polling every device of the estate run in this one process on free loopback ports for
 * `--minutes` real minutes, while a few quick faults are injected on devices the scenario leaves
 * healthy. Then the ground-truth file is compared with the hub's alarms and work orders:
 *  - per fault: detected or not, the first alarm's rule, time to detect (alarm raised − fault
 *    start, real seconds and simulated time), the first work order;
 *  - false incidents: alarms on a device while no fault is in force there (communication-loss
 *    alarms of the start-up excepted);
 *  - slow faults: the lead time of the preventive order, i.e. when the failure limit was first
 *    crossed in the stored readings minus when the order was created;
 *  - the observed range of every point a rule reads, in healthy running, per device type.
 * Prints one JSON document on stdout (and to `--out FILE`), then a short table on stderr.
 *
 * Options: --minutes N (12), --poll-ms N (1000, as `npm start`), --no-inject (the scenario's
 * faults only), --rules FILE (another rule pack, e.g. a proposed change), --out FILE, --keep
 * (keep the temporary data directory: the readings, the alarm database, the ground truth).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveGatewayConfig, startGateway } from '@caretaker/gateway';
import { createLogger } from '@caretaker/protocol/log';
import { type FaultRequestInput, startSimulators } from '@caretaker/simulators';
import getPort from 'get-port';
import { compileExpression, parseExpression } from '../src/alarms/expression.js';
import { type Comparison, comparisonPoints, loadRules, type Rule } from '../src/alarms/rules.js';
import { loadHubConfig } from '../src/config.js';
import { Hub } from '../src/hub.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const SCENARIO = 'default-estate';
/** After a fault ends, an alarm raised this much later still counts for it (hold times). */
const ATTRIBUTION_GRACE_MS = 60_000;
/** Communication-loss alarms this soon after the start are the start-up, not incidents. */
const STARTUP_MS = 120_000;

/**
 * Quick faults on devices the scenario leaves healthy, at a fraction of the run, for the rule
 * pack's other failure modes. Durations are scenario time (3d = one real minute). The simulated
 * day lasts ten real minutes from 07:00, so with the default 12 minutes the night falls from
 * about 0.56 to 0.83 of the run: lifts then stand still and booster pumps rest, so the lift and
 * running-pump faults come first.
 */
const INJECTIONS: Array<{ at: number; fault: FaultRequestInput }> = [
  { at: 0.1, fault: { device: 'b2-pump-1', kind: 'motor_trip', duration: '3d' } },
  { at: 0.16, fault: { device: 'b1-lift-1', kind: 'overload', duration: '4d' } },
  {
    at: 0.24,
    fault: { device: 'b2-lift-2', kind: 'levelling_drift', onset: 'ramp', onset_time: '1d', duration: '12d' },
  },
  { at: 0.3, fault: { device: 'b2-pump-2', kind: 'dry_running', duration: '6d' } },
  {
    at: 0.36,
    fault: { device: 'b1-pump-2', kind: 'cavitation', onset: 'ramp', onset_time: '1d', duration: '6d' },
  },
  { at: 0.46, fault: { device: 'b2-power-meter', kind: 'voltage_sag', severity: 0.5, duration: '4d' } },
  { at: 0.54, fault: { device: 'b3-pump-1', kind: 'seal_leak', onset: 'step', duration: '6d' } },
  // A transformer takes about 75 s (real) to pass 100 °C, then the rule holds 60 s.
  { at: 0.64, fault: { device: 'b1-power-meter', kind: 'overload', duration: '9d' } },
  { at: 0.76, fault: { device: 'b3-power-meter', kind: 'phase_imbalance', duration: '4d' } },
];

/**
 * The rules whose alarm is evidence of each fault kind: they read a point the fault really
 * moves towards the rule's limit (from the fault catalogue's signatures). An alarm of another
 * rule on the faulty device is not a detection. Empty: nothing in the pack can see it.
 */
const RELATED_RULES: Record<string, string[]> = {
  bearing_wear: [
    'pump.vibration_trend',
    'pump.bearing_temp_trend',
    'pump.vibration_high',
    'pump.bearing_temp_high',
    'pump.behaviour',
  ],
  door_operator_wear: ['elevator.door_close_time_trend', 'elevator.door_slow'],
  // Clogging moves vibration by at most 1.5 mm/s, far from the trend's 7.1 mm/s: not that rule.
  clogging: ['pump.clogging', 'pump.vibration_high', 'pump.low_pressure_running', 'pump.behaviour'],
  passenger_trapped: ['elevator.passenger_trapped'],
  motor_trip: ['pump.motor_trip'],
  voltage_sag: ['power.voltage_sag', 'power.supply_lost'],
  seal_leak: ['pump.seal_leak', 'pump.behaviour'],
  overload: ['elevator.overload', 'power.transformer_hot'],
  dry_running: [
    'pump.dry_running',
    'pump.vibration_trend',
    'pump.vibration_high',
    'pump.bearing_temp_trend',
    'pump.bearing_temp_high',
    'pump.low_pressure_running',
    'pump.behaviour',
  ],
  levelling_drift: ['elevator.levelling_error'],
  cavitation: ['pump.vibration_high', 'pump.vibration_trend', 'pump.low_pressure_running', 'pump.behaviour'],
  phase_imbalance: ['power.phase_imbalance', 'power.voltage_unbalance'],
};

/**
 * The device's own sign of a sudden fault (a status bit, a reading past the physical limit):
 * detection time counted from it separates the hub's delay from the physics' (a passenger is
 * only trapped once the car runs between floors).
 */
const SIGNALS: Record<string, { point: string; test: (v: number) => boolean; text: string }> = {
  passenger_trapped: { point: 'alarm', test: (v) => v === 1, text: 'alarm == 1' },
  motor_trip: { point: 'fault', test: (v) => v === 1, text: 'fault == 1' },
  seal_leak: { point: 'leak_alarm', test: (v) => v === 1, text: 'leak_alarm == 1' },
  voltage_sag: { point: 'voltage_l1', test: (v) => v < 207, text: 'voltage_l1 < 207' },
  levelling_drift: { point: 'levelling_error', test: (v) => v > 10, text: 'levelling_error > 10' },
  dry_running: { point: 'flow', test: (v) => v < 0.5, text: 'flow < 0.5' },
};

/** Failure limits of the slow faults: where the equipment is in trouble. */
const SLOW_LIMITS: Record<
  string,
  Array<{ point: string; limit: number; below?: boolean; whileRunning?: boolean; why: string }>
> = {
  bearing_wear: [
    { point: 'vibration', limit: 7.1, why: 'ISO 10816 zone D' },
    { point: 'bearing_temp', limit: 80, why: 'pump.bearing_temp_high' },
  ],
  door_operator_wear: [{ point: 'door_close_time', limit: 5, why: 'elevator.door_slow' }],
  // No rule targets clogging; these are the limits of the pump rules it could trip.
  clogging: [
    { point: 'vibration', limit: 4.5, why: 'pump.vibration_high (zone C)' },
    {
      point: 'outlet_pressure',
      limit: 1.5,
      below: true,
      whileRunning: true,
      why: 'pump.low_pressure_running',
    },
  ],
};

/** Points worth a range in the report beyond those the rules read. */
const EXTRA_POINTS: Record<string, string[]> = {
  pump: ['flow', 'motor_current', 'inlet_pressure'],
  power_meter: ['current_l1', 'current_l2', 'current_l3', 'active_power'],
  elevator: [],
};

interface Truth {
  event: string;
  fault_id: string;
  device: string;
  device_type: string;
  kind: string;
  layer: string;
  severity: number;
  onset: string;
  source: string;
  start_ms: number;
  end_ms: number | null;
}

interface Reading {
  ts: number;
  value: number | null;
  quality: string;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
/** Every comparison of a rule: its condition, escalations and guard. */
const comparisons = (rule: Rule): Comparison[] => [
  ...(rule.when ?? []),
  ...rule.escalate.flatMap((e) => e.when),
  ...(rule.anomaly?.only_when ?? []),
];
const progress = (what: string) => process.stderr.write(`bench:detect-live ${what}\n`);

function parseOptions() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '12' },
      'poll-ms': { type: 'string', default: '1000' },
      'no-inject': { type: 'boolean', default: false },
      rules: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  const pollMs = Number(values['poll-ms']);
  if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, got ${values.minutes}`);
  if (!(pollMs >= 100)) throw new Error(`--poll-ms must be at least 100, got ${values['poll-ms']}`);
  return {
    minutes,
    pollMs,
    inject: !values['no-inject'],
    rulesFile: values.rules ? resolve(values.rules) : process.env.HUB_RULES_FILE,
    out: values.out,
    keep: values.keep,
  };
}

/** Faults with their start and end, from the ground-truth JSONL. */
function readTruth(file: string): { startedAt: number; timeFactor: number; faults: Truth[] } {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const run = lines.find((line) => line.event === 'run.started');
  const faults = new Map<string, Truth>();
  for (const line of lines) {
    if (line.event === 'fault.started') faults.set(String(line.fault_id), line as unknown as Truth);
    if (line.event === 'fault.ended') {
      const started = faults.get(String(line.fault_id));
      if (started) started.end_ms = Number(line.end_ms);
    }
  }
  return {
    startedAt: Number(run?.ts),
    timeFactor: Number(run?.time_factor ?? 1),
    faults: [...faults.values()].sort((a, b) => a.start_ms - b.start_ms),
  };
}

/** A real duration in simulated time, as text (hours below two days, else days). */
function simulated(ms: number, factor: number): string {
  const sim = ms * factor;
  const hours = sim / 3_600_000;
  return Math.abs(hours) < 48 ? `${round(hours, 1)} h` : `${round(hours / 24, 1)} d`;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  const opts = parseOptions();
  const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-detect-live-'));
  // What was started, stopped last first: on an error too, nothing is left running.
  const stops: Array<() => Promise<void>> = [
    async () => {
      if (opts.keep) progress(`kept ${dataDir} (readings.db, caretaker.db, ground-truth.jsonl)`);
      else await rm(dataDir, { recursive: true, force: true });
    },
  ];
  const stopLast = async (count = stops.length) => {
    for (let i = 0; i < count; i++) {
      await stops
        .pop()?.()
        .catch((err: Error) => progress(`stop failed: ${err.message}`));
    }
  };
  try {
    await run(opts, dataDir, stops, stopLast);
  } finally {
    await stopLast();
  }
}

async function run(
  opts: ReturnType<typeof parseOptions>,
  dataDir: string,
  stops: Array<() => Promise<void>>,
  stopLast: (count?: number) => Promise<void>,
): Promise<void> {
  const runMs = opts.minutes * 60_000;
  const truthFile = join(dataDir, 'ground-truth.jsonl');
  const httpPort = await getPort({ host: '127.0.0.1' });
  const mqttPort = await getPort({ host: '127.0.0.1', exclude: [httpPort] });
  const opcuaPort = await getPort({ host: '127.0.0.1', exclude: [httpPort, mqttPort] });

  const hubConfig = loadHubConfig({
    CARETAKER_DEMO: '1',
    HOST: '127.0.0.1',
    PORT: String(httpPort),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(mqttPort),
    DATA_DIR: dataDir,
    ...(opts.rulesFile ? { HUB_RULES_FILE: opts.rulesFile } : {}),
  });
  const rules = loadRules(opts.rulesFile);
  const hub = new Hub(hubConfig, { log: createLogger('hub') });
  stops.push(() => hub.stop());
  await hub.start();
  // One Modbus TCP port per building: 0 lets each one bind a free port.
  const sims = await startSimulators({
    host: '127.0.0.1',
    scenario: SCENARIO,
    modbusPort: 0,
    opcuaPort,
    groundTruthFile: truthFile,
  });
  stops.push(() => sims.stop());
  const gatewayConfig = await resolveGatewayConfig(
    {
      site: 'demo-estate',
      gateway: 'gw-1',
      mqtt: { url: hub.mqttUrl, keepalive_s: 30 },
      spool: { storage: 'memory' },
      devices: sims.devices.map((d) => ({
        id: d.id,
        profile: d.profile,
        protocol: d.protocol,
        endpoint: d.endpoint,
        ...(d.unitId !== undefined && d.protocol !== 'opcua' ? { unit_id: d.unitId } : {}),
        poll_interval_ms: opts.pollMs,
        timeout_ms: 1000,
      })),
    },
    join(REPO_ROOT, 'gateway', 'config'),
  );
  const gateway = await startGateway(gatewayConfig);
  stops.push(() => gateway.stop());
  const t0 = sims.estate.realStartMs;
  progress(
    `running ${opts.minutes} min: ${sims.devices.length} devices, hub ${hub.url}, broker ${hub.mqttUrl}, data ${dataDir}`,
  );

  const timers: NodeJS.Timeout[] = [];
  const injected: Array<{ at_s: number; fault: FaultRequestInput; id?: string; error?: string }> = [];
  if (opts.inject) {
    for (const { at, fault } of INJECTIONS) {
      const atMs = at * runMs;
      timers.push(
        setTimeout(() => {
          try {
            const record = sims.estate.inject(fault);
            injected.push({ at_s: round((Date.now() - t0) / 1000), fault, id: record.id });
            progress(`t+${Math.round((Date.now() - t0) / 1000)}s injected ${fault.kind} on ${fault.device}`);
          } catch (err) {
            injected.push({ at_s: round(atMs / 1000), fault, error: (err as Error).message });
            progress(`injection of ${fault.kind} on ${fault.device} refused: ${(err as Error).message}`);
          }
        }, atMs),
      );
    }
  }
  const ticker = setInterval(() => {
    const open = hub.maintenance?.engine.listOpen() ?? [];
    progress(
      `t+${Math.round((Date.now() - t0) / 1000)}s readings ${hub.stats.accepted_readings}, open alarms ${open.length}${
        open.length ? `: ${open.map((a) => `${a.device ?? a.gateway}/${a.rule_id}`).join(', ')}` : ''
      }`,
    );
  }, 60_000);
  // Ctrl-C ends the run early; what ran is still scored.
  await new Promise<void>((done) => {
    const timer = setTimeout(finish, runMs);
    function finish() {
      clearTimeout(timer);
      process.off('SIGINT', finish);
      done();
    }
    process.once('SIGINT', finish);
  });
  clearInterval(ticker);
  for (const timer of timers) clearTimeout(timer);
  const endedAt = Date.now();

  // Sources first (the gateway, then the simulators), then let the hub settle and read what it decided.
  await stopLast(2);
  await hub.flush();
  const maintenance = hub.maintenance;
  if (!maintenance) throw new Error('the hub has no maintenance side');
  await maintenance.engine.idle();
  const db = maintenance.database.db;
  const alarms = await db.selectFrom('alarms').selectAll().orderBy('id').execute();
  const orders = await db.selectFrom('work_orders').selectAll().orderBy('id').execute();
  const orderLinks = await db.selectFrom('work_order_alarms').selectAll().execute();

  const truth = readTruth(truthFile);
  const factor = truth.timeFactor;
  const deviceTypes = new Map(sims.devices.map((d) => [d.id, d.type]));

  // Every point a rule reads (plus a few that show a fault), per device, from the store.
  const pointsByType = new Map<string, Set<string>>();
  for (const rule of rules.rules) {
    const set = pointsByType.get(rule.device_type) ?? new Set<string>();
    for (const c of comparisons(rule)) for (const p of comparisonPoints(c)) set.add(p);
    if (rule.trend) set.add(rule.trend.point);
    for (const p of rule.anomaly?.points ?? []) set.add(p);
    pointsByType.set(rule.device_type, set);
  }
  for (const [type, points] of Object.entries(EXTRA_POINTS)) {
    for (const p of points) pointsByType.get(type)?.add(p);
  }
  const readings = new Map<string, Reading[]>();
  for (const device of sims.devices) {
    for (const point of pointsByType.get(device.type) ?? []) {
      const url = `${hub.url}/api/devices/${device.id}/readings?point=${point}&from=${t0}&to=${endedAt + 5000}&limit=10000`;
      const res = await fetch(url);
      if (!res.ok) continue;
      const body = (await res.json()) as { readings: Reading[] };
      readings.set(`${device.id}/${point}`, body.readings);
    }
  }
  const good = (device: string, point: string) =>
    (readings.get(`${device}/${point}`) ?? []).filter(
      (r): r is Reading & { value: number } => r.quality === 'good' && r.value !== null,
    );

  // ---------------------------------------------------------------- attribution
  // An alarm detects a fault when it is on the fault's device, of a rule that sees that kind of
  // fault, and first raised while the fault is in force (or shortly after, hold times).
  const faultWindow = (f: Truth) => [f.start_ms, (f.end_ms ?? endedAt) + ATTRIBUTION_GRACE_MS] as const;
  const inWindow = (f: Truth, device: string | null, ts: number) => {
    const [from, to] = faultWindow(f);
    return f.device === device && ts >= from && ts <= to;
  };
  const attributed = new Map<number, string>();
  /** Alarms of an unrelated rule on a device while it had a fault. */
  const coincident = new Map<number, string>();
  for (const alarm of alarms) {
    const raisedAt = alarm.first_raised_at;
    if (raisedAt === null || alarm.device === null) continue;
    const during = truth.faults.filter((f) => inWindow(f, alarm.device, raisedAt));
    const fault = during.find((f) => (RELATED_RULES[f.kind] ?? []).includes(alarm.rule_id));
    if (fault) attributed.set(alarm.id, fault.fault_id);
    else if (during[0]) coincident.set(alarm.id, `${during[0].kind} (${during[0].fault_id})`);
  }
  const alarmSummary = (a: (typeof alarms)[number]) => {
    const detail = JSON.parse(a.detail || '{}') as {
      raised?: { values?: Record<string, number> };
      time_to_limit_ms?: number | null;
    };
    return {
      id: a.id,
      device: a.device,
      gateway: a.gateway,
      rule: a.rule_id,
      severity: a.severity,
      state: a.state,
      raised_at_s: a.first_raised_at === null ? null : round((a.first_raised_at - t0) / 1000),
      cleared_at_s: a.cleared_at === null ? null : round((a.cleared_at - t0) / 1000),
      occurrences: a.occurrences,
      flapping: a.flapping === 1,
      values_at_raise: detail.raised?.values ?? null,
      ...(detail.time_to_limit_ms !== undefined
        ? {
            predicted_time_to_limit_s:
              detail.time_to_limit_ms === null ? null : round(detail.time_to_limit_ms / 1000),
          }
        : {}),
      ...(a.root_alarm_id !== null ? { root_alarm_id: a.root_alarm_id } : {}),
      ...(coincident.has(a.id) ? { during_fault: coincident.get(a.id) } : {}),
    };
  };
  const orderOf = (alarmId: number) => {
    const link = orderLinks.find((l) => l.alarm_id === alarmId);
    return orders.find((o) => o.alarm_id === alarmId || o.id === link?.order_id);
  };
  const orderSummary = (o: (typeof orders)[number] | undefined, since: number) =>
    o
      ? {
          code: o.code,
          kind: o.kind,
          rule: o.rule_id,
          severity: o.severity,
          status: o.status,
          created_s: round((o.created_at - t0) / 1000),
          after_start_s: round((o.created_at - since) / 1000),
        }
      : null;

  const faults = truth.faults.map((f) => {
    const related = RELATED_RULES[f.kind] ?? [];
    const own = alarms
      .filter((a) => attributed.get(a.id) === f.fault_id)
      .sort((a, b) => (a.first_raised_at ?? 0) - (b.first_raised_at ?? 0));
    const first = own[0];
    const ownOrders = orders
      .filter((o) => o.alarm_id !== null && attributed.get(o.alarm_id) === f.fault_id)
      .sort((a, b) => a.created_at - b.created_at);
    const ttdMs = first?.first_raised_at != null ? first.first_raised_at - f.start_ms : null;
    const signal = SIGNALS[f.kind];
    const signalAt = signal
      ? good(f.device, signal.point).find((r) => inWindow(f, f.device, r.ts) && signal.test(r.value))?.ts
      : undefined;
    const result: Record<string, unknown> = {
      fault_id: f.fault_id,
      device: f.device,
      device_type: f.device_type,
      kind: f.kind,
      source: f.source,
      severity: f.severity,
      onset: f.onset,
      start_s: round((f.start_ms - t0) / 1000),
      end_s: f.end_ms === null ? null : round((f.end_ms - t0) / 1000),
      rule_pack_covers: related.some((id) => rules.rules.some((r) => r.id === id)),
      detected: first !== undefined,
      first_rule: first?.rule_id ?? null,
      rules: [...new Set(own.map((a) => a.rule_id))],
      time_to_detect_s: ttdMs === null ? null : round(ttdMs / 1000),
      time_to_detect_sim: ttdMs === null ? null : simulated(ttdMs, factor),
      ...(signal
        ? {
            signal: signal.text,
            signal_after_start_s: signalAt === undefined ? null : round((signalAt - f.start_ms) / 1000),
            time_to_detect_after_signal_s:
              signalAt === undefined || first?.first_raised_at == null
                ? null
                : round((first.first_raised_at - signalAt) / 1000),
          }
        : {}),
      order: orderSummary(ownOrders[0], f.start_ms),
      alarms: own.map(alarmSummary),
    };
    const limits = SLOW_LIMITS[f.kind];
    if (limits) {
      const preventive = ownOrders.find((o) => o.kind === 'preventive');
      result.preventive_order = orderSummary(preventive, f.start_ms);
      const running = good(f.device, 'running');
      const runningAt = (ts: number) => {
        let state = 0;
        for (const r of running) {
          if (r.ts > ts) break;
          state = r.value;
        }
        return state === 1;
      };
      result.limits = limits.map((l) => {
        const series = good(f.device, l.point).filter(
          (r) => r.ts >= f.start_ms && (!l.whileRunning || runningAt(r.ts)),
        );
        const crossed = series.find((r) => (l.below ? r.value < l.limit : r.value > l.limit));
        const values = series.map((r) => r.value);
        const extreme = values.length === 0 ? null : l.below ? Math.min(...values) : Math.max(...values);
        // The order of the trend rule on this very point, when there is one.
        const pointOrder = ownOrders.find(
          (o) =>
            o.kind === 'preventive' && rules.rules.find((r) => r.id === o.rule_id)?.trend?.point === l.point,
        );
        const leadOf = (o: (typeof orders)[number] | undefined) =>
          o === undefined ? null : (crossed?.ts ?? endedAt) - o.created_at;
        const lead = leadOf(preventive);
        const pointLead = leadOf(pointOrder);
        return {
          point: l.point,
          limit: l.limit,
          direction: l.below ? 'below' : 'above',
          ...(l.whileRunning ? { while_running: true } : {}),
          why: l.why,
          crossed_s: crossed ? round((crossed.ts - t0) / 1000) : null,
          crossed_after_start_s: crossed ? round((crossed.ts - f.start_ms) / 1000) : null,
          [l.below ? 'min_seen' : 'max_seen']: extreme === null ? null : round(extreme, 2),
          // Not crossed within the run: the lead time is at least this (lead_is_lower_bound).
          lead_time_s: lead === null ? null : round(lead / 1000),
          lead_time_sim_days: lead === null ? null : round((lead * factor) / 86_400_000, 2),
          lead_is_lower_bound: crossed === undefined,
          own_trend_order: pointOrder?.code ?? null,
          own_trend_lead_time_s: pointLead === null ? null : round(pointLead / 1000),
          own_trend_lead_time_sim_days:
            pointLead === null ? null : round((pointLead * factor) / 86_400_000, 2),
        };
      });
    }
    return result;
  });

  const falseAlarms = alarms.filter((a) => {
    if (attributed.has(a.id)) return false;
    if (a.rule_id === 'comm_loss' && (a.first_raised_at ?? 0) - t0 < STARTUP_MS) return false;
    return a.first_raised_at !== null;
  });
  const falseIds = new Set(falseAlarms.map((a) => a.id));
  const falseOrders = orders.filter((o) => o.alarm_id !== null && falseIds.has(o.alarm_id));

  // Healthy running: every reading of a device outside its faults' windows.
  const faultyAt = (device: string, ts: number) =>
    truth.faults.some((f) => {
      const [from, to] = faultWindow(f);
      return f.device === device && ts >= from && ts <= to;
    });
  const ranges: Record<string, Record<string, Record<string, number>>> = {};
  for (const [type, points] of pointsByType) {
    for (const point of points) {
      const values: number[] = [];
      for (const device of sims.devices.filter((d) => d.type === type)) {
        for (const r of good(device.id, point)) if (!faultyAt(device.id, r.ts)) values.push(r.value);
      }
      if (values.length === 0) continue;
      values.sort((a, b) => a - b);
      ranges[type] ??= {};
      (ranges[type] as Record<string, Record<string, number>>)[point] = {
        n: values.length,
        min: round(values[0] as number, 3),
        p01: round(quantile(values, 0.01), 3),
        p50: round(quantile(values, 0.5), 3),
        p99: round(quantile(values, 0.99), 3),
        max: round(values.at(-1) as number, 3),
      };
    }
  }
  // The expressions rules compare (phase imbalance), over each reading time of healthy running.
  for (const rule of rules.rules) {
    for (const c of comparisons(rule)) {
      if (c.expr === undefined || ranges[rule.device_type]?.[c.expr]) continue;
      const expression = parseExpression(c.expr);
      const run = compileExpression(expression, (p) => expression.points.indexOf(p));
      const values: number[] = [];
      for (const device of sims.devices.filter((d) => d.type === rule.device_type)) {
        const byTs = new Map<number, number[]>();
        expression.points.forEach((p, i) => {
          for (const r of good(device.id, p)) {
            const row = byTs.get(r.ts) ?? expression.points.map(() => Number.NaN);
            row[i] = r.value;
            byTs.set(r.ts, row);
          }
        });
        for (const [ts, row] of byTs) {
          if (faultyAt(device.id, ts) || row.some(Number.isNaN)) continue;
          const v = run(row);
          if (Number.isFinite(v)) values.push(v);
        }
      }
      if (values.length === 0) continue;
      values.sort((a, b) => a - b);
      ranges[rule.device_type] ??= {};
      (ranges[rule.device_type] as Record<string, Record<string, number>>)[c.expr] = {
        n: values.length,
        min: round(values[0] as number, 4),
        p01: round(quantile(values, 0.01), 4),
        p50: round(quantile(values, 0.5), 4),
        p99: round(quantile(values, 0.99), 4),
        max: round(values.at(-1) as number, 4),
      };
    }
  }
  // Each faulty device: the points during its fault (first and last minute), to show the signature.
  const signatures = truth.faults.map((f) => {
    const type = deviceTypes.get(f.device) ?? f.device_type;
    const end = f.end_ms ?? endedAt;
    const out: Record<string, unknown> = { device: f.device, kind: f.kind };
    for (const point of pointsByType.get(type) ?? []) {
      const series = good(f.device, point);
      const window = (from: number, to: number) => {
        const v = series.filter((r) => r.ts >= from && r.ts < to).map((r) => r.value);
        return v.length === 0
          ? null
          : {
              min: round(Math.min(...v), 2),
              mean: round(v.reduce((s, x) => s + x, 0) / v.length, 2),
              max: round(Math.max(...v), 2),
            };
      };
      out[point] = {
        before: window(f.start_ms - 60_000, f.start_ms),
        last_minute: window(Math.max(f.start_ms, end - 60_000), end),
      };
    }
    return out;
  });

  const detected = faults.filter((f) => f.detected);
  const covered = faults.filter((f) => f.rule_pack_covers);
  const ttds = detected.map((f) => f.time_to_detect_s as number).sort((a, b) => a - b);
  const report = {
    bench: 'live-detection',
    scenario: SCENARIO,
    minutes: opts.minutes,
    poll_ms: opts.pollMs,
    time_factor: factor,
    rules_file: opts.rulesFile ?? 'hub/rules/default.yaml',
    devices: sims.devices.length,
    readings_accepted: hub.stats.accepted_readings,
    injected,
    summary: {
      faults: faults.length,
      detected: detected.length,
      covered_by_rule_pack: covered.length,
      detected_of_covered: covered.filter((f) => f.detected).length,
      false_incidents: falseAlarms.length,
      false_work_orders: falseOrders.length,
      alarms: alarms.length,
      work_orders: orders.length,
      time_to_detect_s: ttds.length ? { min: ttds[0], median: quantile(ttds, 0.5), max: ttds.at(-1) } : null,
    },
    faults,
    false_incidents: falseAlarms.map((a) => ({ ...alarmSummary(a), order: orderOf(a.id)?.code ?? null })),
    orders: orders.map((o) => ({
      code: o.code,
      kind: o.kind,
      device: o.device,
      rule: o.rule_id,
      severity: o.severity,
      status: o.status,
      created_s: round((o.created_at - t0) / 1000),
      alarm_id: o.alarm_id,
    })),
    healthy_ranges: ranges,
    fault_signatures: signatures,
  };

  // The hub, then its data directory.
  await stopLast(2);

  const json = JSON.stringify(report, null, 2);
  process.stdout.write(`${json}\n`);
  if (opts.out) await writeFile(opts.out, `${json}\n`);
  printTable(report.faults, falseAlarms.map(alarmSummary), report.summary);
}

function printTable(
  faults: Array<Record<string, unknown>>,
  falseAlarms: Array<Record<string, unknown>>,
  summary: Record<string, unknown>,
): void {
  const rows: string[][] = [
    [
      'device',
      'kind',
      'start',
      'detected',
      'first rule',
      'TTD real',
      'TTD sim',
      'after signal',
      'order',
      'lead before the limit (real/sim)',
    ],
  ];
  for (const f of faults) {
    const order = f.order as { code: string; kind: string; rule: string } | null;
    const limits = (f.limits ?? []) as Array<Record<string, unknown>>;
    const lead = limits
      .map((l) =>
        l.lead_time_s === null
          ? `${l.point}: -`
          : `${l.point}${l.direction === 'below' ? '<' : '>'}${l.limit}: ${l.lead_is_lower_bound ? '>' : ''}${l.lead_time_s}s/${l.lead_time_sim_days}d`,
      )
      .join('; ');
    rows.push([
      String(f.device),
      String(f.kind),
      `t+${f.start_s}s`,
      f.detected ? 'yes' : f.rule_pack_covers ? 'NO' : 'no (no rule)',
      String(f.first_rule ?? '-'),
      f.time_to_detect_s === null ? '-' : `${f.time_to_detect_s}s`,
      String(f.time_to_detect_sim ?? '-'),
      f.time_to_detect_after_signal_s == null ? '-' : `${f.time_to_detect_after_signal_s}s`,
      order ? `${order.code} ${order.kind} (${order.rule})` : '-',
      lead || '',
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  process.stderr.write(`\n${lines.join('\n')}\n\n`);
  process.stderr.write(`false incidents: ${falseAlarms.length}\n`);
  for (const a of falseAlarms) {
    const eta =
      a.predicted_time_to_limit_s == null ? '' : `, predicted time to limit ${a.predicted_time_to_limit_s}s`;
    const during = a.during_fault ? `, during ${a.during_fault} (another rule)` : '';
    process.stderr.write(
      `  ${a.device ?? a.gateway} ${a.rule} raised t+${a.raised_at_s}s at ${JSON.stringify(a.values_at_raise)}${eta}${during}\n`,
    );
  }
  process.stderr.write(`summary: ${JSON.stringify(summary)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
