import { z } from 'zod';
import { deviceTypeSchema, idSchema } from './ids.js';
import { byteOrderSchema, modbusDataTypeSchema, modbusTableSchema } from './registers.js';

/**
 * A device profile: the register map or OPC UA node ids of one kind of device. Profiles are
 * YAML files under `simulators/profiles/`; the simulators serve them and the gateway's
 * configuration refers to them, so both read the same map.
 */
const pointBase = {
  name: idSchema,
  unit: z.string().max(32).optional(),
  description: z.string().max(200).optional(),
};

export const modbusPointSchema = z
  .object({
    ...pointBase,
    table: modbusTableSchema.default('holding'),
    /** 0-based protocol address (register 40001 is holding address 0). */
    address: z.number().int().min(0).max(65535),
    type: modbusDataTypeSchema.default('uint16'),
    word_order: byteOrderSchema.optional(),
    byte_order: byteOrderSchema.optional(),
    scale: z.number().finite().optional(),
    offset: z.number().finite().optional(),
    bit: z.number().int().min(0).max(15).optional(),
  })
  .strict();
export type ModbusPoint = z.infer<typeof modbusPointSchema>;

export const opcuaPointSchema = z
  .object({
    ...pointBase,
    /** Node id; `{device}` is replaced by the device id, e.g. `ns=1;s={device}.door_state`. */
    node_id: z.string().min(3).max(256),
  })
  .strict();
export type OpcuaPoint = z.infer<typeof opcuaPointSchema>;

export const modbusProfileSchema = z
  .object({
    profile: idSchema,
    protocol: z.literal('modbus'),
    device_type: deviceTypeSchema,
    description: z.string().max(500).optional(),
    /** Defaults for multi-register values; a point may override them. */
    word_order: byteOrderSchema.default('big'),
    byte_order: byteOrderSchema.default('big'),
    points: z.array(modbusPointSchema).min(1),
  })
  .strict();
export type ModbusProfile = z.infer<typeof modbusProfileSchema>;

export const opcuaProfileSchema = z
  .object({
    profile: idSchema,
    protocol: z.literal('opcua'),
    device_type: deviceTypeSchema,
    description: z.string().max(500).optional(),
    points: z.array(opcuaPointSchema).min(1),
  })
  .strict();
export type OpcuaProfile = z.infer<typeof opcuaProfileSchema>;

export const deviceProfileSchema = z.discriminatedUnion('protocol', [
  modbusProfileSchema,
  opcuaProfileSchema,
]);
export type DeviceProfile = z.infer<typeof deviceProfileSchema>;

/** The node id of an OPC UA point for one device. */
export function resolveNodeId(point: OpcuaPoint, device: string): string {
  return point.node_id.replaceAll('{device}', device);
}
