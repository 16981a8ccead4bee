import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { DeviceHealth, DeviceStats, GatewayStats } from '@caretaker/protocol';
import { PROTOCOL_VERSION } from '@caretaker/protocol';
import { Counter, Gauge, Registry, Summary } from 'prom-client';
import type { RequestErrorKind, RequestRecorder } from '../drivers/driver.js';
import type { RunnerMetrics } from '../pipeline/device-runner.js';

/** What the metrics read from the output and the spool (it never changes them). */
export interface ForwardingSnapshot {
  connected: boolean;
  acked: number;
  replayed: number;
  invalid: number;
  inflight: number;
  spoolDepth: number;
  spoolBytes: number;
  spoolOldestTs: number | undefined;
  dropped: number;
}

const ERROR_KINDS: readonly RequestErrorKind[] = [
  'timeout',
  'connection',
  'exception',
  'decode',
  'bad_status',
  'other',
];
const HEALTH_STATES: readonly (DeviceHealth | 'unknown')[] = ['online', 'degraded', 'offline', 'unknown'];
// RTT samples kept per device for the percentiles of the stats topic.
const RTT_SAMPLES = 512;

/** Per device numbers, for the stats topic (Prometheus has its own copies in the registry). */
class DeviceRecord {
  requests = 0;
  errors: Partial<Record<RequestErrorKind, number>> = {};
  timeouts = 0;
  overruns = 0;
  lastGoodTs: number | null = null;
  health: DeviceHealth | 'unknown' = 'unknown';
  /** Why the device is not online (its status' `error`). */
  reason: string | undefined;
  readonly rtts: number[] = [];
  #next = 0;

  rtt(ms: number): void {
    if (this.rtts.length < RTT_SAMPLES) this.rtts.push(ms);
    else this.rtts[this.#next] = ms;
    this.#next = (this.#next + 1) % RTT_SAMPLES;
  }

  percentiles(): DeviceStats['rtt_ms'] {
    if (this.rtts.length === 0) return null;
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  }
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/**
 * The gateway's numbers: per device (requests, errors by kind, timeouts, round-trip times, last
 * good poll, state, overruns) and per gateway (spool depth and oldest age, acknowledged batches,
 * drops, broker connection, event-loop lag, memory, CPU). One registry per gateway instance, served
 * on `/metrics` (Prometheus text format), and a JSON snapshot for the stats topic.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #snapshot: () => ForwardingSnapshot;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #loop: IntervalHistogram;
  readonly #requests: Counter;
  readonly #errors: Counter;
  readonly #timeouts: Counter;
  readonly #rtt: Summary;
  readonly #lastGood: Gauge;
  readonly #state: Gauge;
  readonly #overruns: Counter;
  readonly #polls: Counter;
  readonly #reloads: Counter;
  #lastAcked = 0;
  #lastStatsAt: number;

  constructor(options: { snapshot: () => ForwardingSnapshot; now: () => number }) {
    this.#snapshot = options.snapshot;
    this.#now = options.now;
    this.#startedAt = performance.now();
    this.#lastStatsAt = this.#startedAt;
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    const registers = [this.registry];
    const p = 'caretaker_gateway_';
    this.#requests = new Counter({
      name: `${p}device_requests_total`,
      help: 'Requests sent to a device',
      labelNames: ['device'],
      registers,
    });
    this.#errors = new Counter({
      name: `${p}device_errors_total`,
      help: 'Failed requests by kind (timeout, connection, exception, decode, bad_status, other)',
      labelNames: ['device', 'kind'],
      registers,
    });
    this.#timeouts = new Counter({
      name: `${p}device_timeouts_total`,
      help: 'Requests that timed out',
      labelNames: ['device'],
      registers,
    });
    this.#rtt = new Summary({
      name: `${p}device_rtt_seconds`,
      help: 'Request round-trip time',
      labelNames: ['device'],
      percentiles: [0.5, 0.9, 0.99],
      maxAgeSeconds: 300,
      ageBuckets: 5,
      registers,
    });
    this.#lastGood = new Gauge({
      name: `${p}device_last_good_timestamp_seconds`,
      help: 'When the device last answered a poll (Unix time)',
      labelNames: ['device'],
      registers,
    });
    this.#state = new Gauge({
      name: `${p}device_state`,
      help: '1 for the device state (online, degraded, offline, unknown), 0 for the others',
      labelNames: ['device', 'state'],
      registers,
    });
    this.#overruns = new Counter({
      name: `${p}device_overruns_total`,
      help: 'Scan-class polls skipped because the previous one was still running',
      labelNames: ['device', 'period_ms'],
      registers,
    });
    this.#polls = new Counter({
      name: `${p}device_polls_total`,
      help: 'Polls by result',
      labelNames: ['device', 'result'],
      registers,
    });
    this.#reloads = new Counter({
      name: `${p}config_reloads_total`,
      help: 'Configuration reloads by result',
      labelNames: ['result'],
      registers,
    });

    // Gateway-wide numbers are read when scraped.
    const snapshot = () => this.#snapshot();
    new Gauge({
      name: `${p}spool_depth_batches`,
      help: 'Telemetry batches waiting for the broker',
      registers,
      collect() {
        this.set(snapshot().spoolDepth);
      },
    });
    new Gauge({
      name: `${p}spool_bytes`,
      help: 'Payload bytes in the spool',
      registers,
      collect() {
        this.set(snapshot().spoolBytes);
      },
    });
    const now = this.#now;
    new Gauge({
      name: `${p}spool_oldest_age_seconds`,
      help: 'Age of the oldest batch in the spool (0 when empty)',
      registers,
      collect() {
        const oldest = snapshot().spoolOldestTs;
        this.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest) / 1000));
      },
    });
    let droppedSeen: number | undefined;
    new Counter({
      name: `${p}spool_dropped_batches_total`,
      help: 'Batches dropped by the spool limits (drop-oldest) since the process started',
      registers,
      collect() {
        const dropped = snapshot().dropped;
        droppedSeen ??= dropped;
        if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
        droppedSeen = dropped;
      },
    });
    const acked = { live: 0, historical: 0 };
    new Counter({
      name: `${p}published_batches_total`,
      help: 'Telemetry batches acknowledged by the broker, live or historical (replayed)',
      labelNames: ['kind'],
      registers,
      collect() {
        const s = snapshot();
        const live = s.acked - s.replayed;
        if (live > acked.live) this.inc({ kind: 'live' }, live - acked.live);
        if (s.replayed > acked.historical) this.inc({ kind: 'historical' }, s.replayed - acked.historical);
        acked.live = live;
        acked.historical = s.replayed;
      },
    });
    let invalidSeen = 0;
    new Counter({
      name: `${p}invalid_batches_total`,
      help: 'Batches that failed validation and were never sent',
      registers,
      collect() {
        const invalid = snapshot().invalid;
        if (invalid > invalidSeen) this.inc(invalid - invalidSeen);
        invalidSeen = invalid;
      },
    });
    new Gauge({
      name: `${p}mqtt_inflight_batches`,
      help: 'Batches published and not yet acknowledged',
      registers,
      collect() {
        this.set(snapshot().inflight);
      },
    });
    new Gauge({
      name: `${p}broker_connected`,
      help: '1 while connected to the broker',
      registers,
      collect() {
        this.set(snapshot().connected ? 1 : 0);
      },
    });
    const loop = this.#loop;
    new Gauge({
      name: `${p}event_loop_lag_seconds`,
      help: 'Event-loop delay percentiles since the process started',
      labelNames: ['quantile'],
      registers,
      collect() {
        for (const q of [0.5, 0.99]) this.set({ quantile: String(q) }, loop.percentile(q * 100) / 1e9);
      },
    });
    new Gauge({
      name: `${p}process_resident_memory_bytes`,
      help: 'Resident set size',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: `${p}process_heap_used_bytes`,
      help: 'V8 heap in use',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new Counter({
      name: `${p}process_cpu_seconds_total`,
      help: 'User and system CPU time',
      registers,
      collect() {
        const usage = process.cpuUsage();
        this.reset();
        this.inc((usage.user + usage.system) / 1e6);
      },
    });
  }

  /** Starts measuring the event loop (until close()). */
  start(): void {
    this.#loop.enable();
  }

  /** The recorder a device's driver reports its requests to. */
  recorder(device: string): RequestRecorder {
    const record = this.#record(device);
    return {
      success: (rttMs) => {
        record.requests += 1;
        record.rtt(rttMs);
        this.#requests.inc({ device });
        this.#rtt.observe({ device }, rttMs / 1000);
      },
      failure: (kind, rttMs) => {
        // A decode error is about a response that arrived: not another request.
        if (kind !== 'decode' && kind !== 'bad_status') {
          record.requests += 1;
          this.#requests.inc({ device });
        }
        if (rttMs !== undefined && kind === 'exception') record.rtt(rttMs);
        record.errors[kind] = (record.errors[kind] ?? 0) + 1;
        this.#errors.inc({ device, kind });
        if (kind === 'timeout') {
          record.timeouts += 1;
          this.#timeouts.inc({ device });
        }
      },
    };
  }

  /** What a device's runner reports. */
  runner(device: string): RunnerMetrics {
    const record = this.#record(device);
    this.#setHealth(device, record, 'unknown');
    return {
      overrun: (periodMs, count) => {
        record.overruns += count;
        this.#overruns.inc({ device, period_ms: String(periodMs) }, count);
      },
      polled: (ok) => this.#polls.inc({ device, result: ok ? 'ok' : 'failed' }),
      health: (health, reason) => {
        record.reason = reason;
        if (health !== record.health) this.#setHealth(device, record, health);
      },
      lastGood: (ts) => {
        record.lastGoodTs = Math.round(ts);
        this.#lastGood.set({ device }, ts / 1000);
      },
    };
  }

  /** Forgets a device that left the configuration. */
  removeDevice(device: string): void {
    this.#devices.delete(device);
    for (const metric of [this.#requests, this.#timeouts, this.#rtt, this.#lastGood])
      metric.remove({ device });
    for (const state of HEALTH_STATES) this.#state.remove({ device, state });
    for (const kind of ERROR_KINDS) this.#errors.remove({ device, kind });
    for (const result of ['ok', 'failed']) this.#polls.remove({ device, result });
  }

  configReloaded(ok: boolean): void {
    this.#reloads.inc({ result: ok ? 'ok' : 'failed' });
  }

  /**
   * The stats topic payload. The publish rate and the event-loop lag cover the time since the
   * last call that reset them (the periodic stats); `/healthz` looks without resetting.
   */
  stats(options: { reset: boolean } = { reset: true }): GatewayStats {
    const now = performance.now();
    const s = this.#snapshot();
    const elapsedS = Math.max(0.001, (now - this.#lastStatsAt) / 1000);
    const rate = Math.max(0, s.acked - this.#lastAcked) / elapsedS;
    const lag = this.#loop.count > 0 ? this.#loop.percentile(99) / 1e6 : 0;
    if (options.reset) {
      this.#lastAcked = s.acked;
      this.#lastStatsAt = now;
      this.#loop.reset();
    }
    const memory = process.memoryUsage();
    const devices: Record<string, DeviceStats> = {};
    for (const [id, record] of this.#devices) {
      devices[id] = {
        state: record.health,
        requests: record.requests,
        errors: { ...record.errors } as Record<string, number>,
        timeouts: record.timeouts,
        rtt_ms: record.percentiles(),
        last_good_ts: record.lastGoodTs,
        overruns: record.overruns,
        ...(record.reason === undefined ? {} : { reason: record.reason }),
      };
    }
    const wallNow = Math.round(this.#now());
    return {
      v: PROTOCOL_VERSION,
      ts: wallNow,
      uptime_s: round((now - this.#startedAt) / 1000, 1),
      spool: {
        depth: s.spoolDepth,
        bytes: s.spoolBytes,
        oldest_age_ms: s.spoolOldestTs === undefined ? null : Math.max(0, wallNow - s.spoolOldestTs),
        dropped: s.dropped,
      },
      publish: {
        acked: s.acked,
        rate_per_s: round(rate, 2),
        replayed: s.replayed,
        invalid: s.invalid,
        connected: s.connected,
      },
      process: { event_loop_lag_ms: round(lag, 2), rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
      devices,
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.#loop.disable();
    this.registry.clear();
  }

  #record(device: string): DeviceRecord {
    let record = this.#devices.get(device);
    if (record === undefined) {
      record = new DeviceRecord();
      this.#devices.set(device, record);
    }
    return record;
  }

  #setHealth(device: string, record: DeviceRecord, health: DeviceHealth | 'unknown'): void {
    record.health = health;
    for (const state of HEALTH_STATES) this.#state.set({ device, state }, state === health ? 1 : 0);
  }
}
