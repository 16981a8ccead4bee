import { type DeviceType, durationSchema, idSchema } from '@caretaker/protocol';
import { z } from 'zod';
import { appliesTo, FAULT_KINDS, faultDefinition } from '../faults/catalogue.js';
import { ONSETS } from '../faults/onset.js';

/**
 * A fault as a scenario file or the control API asks for it. Durations are scenario time
 * (the estate's time factor compresses them); `start` is counted from the scenario's start in
 * a file and from now in the control API.
 */
export const faultRequestSchema = z
  .object({
    device: idSchema,
    kind: z.enum(FAULT_KINDS),
    /** Full severity, above 0 up to 1. For communication faults: the share of requests affected. */
    severity: z.number().gt(0).max(1).default(1),
    /** Default: the kind's usual onset (bearing wear accelerates, a trip is a step). */
    onset: z.enum(ONSETS).optional(),
    /** Time to full severity. Default: the duration, or at once when open-ended. */
    onset_time: durationSchema.optional(),
    start: durationSchema.default(0),
    duration: durationSchema.optional(),
    /** The other way to bound it: when it ends, counted like `start`. */
    end: durationSchema.optional(),
    /** Sensor faults: the point whose reading is faulty. */
    point: idSchema.optional(),
    /** slow_response: how late answers come, ms. */
    delay_ms: z.number().int().min(1).max(600_000).optional(),
    /** modbus_exception: the exception code (1-255; 4 server device failure, 6 busy). */
    exception_code: z.number().int().min(1).max(255).optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    if (request.duration !== undefined && request.end !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'give either duration or end, not both' });
    }
    if (request.end !== undefined && request.end <= request.start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    }
    if (request.duration !== undefined && request.duration <= 0) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'must be longer than 0' });
    }
    const layer = faultDefinition(request.kind).layer;
    if (layer === 'sensor' && request.point === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['point'],
        message: `${request.kind} needs the point it affects`,
      });
    }
    if (layer !== 'sensor' && request.point !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['point'], message: `only sensor faults take a point` });
    }
    if (request.delay_ms !== undefined && request.kind !== 'slow_response') {
      ctx.addIssue({ code: 'custom', path: ['delay_ms'], message: 'only slow_response takes delay_ms' });
    }
    if (request.exception_code !== undefined && request.kind !== 'modbus_exception') {
      ctx.addIssue({
        code: 'custom',
        path: ['exception_code'],
        message: 'only modbus_exception takes exception_code',
      });
    }
  });
export type FaultRequest = z.output<typeof faultRequestSchema>;
export type FaultRequestInput = z.input<typeof faultRequestSchema>;

/** What a fault must know about its device to be checked. */
export interface FaultTargetInfo {
  type: DeviceType;
  protocol: 'modbus' | 'opcua';
  /** Names of the device's numeric points (sensor faults pick one). */
  numericPoints: readonly string[];
}

/** Problems of a valid request on a given device, as `field: message`. */
export function checkFaultTarget(
  request: FaultRequest,
  target: FaultTargetInfo,
): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const definition = faultDefinition(request.kind);
  if (!appliesTo(definition, target.type)) {
    const types = definition.layer === 'process' ? Object.keys(definition.effects).join(', ') : '';
    problems.push({
      path: 'kind',
      message: `${request.kind} does not apply to ${request.device}, a ${target.type} (it applies to ${types})`,
    });
  }
  if (definition.layer === 'comm' && !definition.protocols.includes(target.protocol)) {
    problems.push({
      path: 'kind',
      message: `${request.kind} is not played over ${target.protocol} (${request.device}); only ${definition.protocols.join(', ')}`,
    });
  }
  if (request.point !== undefined && !target.numericPoints.includes(request.point)) {
    problems.push({
      path: 'point',
      message: `${request.device} has no numeric point ${request.point} (it has ${target.numericPoints.join(', ')})`,
    });
  }
  return problems;
}
