import { z } from 'zod';

/** Bodies and queries of the dispatch and shift endpoints (validated where they enter). */

/** The first problem named by its field; an unknown field is named itself. */
export function issueOf(error: z.ZodError, where: 'query' | 'body'): string {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const at = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    return `${at}${issue.keys[0]}: unknown field`;
  }
  return `${issue?.path.join('.') || where}: ${issue?.message ?? 'invalid'}`;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `08:30` as minutes after midnight; `24:00` only as an end. */
const clockTime = (allowMidnightEnd: boolean) =>
  z
    .string()
    .refine((t) => HHMM.test(t) || (allowMidnightEnd && t === '24:00'), {
      message: allowMidnightEnd
        ? 'must be a time HH:MM (00:00 to 24:00)'
        : 'must be a time HH:MM (00:00 to 23:59)',
    })
    .transform((t) => {
      const [h, m] = t.split(':').map(Number);
      return (h ?? 0) * 60 + (m ?? 0);
    });

const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.@-]+$/, 'letters, digits, _ . @ - only');
const site = z.string().min(1).max(128);

export const candidatesQuery = z
  .object({
    order: z.coerce.number({ error: 'must be an order id' }).int().min(1, 'must be an order id'),
  })
  .strict();

export const autoDispatchBody = z
  .object({
    order: z.number({ error: 'must be an order id' }).int().min(1, 'must be an order id'),
  })
  .strict();

export const weeklyShiftSchema = z
  .object({
    /** ISO weekday: 1 = Monday ... 7 = Sunday. */
    weekday: z
      .number()
      .int()
      .min(1, 'must be 1 (Monday) to 7 (Sunday)')
      .max(7, 'must be 1 (Monday) to 7 (Sunday)'),
    start: clockTime(false),
    /** Not after start: the shift runs past midnight. */
    end: clockTime(true),
    site: site.nullable().default(null),
  })
  .strict()
  .refine((s) => s.end !== s.start, { path: ['end'], message: 'must differ from start' });

export const weeklyShiftsBody = z.object({ shifts: z.array(weeklyShiftSchema).max(50) }).strict();

export const rosterDayBody = z
  .object({
    username,
    day: z.iso.date({ error: 'must be a date YYYY-MM-DD' }),
    on_duty: z.boolean(),
    start: clockTime(false).optional(),
    end: clockTime(true).optional(),
    site: site.nullable().default(null),
    note: z.string().max(500).nullable().default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.on_duty && (r.start === undefined || r.end === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [r.start === undefined ? 'start' : 'end'],
        message: 'is required on duty',
      });
    }
    if (!r.on_duty && (r.start !== undefined || r.end !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'a day off has no times' });
    }
    if (r.start !== undefined && r.start === r.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must differ from start' });
    }
  });

export const shiftsQuery = z
  .object({
    /** Roster entries from this date on (default: today in UTC). */
    from: z.iso.date({ error: 'must be a date YYYY-MM-DD' }).optional(),
  })
  .strict();

export type WeeklyShiftInput = z.infer<typeof weeklyShiftSchema>;
export type RosterDayInput = z.infer<typeof rosterDayBody>;
