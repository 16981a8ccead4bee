import type { DeviceSummary, ReadingsReceivedEvent } from '@caretaker/protocol';

/** The board's state: devices by id. Pure functions, so they are unit-tested without a DOM. */
export type DeviceMap = ReadonlyMap<string, DeviceSummary>;

export function fromList(devices: readonly DeviceSummary[]): DeviceMap {
  return new Map(devices.map((d) => [d.id, d]));
}

/** Merges a device summary; a latest value never goes back in time. */
export function applyDevice(state: DeviceMap, incoming: DeviceSummary): DeviceMap {
  const current = state.get(incoming.id);
  const latest = { ...(current?.latest ?? {}) };
  for (const [point, value] of Object.entries(incoming.latest)) {
    const previous = latest[point];
    if (!previous || previous.ts <= value.ts) latest[point] = value;
  }
  const next = new Map(state);
  next.set(incoming.id, { ...incoming, latest });
  return next;
}

/** Applies a batch of live readings to one device (unknown devices wait for their summary). */
export function applyReadings(state: DeviceMap, event: ReadingsReceivedEvent, receivedAt: number): DeviceMap {
  const device = state.get(event.device_id);
  if (!device) return state;
  const latest = { ...device.latest };
  for (const r of event.readings) {
    const previous = latest[r.point];
    if (previous && previous.ts > r.ts) continue;
    latest[r.point] = {
      value: r.value,
      ts: r.ts,
      quality: r.quality,
      ...(r.unit !== undefined
        ? { unit: r.unit }
        : previous?.unit !== undefined
          ? { unit: previous.unit }
          : {}),
    };
  }
  const next = new Map(state);
  next.set(device.id, { ...device, latest, last_seen: receivedAt });
  return next;
}

const TYPE_ORDER = ['pump', 'elevator', 'power_meter', 'water_meter', 'gas_meter', 'other'];

/** Board order: site, then equipment type, then id. */
export function sortedDevices(state: DeviceMap): DeviceSummary[] {
  return [...state.values()].sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) ||
      a.id.localeCompare(b.id),
  );
}
