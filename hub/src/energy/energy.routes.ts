import { ENERGY_GROUP_BY, ENERGY_INTERVALS, ENERGY_UTILITIES, idSchema } from '@caretaker/protocol';
import express from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorRoute, parseOr400 } from '../http/route-helpers.js';
import { EnergyError, type EnergyService, type When } from './energy.service.js';

/** GET /api/energy: the managers' energy figures (JSON), or their series as CSV (`format=csv`). */
export interface EnergyRoutesDeps {
  energy: EnergyService;
}

/** A calendar date (midnight in the report's time zone), or an instant: epoch ms or ISO 8601. */
const whenParam = z.string().transform((raw, ctx): When => {
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return { date: raw };
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a date (YYYY-MM-DD), epoch milliseconds or an ISO 8601 time',
    });
    return z.NEVER;
  }
  return ms;
});

export const energyQuery = z
  .object({
    utility: z.enum(ENERGY_UTILITIES).default('electricity'),
    interval: z.enum(ENERGY_INTERVALS).default('day'),
    group_by: z.enum(ENERGY_GROUP_BY).default('site'),
    from: whenParam.optional(),
    to: whenParam.optional(),
    site: idSchema.optional(),
    building: idSchema.optional(),
    meter: idSchema.optional(),
    tz: z.string().min(1).max(64).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export function energyRoutes(deps: EnergyRoutesDeps): express.Router {
  const router = express.Router();
  const route = actorRoute(EnergyError);
  router.get(
    '/energy',
    route(async (req, res, actor) => {
      const parsed = parseOr400(energyQuery, req.query, res, 'query');
      if (!parsed) return;
      const { format, ...query } = parsed;
      const report = await deps.energy.report(actor, query);
      if (format === 'csv') {
        const day = (ms: number) => DateTime.fromMillis(ms, { zone: report.tz }).toISODate();
        res.setHeader('content-type', 'text/csv; charset=utf-8');
        res.setHeader(
          'content-disposition',
          `attachment; filename="caretaker-energy-${report.utility}-${report.interval}-${day(report.from)}_${day(report.to - 1)}.csv"`,
        );
        res.send(deps.energy.csv(report));
        return;
      }
      res.json(report);
    }),
  );
  return router;
}
