import type { DeviceSummary } from '@caretaker/protocol';

/**
 * The values a tile shows (with a sparkline each), per equipment type: what the engineer on duty
 * looks at first. The device page shows every point.
 */
const KEY_POINTS: Record<string, readonly string[]> = {
  pump: ['flow', 'outlet_pressure', 'motor_current', 'vibration'],
  elevator: ['car_position', 'speed', 'load', 'door_close_time'],
  power_meter: ['active_power', 'current_l1', 'voltage_l1', 'transformer_temp'],
  water_meter: ['flow_rate', 'total_volume'],
  gas_meter: ['flow_rate', 'total_volume'],
};
const MAX_KEY_POINTS = 4;

/** The type's key points the device has; for other types its first numeric points by name. */
export function keyPoints(device: Pick<DeviceSummary, 'type' | 'latest'>): string[] {
  const known = KEY_POINTS[device.type];
  const points = Object.keys(device.latest);
  if (known) {
    const present = known.filter((p) => p in device.latest);
    if (present.length > 0) return present;
  }
  return points
    .filter((p) => typeof device.latest[p]?.value === 'number')
    .sort()
    .slice(0, MAX_KEY_POINTS);
}
