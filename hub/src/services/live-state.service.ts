import { EventEmitter } from 'node:events';
import type {
  DeviceChangedEvent,
  DeviceState,
  DeviceStatus,
  DeviceSummary,
  GatewayStatus,
  GatewaySummary,
  ReadingsReceivedEvent,
  TelemetryBatch,
} from '@caretaker/protocol';
import type { StoredDevice } from '../storage/time-series-store.js';

export interface DeviceRef {
  site: string;
  gateway: string;
  device: string;
}

type LiveEvents = {
  'readings.received': [ReadingsReceivedEvent];
  'device.changed': [DeviceChangedEvent];
};

/** A device or point is stale after this many of its reporting intervals without news. */
export const STALE_AFTER_INTERVALS = 3;
/** Smoothing of the observed reporting interval (EWMA weight of the newest gap). */
const INTERVAL_WEIGHT = 0.2;

/**
 * Each device's latest values and state, and each gateway's state, kept in memory and
 * announced as typed events (the socket.io repository forwards them). No I/O here; time
 * comes from the injected clock, and `sweep()` (called periodically) marks silent devices stale.
 */
export class LiveStateService extends EventEmitter<LiveEvents> {
  private readonly devices = new Map<string, DeviceSummary>();
  private readonly gateways = new Map<string, Omit<GatewaySummary, 'last_seq' | 'missing_batches'>>();
  /**
   * When the hub last received each point (its own clock, so gateway clock skew does not
   * matter) and the point's own reporting interval: points reported by exception (deadband,
   * OPC UA subscriptions) come rarely, and are stale only against their own rhythm.
   */
  private readonly received = new Map<string, Map<string, { at: number; interval: number | null }>>();
  /**
   * The devices each gateway (`site/gateway`) names in its online status: the current list (null
   * when its status names none) and every device it named since the hub started.
   */
  private readonly announced = new Map<string, { current: Set<string> | null; ever: Set<string> }>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  list(): DeviceSummary[] {
    return [...this.devices.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((d) => this.withFreshness(d));
  }

  get(id: string): DeviceSummary | undefined {
    const device = this.devices.get(id);
    return device ? this.withFreshness(device) : undefined;
  }

  /** The site of a device, without copying it (hot path of the live stream). */
  siteOf(id: string): string | undefined {
    return this.devices.get(id)?.site;
  }

  listGateways(): Array<Omit<GatewaySummary, 'last_seq' | 'missing_batches'>> {
    return [...this.gateways.values()].map((g) => ({ ...g }));
  }

  /**
   * Restores devices' latest values from the store after a restart, without announcing them: a
   * device's state stays `unknown` and these values stale until fresh data comes. A value the hub
   * already has (newer: it came live) is kept. Returns how many devices it added.
   */
  restore(stored: readonly StoredDevice[]): number {
    let added = 0;
    for (const { site, gateway, device: id, device_type, latest } of stored) {
      let device = this.devices.get(id);
      if (!device) {
        device = {
          id,
          site,
          gateway,
          type: device_type,
          status: 'unknown',
          status_since: this.now(),
          last_seen: null,
          interval_ms: null,
          latest: {},
        };
        this.devices.set(id, device);
        added += 1;
      }
      for (const { point, ts, value, quality } of latest) {
        if (!device.latest[point]) device.latest[point] = { value, ts, quality };
      }
    }
    return added;
  }

  applyTelemetry(ref: DeviceRef, batch: TelemetryBatch): void {
    const { device, created } = this.upsert(ref, batch.device_type);
    const now = this.now();
    const received =
      this.received.get(device.id) ?? new Map<string, { at: number; interval: number | null }>();
    this.received.set(device.id, received);
    // Entries are updated in place: at ingest rates, two objects per reading add up.
    for (const reading of batch.readings) {
      const previous = device.latest[reading.point];
      if (!previous) {
        device.latest[reading.point] = {
          value: reading.value,
          ts: reading.ts,
          quality: reading.quality,
          ...(reading.unit !== undefined ? { unit: reading.unit } : {}),
        };
      } else {
        // An older reading (a replay, a reordered delivery) never replaces a newer latest value.
        if (previous.ts > reading.ts) continue;
        previous.value = reading.value;
        previous.ts = reading.ts;
        previous.quality = reading.quality;
        if (reading.unit !== undefined) previous.unit = reading.unit;
        else delete previous.unit;
      }
      const seen = received.get(reading.point);
      if (!seen) {
        received.set(reading.point, { at: now, interval: null });
        continue;
      }
      const gap = now - seen.at;
      if (gap > 0) {
        seen.interval =
          seen.interval === null ? gap : Math.round(seen.interval + INTERVAL_WEIGHT * (gap - seen.interval));
      }
      seen.at = now;
    }
    if (device.last_seen !== null) {
      const gap = now - device.last_seen;
      if (gap > 0) {
        device.interval_ms =
          device.interval_ms === null
            ? gap
            : Math.round(device.interval_ms + INTERVAL_WEIGHT * (gap - device.interval_ms));
      }
    }
    device.last_seen = now;
    this.setGateway(ref, 'online');
    // Telemetry is proof of life: a device we thought offline, stale or unknown is online.
    const changed = this.setStatus(device, 'online') || created;
    this.emit('readings.received', { device_id: device.id, readings: batch.readings });
    if (changed) this.emit('device.changed', { device: this.withFreshness(device) });
  }

  applyDeviceStatus(ref: DeviceRef, status: DeviceStatus): void {
    const { device, created } = this.upsert(ref, status.device_type);
    const changed = this.setStatus(device, status.state, status.ts);
    if (status.state === 'offline' && status.error !== undefined) device.error = status.error;
    if (changed || created) this.emit('device.changed', { device: this.withFreshness(device) });
  }

  /**
   * A gateway going offline (its Last Will) takes every device behind it offline. The time is
   * when the hub heard it: a Last Will's own `ts` is from when the gateway connected.
   */
  applyGatewayStatus(ref: Omit<DeviceRef, 'device'>, status: GatewayStatus): void {
    if (status.state === 'online') {
      // An offline status (the Last Will) names no devices: the list stays as it was.
      const key = `${ref.site}/${ref.gateway}`;
      const entry = this.announced.get(key) ?? { current: null, ever: new Set<string>() };
      entry.current = status.devices ? new Set(status.devices) : null;
      for (const device of status.devices ?? []) entry.ever.add(device);
      this.announced.set(key, entry);
    }
    this.setGateway(ref, status.state);
    if (status.state !== 'offline') return;
    for (const device of this.devices.values()) {
      if (device.site !== ref.site || device.gateway !== ref.gateway) continue;
      if (this.setStatus(device, 'offline')) {
        device.error = `gateway ${ref.gateway} is offline`;
        this.emit('device.changed', { device: this.withFreshness(device) });
      }
    }
  }

  /**
   * Whether a device is among those its gateway announced: `announced` (in its current online
   * status), `withdrawn` (named earlier, not any more), `never`, or `unknown` (no list yet: no
   * online status with a device list since the hub started).
   */
  announcement(ref: DeviceRef): 'announced' | 'withdrawn' | 'never' | 'unknown' {
    const entry = this.announced.get(`${ref.site}/${ref.gateway}`);
    if (!entry?.current) return 'unknown';
    if (entry.current.has(ref.device)) return 'announced';
    return entry.ever.has(ref.device) ? 'withdrawn' : 'never';
  }

  /** Marks online devices that stopped reporting as stale; returns how many changed. */
  sweep(): number {
    const now = this.now();
    let changed = 0;
    for (const device of this.devices.values()) {
      if (device.status !== 'online' || device.last_seen === null || device.interval_ms === null) continue;
      if (now - device.last_seen > STALE_AFTER_INTERVALS * device.interval_ms) {
        this.setStatus(device, 'stale', now);
        this.emit('device.changed', { device: this.withFreshness(device) });
        changed += 1;
      }
    }
    return changed;
  }

  /**
   * A copy with each point's freshness: stale when its device is not online, when the point has
   * been silent for 3 of its own reporting intervals (never for a point heard only once), or
   * when the hub has not heard it at all (a value restored from the store).
   */
  private withFreshness(device: DeviceSummary): DeviceSummary {
    const copy = structuredClone(device);
    const now = this.now();
    const received = this.received.get(copy.id);
    for (const [point, latest] of Object.entries(copy.latest)) {
      const seen = received?.get(point);
      const silent = seen?.interval != null && now - seen.at > STALE_AFTER_INTERVALS * seen.interval;
      latest.stale = !seen || (copy.status !== 'online' && copy.status !== 'unknown') || silent;
    }
    return copy;
  }

  private setGateway(ref: Omit<DeviceRef, 'device'>, status: 'online' | 'offline'): void {
    const key = `${ref.site}/${ref.gateway}`;
    const existing = this.gateways.get(key);
    if (existing?.status === status) return;
    this.gateways.set(key, { site: ref.site, gateway: ref.gateway, status, status_since: this.now() });
  }

  private upsert(ref: DeviceRef, type: DeviceSummary['type']): { device: DeviceSummary; created: boolean } {
    const existing = this.devices.get(ref.device);
    if (existing) {
      existing.site = ref.site;
      existing.gateway = ref.gateway;
      existing.type = type;
      return { device: existing, created: false };
    }
    const device: DeviceSummary = {
      id: ref.device,
      site: ref.site,
      gateway: ref.gateway,
      type,
      status: 'unknown',
      status_since: this.now(),
      last_seen: null,
      interval_ms: null,
      latest: {},
    };
    this.devices.set(ref.device, device);
    return { device, created: true };
  }

  private setStatus(device: DeviceSummary, status: DeviceState, since = this.now()): boolean {
    if (device.status === status) return false;
    device.status = status;
    device.status_since = since;
    if (status === 'online') delete device.error;
    return true;
  }
}
