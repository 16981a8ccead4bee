import { EventEmitter } from 'node:events';
import type {
  DeviceChangedEvent,
  DeviceState,
  DeviceStatus,
  DeviceSummary,
  GatewayStatus,
  ReadingsReceivedEvent,
  TelemetryBatch,
} from '@caretaker/protocol';

export interface DeviceRef {
  site: string;
  gateway: string;
  device: string;
}

type LiveEvents = {
  'readings.received': [ReadingsReceivedEvent];
  'device.changed': [DeviceChangedEvent];
};

/**
 * Each device's latest values and online/offline state, kept in memory and announced as typed
 * events (the socket.io repository forwards them to dashboards). No I/O here.
 */
export class LiveStateService extends EventEmitter<LiveEvents> {
  private readonly devices = new Map<string, DeviceSummary>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  list(): DeviceSummary[] {
    return [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): DeviceSummary | undefined {
    return this.devices.get(id);
  }

  applyTelemetry(ref: DeviceRef, batch: TelemetryBatch): void {
    const { device, created } = this.upsert(ref, batch.device_type);
    for (const reading of batch.readings) {
      const previous = device.latest[reading.point];
      // An older reading (a replay, a reordered delivery) never replaces a newer latest value.
      if (previous && previous.ts > reading.ts) continue;
      device.latest[reading.point] = {
        value: reading.value,
        ts: reading.ts,
        quality: reading.quality,
        ...(reading.unit !== undefined ? { unit: reading.unit } : {}),
      };
    }
    device.last_seen = this.now();
    // Telemetry is proof of life: a device we thought offline (or never heard of) is online.
    const changed = this.setStatus(device, 'online') || created;
    this.emit('readings.received', { device_id: device.id, readings: batch.readings });
    if (changed) this.emit('device.changed', { device: structuredClone(device) });
  }

  applyDeviceStatus(ref: DeviceRef, status: DeviceStatus): void {
    const { device, created } = this.upsert(ref, status.device_type);
    const changed = this.setStatus(device, status.state, status.ts);
    if (status.state === 'offline' && status.error !== undefined) device.error = status.error;
    if (changed || created) this.emit('device.changed', { device: structuredClone(device) });
  }

  /**
   * A gateway going offline (its Last Will) takes every device behind it offline. The time is
   * when the hub heard it: a Last Will's own `ts` is from when the gateway connected.
   */
  applyGatewayStatus(ref: Omit<DeviceRef, 'device'>, status: GatewayStatus): void {
    if (status.state !== 'offline') return;
    for (const device of this.devices.values()) {
      if (device.site !== ref.site || device.gateway !== ref.gateway) continue;
      if (this.setStatus(device, 'offline')) {
        device.error = `gateway ${ref.gateway} is offline`;
        this.emit('device.changed', { device: structuredClone(device) });
      }
    }
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
