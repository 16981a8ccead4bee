import type { AssetsResponse } from '@caretaker/protocol';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Maintenance } from '../alarms/maintenance.js';
import { actorOf, canSeeSite } from '../people/actor.js';
import { scopeToSites } from '../people/site-scope.js';
import { firstIssue, sendError } from './errors.js';

/**
 * Alarms and maintenance windows over HTTP (work orders: work-order-routes.ts). Reads for
 * every dashboard user; changes need a role that may make them (`mayChange`). Bodies and
 * queries are validated where they enter; an error names the field.
 */
export interface MaintenanceRoutesDeps {
  maintenance: Maintenance;
}

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

export function maintenanceRoutes(deps: MaintenanceRoutesDeps): express.Router {
  const { maintenance } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));

  // Administrators anywhere, supervisors on their own sites.
  const mayChange = (req: Request, res: Response, site: string) => {
    const actor = actorOf(req);
    if (actor?.role !== 'admin' && actor?.role !== 'supervisor') {
      sendError(res, 403, `role ${actor?.role ?? 'anonymous'} may not change maintenance windows`);
      return null;
    }
    if (!canSeeSite(actor, site)) {
      sendError(res, 403, `site: ${site} is not one of your sites`);
      return null;
    }
    return { name: actor.username, role: actor.role };
  };

  // Live alarms of the caller's sites only.
  router.get('/alarms', (req, res) => {
    const actor = actorOf(req);
    const alarms = maintenance.engine
      .listOpen()
      .filter((a) => a.id !== 0 && a.state !== 'pending' && (!actor || canSeeSite(actor, a.site)))
      .map((a) => ({ ...a, detail: JSON.parse(a.detail || '{}') as unknown }))
      .sort((a, b) => (b.raised_at ?? 0) - (a.raised_at ?? 0));
    res.json({ alarms });
  });

  // The board groups devices by site and building; a user sees only their sites.
  router.get('/assets', (req, res) => {
    const actor = actorOf(req);
    const sites = maintenance.engine.assets.sites.filter((s) => !actor || canSeeSite(actor, s.id));
    res.json({ sites } satisfies AssetsResponse);
  });

  router.get('/maintenance-windows', async (req, res) => {
    const actor = actorOf(req);
    let query = maintenance.database.db.selectFrom('maintenance_windows').selectAll();
    if (actor) query = scopeToSites(query, actor, 'site');
    const windows = await query.orderBy('starts_at', 'desc').limit(500).execute();
    res.json({ maintenance_windows: windows });
  });

  router.post('/maintenance-windows', async (req, res) => {
    const body = windowBody.safeParse(req.body);
    if (!body.success) {
      sendError(res, 400, firstIssue(body.error, 'body'));
      return;
    }
    const actor = mayChange(req, res, body.data.site);
    if (!actor) return;
    const row = await maintenance.database.db
      .insertInto('maintenance_windows')
      .values({ ...body.data, created_by: actor.name })
      .returning('id')
      .executeTakeFirstOrThrow();
    res.status(201).json({ id: Number(row.id) });
  });

  return router;
}
