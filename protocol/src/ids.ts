import { z } from 'zod';

/**
 * Identifiers that appear as MQTT topic levels (site, gateway, device) and point names.
 * They must never contain the MQTT separators and wildcards (`/`, `+`, `#`), so we allow a
 * conservative, URL-safe alphabet. MQTT 3.1.1 §4.7.1.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . - and start with a letter or digit');

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export const DEVICE_TYPES = ['pump', 'elevator', 'power_meter', 'water_meter', 'gas_meter', 'other'] as const;
export const deviceTypeSchema = z.enum(DEVICE_TYPES);
export type DeviceType = z.infer<typeof deviceTypeSchema>;
