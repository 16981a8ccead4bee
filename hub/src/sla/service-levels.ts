import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  durationSchema,
  ORDER_PRIORITIES,
  type OrderPriority,
  SLA_LIMIT_KINDS,
  type SlaLimitKind,
} from '@caretaker/protocol';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';

/**
 * Service levels: each problem type has a priority and two limits, response (created until
 * dispatched, or accepted) and completion (created until completed), measured on a clock that
 * stops while the order is deferred. Per-priority defaults cover every type the file does not
 * name. `hub/config/service-levels.yaml` ships; `HUB_SERVICE_LEVELS_FILE` replaces it.
 */

export const PRIORITIES = ORDER_PRIORITIES;
export type Priority = OrderPriority;
export const LIMIT_KINDS = SLA_LIMIT_KINDS;
export type LimitKind = SlaLimitKind;

const percentSchema = z.number().int().min(1).max(99);

const escalationSchema = {
  /** After the first escalation (at 100 %), one level further up the chain this often. */
  escalate_every: durationSchema.optional(),
  /** How far up the chain (levels above the first). */
  max_level: z.number().int().min(1).max(10).optional(),
};

const priorityLevelSchema = z
  .object({
    name: z.string().min(1).max(40),
    response: durationSchema,
    completion: durationSchema,
    escalate_every: durationSchema,
    max_level: z.number().int().min(1).max(10).default(3),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.completion < p.response)
      ctx.addIssue({ code: 'custom', path: ['completion'], message: 'must not be shorter than response' });
  });

const problemTypeSchema = z
  .object({
    priority: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], {
      error: 'must be 1 (most urgent) to 4',
    }),
    /** Absent: the default of the priority. */
    response: durationSchema.optional(),
    completion: durationSchema.optional(),
    ...escalationSchema,
    description: z.string().max(200).optional(),
  })
  .strict();

export const serviceLevelsFileSchema = z
  .object({
    /** What ends the response limit: the order dispatched to someone, or merely accepted. */
    response_ends: z.enum(['dispatched', 'accepted']).default('dispatched'),
    /** Warnings before a limit is reached, in percent of it (100 % is the breach itself). */
    warn_at: z.array(percentSchema).max(5).default([50, 75]),
    priorities: z
      .object({
        '1': priorityLevelSchema,
        '2': priorityLevelSchema,
        '3': priorityLevelSchema,
        '4': priorityLevelSchema,
      })
      .strict(),
    problem_types: z
      .record(z.string().regex(/^[a-z0-9_]{1,60}$/, 'must be a problem type id'), problemTypeSchema)
      .default({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    for (const [type, t] of Object.entries(file.problem_types)) {
      const base = file.priorities[String(t.priority) as '1'];
      const response = t.response ?? base.response;
      const completion = t.completion ?? base.completion;
      if (completion < response)
        ctx.addIssue({
          code: 'custom',
          path: ['problem_types', type, 'completion'],
          message: 'must not be shorter than response',
        });
    }
    if (new Set(file.warn_at).size !== file.warn_at.length)
      ctx.addIssue({ code: 'custom', path: ['warn_at'], message: 'must not repeat a percentage' });
  });
export type ServiceLevelsFile = z.infer<typeof serviceLevelsFileSchema>;
export type ServiceLevelsInput = z.input<typeof serviceLevelsFileSchema>;

/** What applies to one order: its priority, limits and escalation pace. */
export interface ServiceLevel {
  priority: Priority;
  responseMs: number;
  completionMs: number;
  escalateEveryMs: number;
  maxLevel: number;
  /** Where the numbers come from, for explanations: `problem type elevator_trapped`, `priority 2`. */
  source: string;
}

export const DEFAULT_SERVICE_LEVELS_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../config/service-levels.yaml',
);

export class ServiceLevels {
  readonly warnAt: readonly number[];

  constructor(readonly file: ServiceLevelsFile) {
    this.warnAt = [...file.warn_at].sort((a, b) => a - b);
  }

  static parse(input: unknown, source = 'service levels'): ServiceLevels {
    return new ServiceLevels(validateFile(serviceLevelsFileSchema, input, source));
  }

  static load(file = DEFAULT_SERVICE_LEVELS_FILE): ServiceLevels {
    const source = `service levels file ${file}`;
    return ServiceLevels.parse(readYamlFileSync(file, source), source);
  }

  get responseEnds(): 'dispatched' | 'accepted' {
    return this.file.response_ends;
  }

  /** The defaults of a priority (out-of-range values are clamped to 1..4). */
  ofPriority(priority: number): ServiceLevel {
    const p = Math.min(4, Math.max(1, Math.round(priority))) as Priority;
    const level = this.file.priorities[String(p) as '1'];
    return {
      priority: p,
      responseMs: level.response,
      completionMs: level.completion,
      escalateEveryMs: level.escalate_every,
      maxLevel: level.max_level,
      source: `priority ${p} (${level.name})`,
    };
  }

  /**
   * The service level of an order of this problem type raised at `priority`: the type's own
   * priority when it is more urgent, the type's own limits, and never looser than the
   * defaults of a more urgent priority the order already has (a critical sensor alarm on a
   * usually minor problem type).
   */
  forOrder(problemType: string, priority: number): ServiceLevel {
    const type = this.file.problem_types[problemType];
    if (!type) return this.ofPriority(priority);
    const p = Math.min(type.priority, Math.max(1, Math.round(priority))) as Priority;
    const base = this.ofPriority(type.priority);
    const own: ServiceLevel = {
      priority: type.priority,
      responseMs: type.response ?? base.responseMs,
      completionMs: type.completion ?? base.completionMs,
      escalateEveryMs: type.escalate_every ?? base.escalateEveryMs,
      maxLevel: type.max_level ?? base.maxLevel,
      source: `problem type ${problemType}`,
    };
    return p < type.priority ? tightest(own, this.ofPriority(p)) : own;
  }

  /** The priority the problem type asks for, if the file names it. */
  priorityOf(problemType: string): Priority | undefined {
    return this.file.problem_types[problemType]?.priority;
  }
}

/** The stricter of two levels, limit by limit (a priority raise never loosens anything). */
export function tightest(a: ServiceLevel, b: ServiceLevel): ServiceLevel {
  return {
    priority: Math.min(a.priority, b.priority) as Priority,
    responseMs: Math.min(a.responseMs, b.responseMs),
    completionMs: Math.min(a.completionMs, b.completionMs),
    escalateEveryMs: Math.min(a.escalateEveryMs, b.escalateEveryMs),
    maxLevel: Math.max(a.maxLevel, b.maxLevel),
    source:
      a.priority <= b.priority
        ? `${a.source}, tightened by ${b.source}`
        : `${b.source}, tightened by ${a.source}`,
  };
}
