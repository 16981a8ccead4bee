import { idSchema, type KpiReport, REPORT_NAMES, REPORT_PERIODS, type ReportName } from '@caretaker/protocol';
import express from 'express';
import { z } from 'zod';
import { sendError } from '../http/errors.js';
import { actorRoute, parseOr400, timeParam } from '../http/route-helpers.js';
import { ReportError, type ReportQuery, type ReportsService } from './reports.service.js';

/**
 * The managers' figures over HTTP: GET /api/reports/kpis (every figure, JSON) and
 * GET /api/reports/<name> (one table), each also as CSV with `format=csv`; GET
 * /api/reports/export: every table's CSV in one zip.
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

/** The export of every table at once is always a zip: it takes the same query but a format. */
export const exportQuery = reportQuery.omit({ format: true });

/** The first and last period's labels, for the downloaded file's name. */
function span(report: KpiReport): string {
  const first = report.periods[0]?.label ?? 'report';
  const last = report.periods[report.periods.length - 1]?.label ?? first;
  return `${first}_${last}`;
}

function toReportQuery(query: z.output<typeof exportQuery>): ReportQuery {
  return {
    period: query.period,
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
    ...(query.site ? { site: query.site } : {}),
    ...(query.tz ? { tz: query.tz } : {}),
  };
}

export function reportsRoutes(deps: ReportsRoutesDeps): express.Router {
  const { reports } = deps;
  const router = express.Router();

  // Only the figures' computation throws a ReportError (role, site, time zone, range).
  const route = actorRoute(ReportError);
  // Before /reports/:name, which would take "export" for a report's name.
  router.get(
    '/reports/export',
    route(async (req, res, actor) => {
      const query = parseOr400(exportQuery, req.query, res, 'query');
      if (!query) return;
      const report = await reports.kpis(actor, toReportQuery(query));
      res.setHeader('content-type', 'application/zip');
      res.setHeader('content-disposition', `attachment; filename="caretaker-reports-${span(report)}.zip"`);
      res.send(Buffer.from(reports.zip(report, (name) => `caretaker-${name}-${span(report)}.csv`)));
    }),
  );
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
      const report = await reports.kpis(actor, toReportQuery(query));
      if (format === 'csv') {
        res.setHeader('content-type', 'text/csv; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="caretaker-${name}-${span(report)}.csv"`);
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
