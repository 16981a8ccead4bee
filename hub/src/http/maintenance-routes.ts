import type {
  AcknowledgeResponse,
  AlarmAcknowledgement,
  AlarmSummary,
  AssetsResponse,
  PredictionsResponse,
  RuleSummary,
  RulesResponse,
} from '@caretaker/protocol';
import { deviceTypeSchema } from '@caretaker/protocol';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { AcknowledgeError } from '../alarms/acknowledgement.service.js';
import type { Maintenance } from '../alarms/maintenance.js';
import type { Comparison, Rule } from '../alarms/rules.js';
import type { AlarmRow } from '../db/schema.js';
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

const alarmId = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number)
  .pipe(z.number().int().min(1));

const rulesQuery = z.object({ device_type: deviceTypeSchema.optional() }).strict();

function comparisonSummary(c: Comparison) {
  return {
    ...(c.point !== undefined ? { point: c.point } : {}),
    ...(c.expr !== undefined ? { expr: c.expr } : {}),
    op: c.op,
    value: c.value,
    ...(c.clear !== undefined ? { clear: c.clear } : {}),
  };
}

/** A rule as people read it: what it watches and its limits (not the engine's tuning). */
function ruleSummary(rule: Rule): RuleSummary {
  return {
    id: rule.id,
    device_type: rule.device_type,
    title: rule.title,
    severity: rule.severity,
    problem_type: rule.problem_type,
    ...(rule.when ? { when: rule.when.map(comparisonSummary) } : {}),
    ...(rule.trend
      ? {
          trend: {
            point: rule.trend.point,
            direction: rule.trend.direction,
            limit: rule.trend.limit,
            window_ms: rule.trend.window,
            horizon_ms: rule.trend.horizon,
          },
        }
      : {}),
    ...(rule.anomaly ? { anomaly: { points: rule.anomaly.points } } : {}),
    escalate: rule.escalate.map((e) => ({ severity: e.severity, when: e.when.map(comparisonSummary) })),
  };
}

function alarmSummary(row: AlarmRow, acknowledged: AlarmAcknowledgement | null): AlarmSummary {
  return { ...row, detail: JSON.parse(row.detail || '{}') as AlarmSummary['detail'], acknowledged };
}

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

  // Live alarms of the caller's sites only, each with who acknowledged its current raise.
  router.get('/alarms', async (req, res) => {
    const actor = actorOf(req);
    const rows = maintenance.engine
      .listOpen()
      .filter((a) => a.id !== 0 && a.state !== 'pending' && (!actor || canSeeSite(actor, a.site)));
    const acks = await maintenance.acknowledgements.forAlarms(rows);
    const alarms = rows
      .map((a) => alarmSummary(a, acks.get(a.id) ?? null))
      .sort((a, b) => (b.raised_at ?? 0) - (a.raised_at ?? 0));
    res.json({ alarms });
  });

  // A person has seen the alarm and is on it: every screen shows who, and the trapped-passenger
  // sound stops everywhere. Repeating it is harmless (the first acknowledgement stands).
  router.post('/alarms/:id/acknowledge', async (req: Request<{ id: string }>, res) => {
    const id = alarmId.safeParse(req.params.id);
    if (!id.success) {
      sendError(res, 400, `id: ${req.params.id} is not an alarm id (a positive integer)`);
      return;
    }
    const actor = actorOf(req);
    if (!actor) {
      sendError(res, 401, 'authentication required');
      return;
    }
    try {
      const { alarm, acknowledged, created } = await maintenance.acknowledgements.acknowledge(id.data, actor);
      res
        .status(created ? 201 : 200)
        .json({ alarm: alarmSummary(alarm, acknowledged) } satisfies AcknowledgeResponse);
    } catch (err) {
      if (err instanceof AcknowledgeError) sendError(res, err.status, err.message);
      else throw err;
    }
  });

  // What the trend rules predict for a device: the time until each point reaches its limit.
  // The rule pack is configuration every dashboard user may read: the device page draws its limits.
  router.get('/rules', (req, res) => {
    const query = rulesQuery.safeParse(req.query);
    if (!query.success) {
      sendError(res, 400, firstIssue(query.error, 'query'));
      return;
    }
    const rules = maintenance.engine.rulesOf(query.data.device_type).map(ruleSummary);
    res.json({ rules } satisfies RulesResponse);
  });

  router.get('/devices/:id/predictions', (req: Request<{ id: string }>, res) => {
    const actor = actorOf(req);
    const device = req.params.id;
    const judged = maintenance.engine.predictions(device);
    const site = judged?.site ?? maintenance.engine.assets.placeOf(device)?.site;
    // Another site's device is as unknown as a device that does not exist.
    if (site === undefined || (actor && !canSeeSite(actor, site))) {
      sendError(res, 404, `device ${device} not found`);
      return;
    }
    res.json({ device_id: device, predictions: judged?.predictions ?? [] } satisfies PredictionsResponse);
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
