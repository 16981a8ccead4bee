import { z } from 'zod';
import type { ResultStatus } from './schema.js';

/**
 * Checklist items and how a recorded result is judged. Pure: no I/O, so the rules are the
 * same for the API, the demo file and the tests.
 */

const key = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, _ . - (a stable id)');
const label = z.string().trim().min(1).max(200);
const unit = z.string().trim().min(1).max(32);

const passFailItem = z.object({ key, label, type: z.literal('pass_fail') }).strict();
const numberItem = z
  .object({
    key,
    label,
    type: z.literal('number'),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    unit: unit.optional(),
  })
  .strict()
  .refine((i) => i.min === undefined || i.max === undefined || i.min <= i.max, {
    path: ['max'],
    message: 'must not be below min',
  });
const photoItem = z.object({ key, label, type: z.literal('photo') }).strict();
const meterItem = z
  .object({
    key,
    label,
    type: z.literal('meter'),
    unit: unit.optional(),
    /** The device's counter point the reading is checked against (the object's device). */
    point: z.string().min(1).max(128).optional(),
    /** Largest accepted difference from the live value, in the item's unit. */
    tolerance: z.number().finite().min(0).optional(),
  })
  .strict()
  .refine((i) => i.tolerance === undefined || i.point !== undefined, {
    path: ['tolerance'],
    message: 'needs a point to compare with',
  });

export const checklistItemSchema = z.union([passFailItem, numberItem, photoItem, meterItem], {
  error: 'must be an item with type pass_fail, number, photo or meter',
});
export type ChecklistItem = z.infer<typeof checklistItemSchema>;

export const checklistSchema = z
  .array(checklistItemSchema)
  .min(1, 'needs at least one item')
  .max(200)
  .superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.key))
        ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `"${item.key}" is used twice` });
      seen.add(item.key);
    });
  });

/** What a person records for one item; which fields are needed depends on the item's type. */
export interface ResultInput {
  passed?: boolean | undefined;
  value?: number | undefined;
  attachment_id?: number | undefined;
  note?: string | undefined;
}

export interface Judgement {
  status: Exclude<ResultStatus, 'pending'>;
  value: number | null;
  attachmentId: number | null;
  liveValue: number | null;
  /** Why it failed, for the repair order. */
  reason: string | null;
}

/** The live value of the object's counter point, when a meter item names one. */
export type LiveCounter = (point: string) => number | null;

/**
 * Judges one result against its item, or says which field is wrong (`{ error: { field, message } }`).
 * A number outside its limits fails; a meter reading further from the live counter than the
 * tolerance fails; a photo passes once attached; pass/fail is what the person says.
 */
export function judge(
  item: ChecklistItem,
  input: ResultInput,
  live: LiveCounter,
): Judgement | { error: { field: string; message: string } } {
  const fail = (field: string, message: string) => ({ error: { field, message } });
  const base = { value: null, attachmentId: null, liveValue: null, reason: null };
  switch (item.type) {
    case 'pass_fail':
      if (input.passed === undefined) return fail('passed', 'required for a pass/fail item');
      return {
        ...base,
        status: input.passed ? 'pass' : 'fail',
        value: input.passed ? 1 : 0,
        reason: input.passed ? null : 'marked as failed',
      };
    case 'number': {
      if (input.value === undefined) return fail('value', 'required for a number item');
      const { min, max } = item;
      const unitText = item.unit ? ` ${item.unit}` : '';
      let reason: string | null = null;
      if (min !== undefined && input.value < min)
        reason = `${input.value}${unitText} is below ${min}${unitText}`;
      if (max !== undefined && input.value > max)
        reason = `${input.value}${unitText} is above ${max}${unitText}`;
      return { ...base, status: reason ? 'fail' : 'pass', value: input.value, reason };
    }
    case 'photo':
      if (input.attachment_id === undefined) return fail('attachment_id', 'required for a photo item');
      return { ...base, status: 'pass', attachmentId: input.attachment_id };
    case 'meter': {
      if (input.value === undefined) return fail('value', 'required for a meter reading');
      if (input.value < 0) return fail('value', 'a counter reading is never negative');
      const meter = item;
      const liveValue = meter.point ? live(meter.point) : null;
      let reason: string | null = null;
      if (liveValue !== null && meter.tolerance !== undefined) {
        const off = Math.abs(input.value - liveValue);
        if (off > meter.tolerance) {
          reason = `reading ${input.value} differs from the live ${meter.point} ${liveValue} by ${Number(off.toPrecision(6))} (tolerance ${meter.tolerance})`;
        }
      }
      return { ...base, status: reason ? 'fail' : 'pass', value: input.value, liveValue, reason };
    }
  }
}
