import { idSchema } from '@caretaker/protocol';
import express from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorRoute, parseOr400, timeParam } from '../http/route-helpers.js';
import { ENERGY_INTERVALS } from '../services/energy.js';
import { EnergyError, type EnergyService, GROUP_BY, UTILITY_NAMES } from './energy.service.js';

/** GET /api/energy: the managers' energy figures (JSON), or their series as CSV (`format=csv`). */
export interface EnergyRoutesDeps {
  energy: EnergyService;
}

export const energyQuery = z
  .object({
    utility: z.enum(UTILITY_NAMES).default('electricity'),
    interval: z.enum(ENERGY_INTERVALS).default('day'),
    group_by: z.enum(GROUP_BY).default('site'),
    from: timeParam.optional(),
    to: timeParam.optional(),
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
