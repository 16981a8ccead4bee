import { DEVICE_TYPES, idSchema } from '@caretaker/protocol';
import express, { type Response } from 'express';
import { z } from 'zod';
import { sendError } from '../http/errors.js';
import { actorRoute, parseOr400, timeParam } from '../http/route-helpers.js';
import { PartsError, type PartsService, type Ref } from './parts.service.js';
import { deltaSchema, levelSchema, quantitySchema } from './quantity.js';
import type { PartRow, StoreRow } from './schema.js';

/**
 * Spare parts over HTTP: the catalogue (/parts), stores (/stores), stock and its movements
 * (/stock), parts on orders (/work-orders/:id/parts). Bodies and queries are validated here;
 * who may do what is the service's rule.
 */
export interface PartsRoutesDeps {
  parts: PartsService;
}

/** Part numbers and store codes: never only digits, so a path segment of digits is an id. */
const CODE = /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const codeSchema = z.string().regex(CODE, 'must be 1-64 characters of A-Z a-z 0-9 _ . -, not only digits');
const refSchema = z.union([z.number().int().positive(), codeSchema]);
const queryRef = z.string().transform((raw, ctx): Ref => {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!CODE.test(raw)) {
    ctx.addIssue({ code: 'custom', message: 'must be an id or a code' });
    return z.NEVER;
  }
  return raw;
});
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const partBody = z
  .object({
    part_no: codeSchema,
    name: text(200),
    unit: text(20),
    category: text(64),
    device_types: z.array(z.enum(DEVICE_TYPES)).max(DEVICE_TYPES.length).default([]),
    description: z.string().max(2000).default(''),
  })
  .strict();
export const partPatch = z
  .object({
    name: text(200),
    unit: text(20),
    category: text(64),
    device_types: z.array(z.enum(DEVICE_TYPES)).max(DEVICE_TYPES.length),
    description: z.string().max(2000),
    active: z.boolean(),
  })
  .partial()
  .strict();
export const storeBody = z
  .object({
    code: codeSchema,
    name: text(200),
    site: idSchema,
    location: z.string().max(500).nullable().default(null),
  })
  .strict();
export const minimumBody = z
  .object({ part: refSchema, store: refSchema, min_quantity: levelSchema })
  .strict();
export const movementBody = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('receive'),
      part: refSchema,
      store: refSchema,
      quantity: quantitySchema,
      reference: z.string().max(200).optional(),
      reason: z.string().max(2000).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('adjust'),
      part: refSchema,
      store: refSchema,
      quantity: deltaSchema.optional(),
      counted: levelSchema.optional(),
      reason: text(2000),
      reference: z.string().max(200).optional(),
    })
    .strict()
    .refine((b) => (b.quantity === undefined) !== (b.counted === undefined), {
      path: ['quantity'],
      message: 'give either quantity (a signed change) or counted (the level found)',
    }),
  z
    .object({
      kind: z.literal('transfer'),
      part: refSchema,
      store: refSchema,
      to_store: refSchema,
      quantity: quantitySchema,
      reason: z.string().max(2000).optional(),
    })
    .strict(),
]);
export const orderPartsBody = z
  .object({
    part: refSchema,
    store: refSchema,
    quantity: quantitySchema,
    action: z.enum(['issue', 'return']).default('issue'),
    note: z.string().max(2000).optional(),
  })
  .strict();

export const partsQuery = z.object({
  category: z.string().max(64).optional(),
  device_type: z.enum(DEVICE_TYPES).optional(),
  q: z.string().max(100).optional(),
  active: flag.optional(),
});
export const stockQuery = z.object({
  part: queryRef.optional(),
  store: queryRef.optional(),
  site: idSchema.optional(),
  low: flag.optional(),
});
export const movementsQuery = z.object({
  store: queryRef.optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export const lowStockQuery = z.object({ all: flag.optional(), site: idSchema.optional() });
export const storesQuery = z.object({ site: idSchema.optional() });

export function presentStore(s: StoreRow) {
  return { ...s, active: s.active === 1 };
}

export function presentPart(p: PartRow) {
  return { ...p, device_types: JSON.parse(p.device_types) as string[], active: p.active === 1 };
}

/** Runs a handler with the request's actor; a PartsError becomes its HTTP answer. */
const route = actorRoute(PartsError);

function pathRef(raw: string | undefined, res: Response, what: string): Ref | undefined {
  const result = queryRef.safeParse(raw ?? '');
  if (!result.success) {
    sendError(res, 404, `${what}: no ${what} ${raw}`);
    return undefined;
  }
  return result.data;
}

function orderId(raw: string | undefined, res: Response): number | undefined {
  if (!raw || !/^\d+$/.test(raw)) {
    sendError(res, 404, `id: no work order ${raw}`);
    return undefined;
  }
  return Number(raw);
}

export function partsRoutes(deps: PartsRoutesDeps): express.Router {
  const { parts } = deps;
  const router = express.Router();
  router.use(['/parts', '/stores', '/stock', '/work-orders/:id/parts'], express.json({ limit: '64kb' }));

  router.get(
    '/parts',
    route(async (req, res) => {
      const q = parseOr400(partsQuery, req.query, res, 'query');
      if (!q) return;
      res.json({ parts: (await parts.listParts(q)).map(presentPart) });
    }),
  );

  router.post(
    '/parts',
    route(async (req, res, actor) => {
      const body = parseOr400(partBody, req.body, res, 'body');
      if (!body) return;
      res.status(201).json({ part: presentPart(await parts.createPart(actor, body)) });
    }),
  );

  router.get(
    '/parts/low-stock',
    route(async (req, res, actor) => {
      const q = parseOr400(lowStockQuery, req.query, res, 'query');
      if (!q) return;
      res.json({ alerts: await parts.lowStock(actor, q) });
    }),
  );

  router.get(
    '/parts/:ref',
    route(async (req, res, actor) => {
      const ref = pathRef(req.params.ref, res, 'part');
      if (ref === undefined) return;
      const part = await parts.part(ref);
      res.json({ part: presentPart(part), stock: await parts.listStock(actor, { part: part.id }) });
    }),
  );

  router.patch(
    '/parts/:ref',
    route(async (req, res, actor) => {
      const ref = pathRef(req.params.ref, res, 'part');
      if (ref === undefined) return;
      const body = parseOr400(partPatch, req.body, res, 'body');
      if (!body) return;
      res.json({ part: presentPart(await parts.updatePart(actor, ref, body)) });
    }),
  );

  router.get(
    '/parts/:ref/movements',
    route(async (req, res, actor) => {
      const ref = pathRef(req.params.ref, res, 'part');
      if (ref === undefined) return;
      const q = parseOr400(movementsQuery, req.query, res, 'query');
      if (!q) return;
      res.json({ movements: await parts.movements(actor, ref, q) });
    }),
  );

  router.get(
    '/stores',
    route(async (req, res, actor) => {
      const q = parseOr400(storesQuery, req.query, res, 'query');
      if (!q) return;
      res.json({ stores: (await parts.listStores(actor, q)).map(presentStore) });
    }),
  );

  router.post(
    '/stores',
    route(async (req, res, actor) => {
      const body = parseOr400(storeBody, req.body, res, 'body');
      if (!body) return;
      res.status(201).json({ store: presentStore(await parts.createStore(actor, body)) });
    }),
  );

  router.get(
    '/stock',
    route(async (req, res, actor) => {
      const q = parseOr400(stockQuery, req.query, res, 'query');
      if (!q) return;
      res.json({ stock: await parts.listStock(actor, q) });
    }),
  );

  router.put(
    '/stock/minimum',
    route(async (req, res, actor) => {
      const body = parseOr400(minimumBody, req.body, res, 'body');
      if (!body) return;
      res.json({ stock: await parts.setMinimum(actor, body) });
    }),
  );

  router.post(
    '/stock/movements',
    route(async (req, res, actor) => {
      const body = parseOr400(movementBody, req.body, res, 'body');
      if (!body) return;
      switch (body.kind) {
        case 'receive':
          res.status(201).json({ movements: [await parts.receive(actor, body)] });
          return;
        case 'adjust':
          res.status(201).json({ movements: [await parts.adjust(actor, body)] });
          return;
        case 'transfer': {
          const t = await parts.transfer(actor, body);
          res.status(201).json({ movements: [t.out, t.in] });
          return;
        }
      }
    }),
  );

  router.get(
    '/work-orders/:id/parts',
    route(async (req, res, actor) => {
      const id = orderId(req.params.id, res);
      if (id === undefined) return;
      res.json(await parts.orderParts(actor, id));
    }),
  );

  router.post(
    '/work-orders/:id/parts',
    route(async (req, res, actor) => {
      const id = orderId(req.params.id, res);
      if (id === undefined) return;
      const body = parseOr400(orderPartsBody, req.body, res, 'body');
      if (!body) return;
      const input = {
        part: body.part,
        store: body.store,
        quantity: body.quantity,
        ...(body.note ? { note: body.note } : {}),
      };
      const movement =
        body.action === 'issue'
          ? await parts.issueToOrder(actor, id, input)
          : await parts.returnFromOrder(actor, id, input);
      res.status(201).json({ movement });
    }),
  );

  return router;
}
