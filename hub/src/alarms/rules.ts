import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeSchema, durationSchema, idSchema } from '@caretaker/protocol';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';
import { SEVERITIES } from '../db/schema.js';
import { ExpressionError, parseExpression } from './expression.js';

/**
 * Alarm rules: what is wrong with a kind of device, how long it must last, how bad it is, and
 * when it becomes a work order. The default rule pack (`hub/rules/default.yaml`) covers the
 * failure modes of DOMAIN.md; `HUB_RULES_FILE` replaces it. Validated where it enters: every
 * error names its path.
 */

const severitySchema = z.enum(SEVERITIES as unknown as ['info', 'warning', 'major', 'critical']);

export const comparisonSchema = z
  .object({
    /** The point compared; or `expr`, an expression across the device's points. */
    point: idSchema.optional(),
    /**
     * An expression across the points of the same device, e.g.
     * `imbalance(current_l1, current_l2, current_l3)` or `outlet_pressure - inlet_pressure`
     * (`hub/src/alarms/expression.ts`). Unknown while any point it reads is.
     */
    expr: z.string().min(1).max(500).optional(),
    /** `off_level`: |value − nearest integer| > value (a lift car stopped between floors). */
    op: z.enum(['>', '>=', '<', '<=', '==', '!=', 'off_level']),
    value: z.number().finite(),
    /** Hysteresis: the condition only counts as gone once it fails against this value. */
    clear: z.number().finite().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.point === undefined) === (c.expr === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['point'], message: 'give exactly one of `point` or `expr`' });
    }
    if (c.expr !== undefined) {
      try {
        parseExpression(c.expr);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['expr'], message: err.message });
      }
    }
    if (c.clear === undefined) return;
    const ok =
      c.op === '>' || c.op === '>='
        ? c.clear <= c.value
        : c.op === '<' || c.op === '<='
          ? c.clear >= c.value
          : false;
    if (!ok)
      ctx.addIssue({
        code: 'custom',
        path: ['clear'],
        message: `must lie inside the raise value for ${c.op}`,
      });
  });
export type Comparison = z.infer<typeof comparisonSchema>;

/** What a comparison is written on: its point, or its expression's text. */
export function comparisonSubject(c: Comparison): string {
  return c.expr ?? (c.point as string);
}

/** The points a comparison reads. */
export function comparisonPoints(c: Comparison): readonly string[] {
  return c.expr !== undefined ? parseExpression(c.expr).points : [c.point as string];
}

const workOrderPolicySchema = z.discriminatedUnion('when', [
  z.object({ when: z.literal('immediate') }).strict(),
  z.object({ when: z.literal('never') }).strict(),
  /** After the alarm has been active this long without clearing. */
  z.object({ when: z.literal('active_for'), after: durationSchema }).strict(),
  /** Once the alarm reaches this severity. */
  z.object({ when: z.literal('severity'), at_least: severitySchema }).strict(),
  /** On the Nth activation of the same incident within `within`. */
  z
    .object({ when: z.literal('occurrences'), count: z.number().int().min(2), within: durationSchema })
    .strict(),
]);
export type WorkOrderPolicy = z.infer<typeof workOrderPolicySchema>;

const trendSchema = z
  .object({
    point: idSchema,
    direction: z.enum(['rising', 'falling']),
    limit: z.number().finite(),
    /** How much history the fitted line covers. */
    window: durationSchema,
    /** Raise when the limit is predicted within this time. */
    horizon: durationSchema,
    min_points: z.number().int().min(3).default(20),
  })
  .strict();

/**
 * Learned behaviour: a model of how the points move together in normal running (PCA with
 * Hotelling T² and SPE, `hub/src/detectors/pca-monitor.detector.ts`), learned from the device's
 * first `train_rows` rows that pass `only_when`; raises when the relation breaks.
 */
const anomalySchema = z
  .object({
    points: z.array(idSchema).min(2).max(32),
    train_rows: z.number().int().min(30).max(100_000).default(600),
    /** Rows judged (and learned from) only while these hold, e.g. the pump is running. */
    only_when: z.array(comparisonSchema).default([]),
  })
  .strict();

const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_.-]{1,80}$/, 'must be lower-case letters, digits, _ . -'),
    device_type: deviceTypeSchema,
    title: z.string().min(1).max(200),
    /** What the work order is about (its problem type, for time limits and dispatch). */
    problem_type: z.string().regex(/^[a-z0-9_]{1,60}$/),
    severity: severitySchema,
    /** All must hold to raise (a condition across points); any failing (with `clear`) clears. */
    when: z.array(comparisonSchema).min(1).optional(),
    trend: trendSchema.optional(),
    anomaly: anomalySchema.optional(),
    /** Require the raise condition in at least n of the last m readings. */
    n_of_m: z
      .object({ n: z.number().int().min(1), m: z.number().int().min(1) })
      .strict()
      .optional(),
    raise_after: durationSchema.default(0),
    clear_after: durationSchema.default(0),
    /** Severity raised in place while active, e.g. bearing temperature past a second limit. */
    escalate: z
      .array(z.object({ severity: severitySchema, when: z.array(comparisonSchema).min(1) }).strict())
      .default([]),
    /** A root cause for its building: alarms of other devices there become its symptoms. */
    root_cause: z.literal('building').optional(),
    work_order: workOrderPolicySchema.default({ when: 'immediate' }),
    /** An order nobody acknowledged is cancelled as self-recovered if the alarm clears this soon. */
    self_recovery_window: durationSchema.default(600_000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ([r.when, r.trend, r.anomaly].filter((x) => x !== undefined).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['when'],
        message: 'give exactly one of `when`, `trend` or `anomaly`',
      });
    }
    if (r.n_of_m && r.n_of_m.n > r.n_of_m.m) {
      ctx.addIssue({ code: 'custom', path: ['n_of_m', 'n'], message: 'must not exceed m' });
    }
  });
export type Rule = z.infer<typeof ruleSchema>;

export const ruleFileSchema = z
  .object({
    /** Silence after which a device's communication-loss alarm raises (longer than a Last Will). */
    comm_loss_after: durationSchema.default(60_000),
    /** A cleared alarm raised again within this window is the same alarm (and counts as a flap). */
    flap_window: durationSchema.default(1_800_000),
    /** Activations within the flap window that mark an alarm flapping. */
    flap_count: z.number().int().min(2).default(3),
    /** A completed order whose incident returns within this is reopened (failed first-time fix). */
    reopen_window: durationSchema.default(72 * 3_600_000),
    rules: z.array(ruleSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule ${r.id}` });
      seen.add(r.id);
    });
  });
export type RuleFile = z.infer<typeof ruleFileSchema>;
export type RuleFileInput = z.input<typeof ruleFileSchema>;

export const DEFAULT_RULES_FILE = join(dirname(fileURLToPath(import.meta.url)), '../../rules/default.yaml');

export function parseRules(input: unknown, source = 'rules'): RuleFile {
  return validateFile(ruleFileSchema, input, source);
}

export function loadRules(file = DEFAULT_RULES_FILE): RuleFile {
  const source = `rules file ${file}`;
  return parseRules(readYamlFileSync(file, source), source);
}
