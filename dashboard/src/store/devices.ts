import type { DeviceSummary, ReadingsReceivedEvent } from '@caretaker/protocol';

/**
 * Merging what the hub says about one device. Pure: the live store keeps one immutable summary
 * per device and replaces only the devices that changed, so unchanged tiles never re-render.
 */

/** Merges a device summary; a latest value never goes back in time. */
export function mergeDevice(current: DeviceSummary | undefined, incoming: DeviceSummary): DeviceSummary {
  if (!current) return incoming;
  const latest = { ...current.latest };
  for (const [point, value] of Object.entries(incoming.latest)) {
    const previous = latest[point];
    if (!previous || previous.ts <= value.ts) latest[point] = value;
  }
  return { ...incoming, latest };
}

/** Applies live readings to a device; returns the same object when nothing newer arrived. */
export function mergeReadings(
  device: DeviceSummary,
  readings: ReadingsReceivedEvent['readings'],
  receivedAt: number,
): DeviceSummary {
  let latest: DeviceSummary['latest'] | null = null;
  for (const r of readings) {
    const previous = (latest ?? device.latest)[r.point];
    if (previous && previous.ts > r.ts) continue;
    latest ??= { ...device.latest };
    const unit = r.unit ?? previous?.unit;
    latest[r.point] = {
      value: r.value,
      ts: r.ts,
      quality: r.quality,
      ...(unit !== undefined ? { unit } : {}),
    };
  }
  if (!latest) return device;
  return { ...device, latest, last_seen: receivedAt };
}

const TYPE_ORDER = ['pump', 'elevator', 'power_meter', 'water_meter', 'gas_meter', 'other'];

/** Board order inside a building: equipment type, then id. */
export function compareDevices(a: DeviceSummary, b: DeviceSummary): number {
  return TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || a.id.localeCompare(b.id);
}
