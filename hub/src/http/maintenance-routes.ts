import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Maintenance } from '../alarms/maintenance.js';
import type { WorkOrderRow } from '../db/schema.js';
import { actorOf } from '../people/actor.js';
import { firstIssue, sendError } from './errors.js';

/**
 * Alarms, work orders and maintenance windows over HTTP. Reads for every dashboard user;
 * changes need a role that may make them (`mayChange`). Bodies and queries are validated
 * where they enter; an error names the field.
 */
export interface MaintenanceRoutesDeps {
  maintenance: Maintenance;
}

const STATUSES = [
  'pending_acceptance',
  'to_dispatch',
  'in_repair',
  'awaiting_check',
  'completed',
  'closed',
  'cancelled',
] as const;

const listQuery = z.object({
  status: z.enum(STATUSES).optional(),
  device: z.string().min(1).max(128).optional(),
  site: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const transitionBody = z
  .object({
    to: z.enum(STATUSES),
    note: z.string().max(2000).optional(),
  })
  .strict();

const windowBody = z
  .object({
    site: z.string().min(1).max(128),
    device: z.string().min(1).max(128).nullable().default(null),
    starts_at: z.number().int().min(0),
    ends_at: z.number().int().min(0),
    reason: z.string().min(1).max(500),
  })
  .strict()
  .refine((w) => w.ends_at > w.starts_at, { path: ['ends_at'], message: 'must be after starts_at' });

function present(order: WorkOrderRow) {
  return { ...order, evidence: JSON.parse(order.evidence || '{}') as unknown };
}

export function maintenanceRoutes(deps: MaintenanceRoutesDeps): express.Router {
  const { maintenance } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));

  const mayChange = async (req: Request, res: Response) => {
    const actor = actorOf(req);
    if (actor?.role !== 'admin') {
      sendError(res, 403, 'your role may not change work orders');
      return null;
    }
    return { name: actor.username, role: actor.role };
  };

  router.get('/alarms', (_req, res) => {
    const alarms = maintenance.engine
      .listOpen()
      .filter((a) => a.id !== 0 && a.state !== 'pending')
      .map((a) => ({ ...a, detail: JSON.parse(a.detail || '{}') as unknown }))
      .sort((a, b) => (b.raised_at ?? 0) - (a.raised_at ?? 0));
    res.json({ alarms });
  });

  router.get('/work-orders', async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) {
      sendError(res, 400, firstIssue(query.error));
      return;
    }
    const orders = await maintenance.orders.list(query.data);
    res.json({ work_orders: orders.map(present) });
  });

  router.get('/work-orders/:id', async (req: Request<{ id: string }>, res) => {
    const id = Number(req.params.id);
    const order = Number.isInteger(id) ? await maintenance.orders.get(id) : undefined;
    if (!order) {
      sendError(res, 404, `id: no work order ${req.params.id}`);
      return;
    }
    const [events, alarms] = await Promise.all([
      maintenance.orders.events(id),
      maintenance.orders.alarmsOf(id),
    ]);
    res.json({
      work_order: present(order),
      events: events.map((e) => ({ ...e, detail: JSON.parse(e.detail || '{}') as unknown })),
      alarms,
    });
  });

  router.post('/work-orders/:id/transition', async (req: Request<{ id: string }>, res) => {
    const actor = await mayChange(req, res);
    if (!actor) return;
    const body = transitionBody.safeParse(req.body);
    if (!body.success) {
      sendError(res, 400, firstIssue(body.error, 'body'));
      return;
    }
    try {
      await maintenance.orders.transition(
        Number(req.params.id),
        body.data.to,
        actor.name,
        Date.now(),
        body.data.note,
      );
    } catch (err) {
      sendError(res, 409, (err as Error).message);
      return;
    }
    const order = await maintenance.orders.get(Number(req.params.id));
    res.json({ work_order: order ? present(order) : null });
  });

  router.get('/maintenance-windows', async (_req, res) => {
    const windows = await maintenance.database.db
      .selectFrom('maintenance_windows')
      .selectAll()
      .orderBy('starts_at', 'desc')
      .limit(500)
      .execute();
    res.json({ maintenance_windows: windows });
  });

  router.post('/maintenance-windows', async (req, res) => {
    const actor = await mayChange(req, res);
    if (!actor) return;
    const body = windowBody.safeParse(req.body);
    if (!body.success) {
      sendError(res, 400, firstIssue(body.error, 'body'));
      return;
    }
    const row = await maintenance.database.db
      .insertInto('maintenance_windows')
      .values({ ...body.data, created_by: actor.name })
      .returning('id')
      .executeTakeFirstOrThrow();
    res.status(201).json({ id: Number(row.id) });
  });

  return router;
}
