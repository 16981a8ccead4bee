import { durationSchema, INSPECTION_STATUSES } from '@caretaker/protocol';
import { z } from 'zod';
import { checklistSchema } from './checklist.js';
import { scheduleSchema } from './schedule.js';

/**
 * What enters the preventive API and the plans file, validated before anything happens; a
 * problem names its field. Create bodies are full; PATCH bodies are any subset of the same
 * fields, merged with the stored record and validated again as a whole.
 */

const site = z.string().trim().min(1).max(128);
const name = z.string().trim().min(1).max(200);
const text = z.string().trim().min(1).max(200);
const ids = z
  .array(z.number().int().positive())
  .min(1, 'needs at least one object')
  .max(500)
  .refine((list) => new Set(list).size === list.length, 'lists an object twice');

export const objectFields = z
  .object({
    site,
    name,
    /** The device inspected; leave out for a place. */
    device: z.string().trim().min(1).max(128).nullable().optional(),
    building: text.nullable().optional(),
    location: text.nullable().optional(),
    problem_type: z.string().trim().min(1).max(64).default('inspection'),
    items: checklistSchema,
  })
  .strict();
const needsDeviceOrPlace = (o: {
  device?: string | null | undefined;
  location?: string | null | undefined;
}) => Boolean(o.device) || Boolean(o.location);
export const objectInput = objectFields.refine(needsDeviceOrPlace, {
  path: ['device'],
  message: 'give a device, or a location for a place',
});
export const objectPatch = objectFields.partial().strict();
export type ObjectInput = z.infer<typeof objectInput>;

export const templateFields = z
  .object({
    site,
    name,
    description: z.string().max(2000).default(''),
    object_ids: ids,
  })
  .strict();
export const templateInput = templateFields;
export const templatePatch = templateFields.partial().strict();
export type TemplateInput = z.infer<typeof templateInput>;

export const assignToSchema = z.union(
  [
    z.object({ technician: z.string().trim().min(1).max(64) }).strict(),
    z.object({ skill: z.string().trim().min(1).max(64) }).strict(),
    z.object({ contractor: z.string().trim().min(1).max(200) }).strict(),
  ],
  { error: 'must be { technician }, { skill } or { contractor }' },
);
export type AssignTo = z.infer<typeof assignToSchema>;

export const planFields = z
  .object({
    site,
    name,
    description: z.string().max(2000).default(''),
    template_id: z.number().int().positive().nullable().optional(),
    object_ids: ids.nullable().optional(),
    schedule: scheduleSchema,
    /** How long after each occurrence its order is due. */
    window: durationSchema
      .prefault('1d')
      .refine((ms) => ms >= 60_000 && ms <= 366 * 86_400_000, 'must be between 1m and 366d'),
    priority: z.number().int().min(1).max(4).default(3),
    problem_type: z.string().trim().min(1).max(64).default('preventive_inspection'),
    assign_to: assignToSchema.nullable().default(null),
    active: z.boolean().default(true),
  })
  .strict();
const oneChecklistSource = (p: {
  template_id?: number | null | undefined;
  object_ids?: number[] | null | undefined;
}) => (p.template_id != null) !== (p.object_ids != null);
export const planInput = planFields.refine(oneChecklistSource, {
  path: ['template_id'],
  message: 'give either template_id or object_ids',
});
export const planPatch = z
  .object({
    site,
    name,
    description: z.string().max(2000),
    template_id: z.number().int().positive().nullable(),
    object_ids: ids.nullable(),
    schedule: scheduleSchema,
    window: z.string(),
    priority: z.number().int().min(1).max(4),
    problem_type: z.string().trim().min(1).max(64),
    assign_to: assignToSchema.nullable(),
    active: z.boolean(),
  })
  .partial()
  .strict();
export type PlanInput = z.infer<typeof planInput>;

export const resultsBody = z
  .object({
    results: z
      .array(
        z
          .object({
            /** The id of the item's row in the inspection (GET /api/inspections/:id). */
            item_id: z.number().int().positive(),
            passed: z.boolean().optional(),
            value: z.number().finite().optional(),
            attachment_id: z.number().int().positive().optional(),
            note: z.string().max(2000).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(500)
      .superRefine((list, ctx) => {
        const seen = new Set<number>();
        list.forEach((r, i) => {
          if (seen.has(r.item_id)) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'item_id'],
              message: `item ${r.item_id} is given twice`,
            });
          }
          seen.add(r.item_id);
        });
      }),
  })
  .strict();
export type ResultsBody = z.infer<typeof resultsBody>;

export const cancelBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();

const epoch = z.union([
  z.coerce.number().int().min(0),
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be epoch ms or an ISO 8601 time')
    .transform((s) => Date.parse(s)),
]);

export { INSPECTION_STATUSES, type InspectionStatus } from '@caretaker/protocol';

export const inspectionsQuery = z
  .object({
    status: z.enum(INSPECTION_STATUSES).optional(),
    site: site.optional(),
    plan: z.coerce.number().int().positive().optional(),
    /** Inspections whose order this person is assigned to or assists on (a technician's tasks). */
    assignee: z.string().trim().min(1).max(64).optional(),
    /** Inspections with at least one item on this device (its inspection history). */
    device: z.string().trim().min(1).max(128).optional(),
    from: epoch.optional(),
    to: epoch.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

export const reportQuery = z
  .object({
    from: epoch,
    to: epoch,
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .refine((q) => q.to > q.from, { path: ['to'], message: 'must be after from' });

export const listQuery = z.object({ site: site.optional() }).strict();

/** The plans file (demo plans, or an estate's own): records by stable key, references by key. */
const key = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, _ . -')
  .max(100);
export const plansFileSchema = z
  .object({
    objects: z
      .array(
        objectFields.extend({ key }).refine(needsDeviceOrPlace, {
          path: ['device'],
          message: 'give a device, or a location for a place',
        }),
      )
      .default([]),
    templates: z
      .array(templateFields.omit({ object_ids: true }).extend({ key, objects: z.array(key).min(1) }))
      .default([]),
    plans: z
      .array(
        planFields
          .omit({ template_id: true, object_ids: true })
          .extend({ key, template: key.optional(), objects: z.array(key).min(1).optional() })
          .refine((p) => (p.template === undefined) !== (p.objects === undefined), {
            path: ['template'],
            message: 'give either template or objects',
          }),
      )
      .default([]),
  })
  .strict();
export type PlansFile = z.infer<typeof plansFileSchema>;
