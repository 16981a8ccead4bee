import { REPORT_NAMES } from '@caretaker/protocol';
import { errors, type OpenApiPaths, pathParam, queryParams } from '../http/openapi-helpers.js';
import { exportQuery, reportQuery } from './reports.routes.js';

/** The managers' reports (registered in hub/src/http/openapi.ts); definitions in the README. */

export const reportsPaths: OpenApiPaths = {
  '/api/reports/{name}': {
    get: {
      tags: ['reports'],
      summary: 'KPIs per calendar period in a time zone, for the actor’s sites; JSON or CSV',
      description:
        'kpis: every figure (JSON: periods, total, load) or one row per period (CSV). on-time, backlog, technicians, failures, mtbf: one table each (JSON `{columns, rows}` or CSV with a header). Periods are whole calendar days, ISO weeks, months or years in `tz` (default the site’s time zone, else Asia/Shanghai) covering [from, to) (default: the last 30 days, 12 weeks, 12 months or 5 years). Definitions: README, "Figures for managers".',
      parameters: [pathParam('name', { enum: [...REPORT_NAMES] }), ...queryParams(reportQuery)],
      responses: {
        200: {
          description: 'the report',
          content: {
            'application/json': { schema: { type: 'object' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/reports/export': {
    get: {
      tags: ['reports'],
      summary: 'Every report table at once: a zip of their CSV files',
      description:
        'The same query as /api/reports/{name} (without format). One CSV per report (kpis, on-time, backlog, technicians, failures, mtbf), named as their own downloads, all computed from one reading of the orders.',
      parameters: queryParams(exportQuery),
      responses: {
        200: {
          description: 'a zip archive',
          content: { 'application/zip': { schema: { type: 'string', contentMediaType: 'application/zip' } } },
        },
        ...errors(400, 401, 403),
      },
    },
  },
};
