import { idSchema, ORDER_LIST_SORTS } from '@caretaker/protocol';
import { z } from 'zod';
import { ORDER_STATUSES } from '../db/schema.js';

/**
 * What enters the work-order API, declared once: the routes validate with these and the
 * OpenAPI document is generated from them.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const statusEnum = z.enum(ORDER_STATUSES);

export const manualOrderSchema = z
  .object({
    site: idSchema,
    building: text(128).optional(),
    location: text(200).optional(),
    device: idSchema.optional(),
    problem_type: z
      .string()
      .regex(/^[a-z][a-z0-9_.]{0,63}$/, 'lower-case letters, digits, _ and . (e.g. pump_leak)'),
    /** 1 (most urgent) to 4. */
    priority: z.number().int().min(1).max(4),
    title: text(200),
    description: z.string().max(4000).default(''),
  })
  .strict();
export type ManualOrderInput = z.infer<typeof manualOrderSchema>;

const statusList = z
  .string()
  .transform((raw) => raw.split(',').map((s) => s.trim()))
  .pipe(z.array(statusEnum).min(1));

export const orderListQuery = z
  .object({
    /** One status or several, comma-separated. */
    status: statusList.optional(),
    site: idSchema.optional(),
    device: idSchema.optional(),
    /** The primary assignee or a co-assignee. */
    assignee: z.string().min(1).max(64).optional(),
    priority: z.coerce.number().int().min(1).max(4).optional(),
    source: z.enum(['sensor', 'manual', 'qr', 'preventive']).optional(),
    /** true: open orders past their completion due time (deferred ones are paused). */
    overdue: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    sort: z.enum(ORDER_LIST_SORTS).default('newest'),
    /**
     * The instant (epoch ms) overdue and the urgent order are judged at: a client paging on
     * passes the first page's `as_of`, so the order cannot shift between its pages.
     */
    as_of: z.coerce.number().int().min(0).max(8_640_000_000_000_000).optional(),
  })
  .strict();
export type OrderListQuery = z.infer<typeof orderListQuery>;

/** The board: the list's filters (no paging), and how many cards each column shows. */
export const orderBoardQuery = orderListQuery
  .omit({ limit: true, offset: true })
  .extend({
    /** The desk's order: most urgent first. */
    sort: z.enum(ORDER_LIST_SORTS).default('urgent'),
    per_column: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export type OrderBoardQuery = z.infer<typeof orderBoardQuery>;

export const PHONE = /^\+?[0-9][0-9 ()-]{4,30}$/;

/** The no-login report of a QR code (form fields or JSON). */
export const qrReportSchema = z
  .object({
    device: idSchema,
    /** The signature printed in the code (`s` of /r/<device>?s=...). */
    s: z.string().min(1).max(64),
    name: text(64),
    phone: z.string().trim().regex(PHONE, 'a phone number, digits with + ( ) - or spaces'),
    description: text(2000),
  })
  .strict();
export type QrReportInput = z.infer<typeof qrReportSchema>;

export const qrReportListQuery = z
  .object({
    status: z.enum(['pending', 'approved', 'rejected']).optional(),
    site: idSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** What a reviewer may set on the order a report becomes (the report gives the rest). */
export const qrApproveSchema = z
  .object({
    title: text(200).optional(),
    problem_type: z
      .string()
      .regex(/^[a-z][a-z0-9_.]{0,63}$/)
      .default('qr_report'),
    priority: z.number().int().min(1).max(4).default(3),
    building: text(128).optional(),
    location: text(200).optional(),
  })
  .strict();
export type QrApproveInput = z.infer<typeof qrApproveSchema>;

export const qrRejectSchema = z.object({ reason: text(2000) }).strict();
