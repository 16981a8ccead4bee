import { idSchema } from '@caretaker/protocol';
import express from 'express';
import { z } from 'zod';
import { sendError } from '../http/errors.js';
import { actorRoute, parseOr400, timeParam } from '../http/route-helpers.js';
import {
  REPORT_NAMES,
  REPORT_PERIODS,
  ReportError,
  type ReportName,
  type ReportsService,
} from './reports.service.js';

/**
 * The managers' figures over HTTP: GET /api/reports/kpis (every figure, JSON) and
 * GET /api/reports/<name> (one table), each also as CSV with `format=csv`.
 */
export interface ReportsRoutesDeps {
  reports: ReportsService;
}

export const reportQuery = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    site: idSchema.optional(),
    period: z.enum(REPORT_PERIODS).default('month'),
    tz: z.string().min(1).max(64).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

export function reportsRoutes(deps: ReportsRoutesDeps): express.Router {
  const { reports } = deps;
  const router = express.Router();

  // Only the figures' computation throws a ReportError (role, site, time zone, range).
  const route = actorRoute(ReportError);
  router.get(
    '/reports/:name',
    route(async (req, res, actor) => {
      const name = req.params.name as ReportName;
      if (!REPORT_NAMES.includes(name)) {
        sendError(res, 404, `name: no report ${req.params.name} (${REPORT_NAMES.join(', ')})`);
        return;
      }
      const parsed = parseOr400(reportQuery, req.query, res, 'query');
      if (!parsed) return;
      const { format, ...query } = parsed;
      const report = await reports.kpis(actor, {
        period: query.period,
        ...(query.from !== undefined ? { from: query.from } : {}),
        ...(query.to !== undefined ? { to: query.to } : {}),
        ...(query.site ? { site: query.site } : {}),
        ...(query.tz ? { tz: query.tz } : {}),
      });
      if (format === 'csv') {
        const first = report.periods[0]?.label ?? 'report';
        const last = report.periods[report.periods.length - 1]?.label ?? first;
        res.setHeader('content-type', 'text/csv; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="caretaker-${name}-${first}_${last}.csv"`);
        res.send(reports.csv(name, report));
        return;
      }
      if (name === 'kpis') {
        res.json(report);
        return;
      }
      const { columns, rows } = reports.table(name, report);
      res.json({
        report: name,
        from: report.from,
        to: report.to,
        period: report.period,
        tz: report.tz,
        as_of: report.as_of,
        columns,
        rows: rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null]))),
      });
    }),
  );

  return router;
}
