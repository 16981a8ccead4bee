import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  apiPaths,
  type DevicesResponse,
  type EnergyResponse,
  type GatewaysResponse,
  type HealthResponse,
  type ReadingsResponse,
  type SeriesResponse,
} from '@caretaker/protocol';
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { actorOf, canSeeSite } from '../people/actor.js';
import { calendarPeriods, ENERGY_INTERVALS, energyPerPeriod } from '../services/energy.js';
import type { LiveStateService } from '../services/live-state.service.js';
import type { TimeSeriesStore } from '../storage/time-series-store.js';
import { firstIssue, sendError } from './errors.js';

export interface HttpAppDeps {
  live: LiveStateService;
  store: TimeSeriesStore;
  health: () => Promise<HealthResponse>;
  gateways: () => GatewaysResponse;
  /** The built dashboard (dashboard/dist); served at `/` when present. */
  dashboardDir: string;
  /** Identifies the actor of every request but /healthz (outside the demo mode: refuses strangers). */
  authenticate?: express.RequestHandler;
  /** More API routes under /api (alarms, work orders, people, plans, parts, reports). */
  apiRoutes?: express.Router[];
  /** Routes anybody may use without signing in (a device's QR report form); full paths, before authentication. */
  publicRoutes?: express.Router[];
}

const HOUR = 3_600_000;
export const MAX_HISTORY_READINGS = 10_000;

/** `from`/`to` accept epoch ms or an ISO 8601 date. */
const timeParam = z
  .string()
  .transform((raw, ctx) => {
    const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date' });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

const seriesQuery = z.object({
  point: z.string().min(1, 'is required'),
  from: timeParam,
  to: timeParam,
  buckets: z.coerce.number().int().min(1).max(5000).default(500),
});

const DAY = 24 * HOUR;
/** Longest energy query: five years of hourly buckets is about 44,000 rows. */
const MAX_ENERGY_SPAN = 5 * 366 * DAY;

const energyQuery = z.object({
  point: z.string().min(1, 'is required'),
  interval: z.enum(ENERGY_INTERVALS).default('day'),
  from: timeParam,
  to: timeParam,
  tz: z.string().min(1).max(64).default('UTC'),
});

const readingsQuery = z.object({
  point: z.string().min(1, 'is required'),
  from: timeParam,
  to: timeParam,
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_READINGS).optional(),
});

/** Whether the request's actor may see a site (no actor: an app without authentication, in tests). */
function seesSite(req: Request, site: string): boolean {
  const actor = actorOf(req);
  return actor === null || canSeeSite(actor, site);
}

/** Thin controllers: parse and validate, ask a service or the store, shape the response. */
export function createHttpApp(deps: HttpAppDeps): Express {
  // A device of a site the actor does not see is "not known" to them.
  const deviceFor = (req: Request<{ id: string }>) => {
    const device = deps.live.get(req.params.id);
    return device && seesSite(req, device.site) ? device : undefined;
  };

  const app = express();
  app.disable('x-powered-by');

  app.get(apiPaths.health, async (_req, res) => {
    const health = await deps.health();
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  });

  for (const router of deps.publicRoutes ?? []) app.use(router);
  if (deps.authenticate) app.use(deps.authenticate);

  app.get(apiPaths.devices, (req, res) => {
    res.json({ devices: deps.live.list().filter((d) => seesSite(req, d.site)) } satisfies DevicesResponse);
  });

  app.get('/api/devices/:id/readings', async (req: Request<{ id: string }>, res) => {
    const device = deviceFor(req);
    if (!device) return sendError(res, 404, `device ${req.params.id} is not known`);
    const parsed = readingsQuery.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(res, 400, `${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}`);
    }
    const to = parsed.data.to ?? Date.now();
    const from = parsed.data.from ?? to - HOUR;
    if (from > to) return sendError(res, 400, 'from: must not be after to');
    const readings = await deps.store.history({
      device: device.id,
      point: parsed.data.point,
      from,
      to,
      limit: parsed.data.limit ?? MAX_HISTORY_READINGS,
    });
    res.json({
      device_id: device.id,
      point: parsed.data.point,
      from,
      to,
      readings,
    } satisfies ReadingsResponse);
  });

  app.get(apiPaths.gateways, (req, res) => {
    const { gateways } = deps.gateways();
    res.json({ gateways: gateways.filter((g) => seesSite(req, g.site)) } satisfies GatewaysResponse);
  });

  app.get('/api/devices/:id/series', async (req: Request<{ id: string }>, res) => {
    const device = deviceFor(req);
    if (!device) return sendError(res, 404, `device ${req.params.id} is not known`);
    const parsed = seriesQuery.safeParse(req.query);
    if (!parsed.success) return sendError(res, 400, firstIssue(parsed.error));
    const to = parsed.data.to ?? Date.now();
    const from = parsed.data.from ?? to - HOUR;
    if (from > to) return sendError(res, 400, 'from: must not be after to');
    const bucketMs = Math.max(1, Math.ceil((to - from + 1) / parsed.data.buckets));
    const buckets = await deps.store.aggregate({
      device: device.id,
      point: parsed.data.point,
      from,
      to,
      bucketMs,
    });
    res.json({
      device_id: device.id,
      point: parsed.data.point,
      from,
      to,
      bucket_ms: bucketMs,
      buckets,
    } satisfies SeriesResponse);
  });

  app.get('/api/devices/:id/energy', async (req: Request<{ id: string }>, res) => {
    const device = deviceFor(req);
    if (!device) return sendError(res, 404, `device ${req.params.id} is not known`);
    const parsed = energyQuery.safeParse(req.query);
    if (!parsed.success) return sendError(res, 400, firstIssue(parsed.error));
    const { point, interval, tz } = parsed.data;
    const to = parsed.data.to ?? Date.now();
    const from = parsed.data.from ?? to - 7 * DAY;
    if (from > to) return sendError(res, 400, 'from: must not be after to');
    if (to - from > MAX_ENERGY_SPAN) return sendError(res, 400, 'from: at most five years per query');
    let periods: Array<{ start: number; end: number }>;
    try {
      periods = calendarPeriods(from, to, interval, tz);
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    const start = periods[0]?.start ?? from;
    const end = periods[periods.length - 1]?.end ?? to;
    // Hourly counter buckets from the hour before the first period (for the step into it).
    const hourly = await deps.store.counterBuckets({
      device: device.id,
      point,
      from: start - HOUR,
      to: end - 1,
      bucketMs: HOUR,
    });
    const previous = hourly[0]?.ts === start - HOUR ? hourly[0] : undefined;
    const inside = previous ? hourly.slice(1) : hourly;
    const unit = device.latest[point]?.unit;
    res.json({
      device_id: device.id,
      point,
      interval,
      tz,
      ...(unit !== undefined ? { unit } : {}),
      periods: energyPerPeriod(periods, inside, previous),
    } satisfies EnergyResponse);
  });

  for (const router of deps.apiRoutes ?? []) app.use('/api', router);
  app.use('/api', (_req, res) => sendError(res, 404, 'no such API endpoint'));

  if (existsSync(join(deps.dashboardDir, 'index.html'))) {
    // Vite fingerprints everything under assets/, so those can be cached for good; index.html
    // must be revalidated so a new build is picked up.
    app.use(
      express.static(deps.dashboardDir, {
        index: 'index.html',
        setHeaders: (res, path) => {
          res.setHeader(
            'Cache-Control',
            path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        },
      }),
    );
    // The dashboard routes in the browser (/devices/:id, /alarms): a page address that is not a
    // file gets index.html, so a reload or a shared link opens the page (a missing asset stays 404).
    app.get('/{*page}', (req, res, next) => {
      if (/\.(js|css|map|svg|png|ico|json|txt|woff2?)$/i.test(req.path) || !req.accepts('html'))
        return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(deps.dashboardDir, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built yet: run `npm run build`, then reload.\n');
    });
  }

  // Express 5 passes rejected promises here; answer in our error shape, never crash.
  app.use(
    (
      err: Error & { status?: number; type?: string },
      _req: Request,
      res: Response,
      _next: express.NextFunction,
    ) => {
      // A body that is not JSON (or too big) is the client's error, named as such.
      if (err.type === 'entity.parse.failed')
        return sendError(res, 400, `body: not valid JSON: ${err.message}`);
      if (err.type === 'entity.too.large') return sendError(res, 413, 'body: too large');
      sendError(res, 500, err.message);
    },
  );
  return app;
}
