import type { Logger } from '@caretaker/protocol/log';
import { stringify } from 'csv-stringify/sync';
import express, { type Request, type Response } from 'express';
import type { z } from 'zod';
import { sendError } from '../http/errors.js';
import { type Actor, actorOf } from '../people/actor.js';
import { PreventiveError, parseInput } from './access.js';
import { cancelBody, inspectionsQuery, listQuery, reportQuery, resultsBody } from './preventive.inputs.js';
import type { PreventiveService } from './preventive.service.js';
import { localTime } from './schedule.js';

/**
 * Preventive maintenance over HTTP: inspection objects, templates, plans, inspections and
 * their results, and the inspection report. Thin: the service holds the rules (roles, sites,
 * validation of references); queries and bodies are validated here, before anything happens.
 */
export interface PreventiveRoutesDeps {
  preventive: PreventiveService;
  log?: Logger;
}

type Handler = (req: Request<Record<string, string>>, res: Response, actor: Actor) => Promise<void>;

export function preventiveRoutes(deps: PreventiveRoutesDeps): express.Router {
  const { preventive, log } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '256kb' }));

  const handle =
    (fn: Handler) =>
    async (req: Request<Record<string, string>>, res: Response): Promise<void> => {
      const actor = actorOf(req);
      if (!actor) {
        sendError(res, 401, 'authentication required');
        return;
      }
      try {
        await fn(req, res, actor);
      } catch (err) {
        if (err instanceof PreventiveError) {
          sendError(res, err.status, err.message);
          return;
        }
        log?.error({ err: (err as Error).message, path: req.path }, 'preventive request failed');
        sendError(res, 500, 'internal error');
      }
    };

  const valid = <S extends z.ZodType>(schema: S, data: unknown, where: 'query' | 'body'): z.output<S> =>
    parseInput(schema, where === 'body' ? (data ?? {}) : data, where);
  const idOf = (req: Request<Record<string, string>>): number => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new PreventiveError(400, 'id: must be a positive integer');
    return id;
  };

  // Objects, templates and plans share one shape of routes.
  const crud = <T>(
    path: string,
    noun: string,
    ops: {
      list: (actor: Actor, site?: string) => Promise<T[]>;
      get: (actor: Actor, id: number) => Promise<T>;
      create: (actor: Actor, body: unknown) => Promise<T>;
      update: (actor: Actor, id: number, body: unknown) => Promise<T>;
      archive: (actor: Actor, id: number) => Promise<void>;
    },
  ) => {
    router.get(
      path,
      handle(async (req, res, actor) => {
        const { site } = valid(listQuery, req.query, 'query');
        res.json({ [noun]: await ops.list(actor, site) });
      }),
    );
    router.post(
      path,
      handle(async (req, res, actor) => {
        res.status(201).json(await ops.create(actor, req.body ?? {}));
      }),
    );
    router.get(
      `${path}/:id`,
      handle(async (req, res, actor) => {
        res.json(await ops.get(actor, idOf(req)));
      }),
    );
    router.patch(
      `${path}/:id`,
      handle(async (req, res, actor) => {
        res.json(await ops.update(actor, idOf(req), req.body ?? {}));
      }),
    );
    router.delete(
      `${path}/:id`,
      handle(async (req, res, actor) => {
        await ops.archive(actor, idOf(req));
        res.status(204).end();
      }),
    );
  };

  crud('/inspection-objects', 'inspection_objects', {
    list: (a, s) => preventive.listObjects(a, s),
    get: (a, id) => preventive.getObject(a, id),
    create: (a, b) => preventive.createObject(a, b),
    update: (a, id, b) => preventive.updateObject(a, id, b),
    archive: (a, id) => preventive.archiveObject(a, id),
  });
  crud('/inspection-templates', 'inspection_templates', {
    list: (a, s) => preventive.listTemplates(a, s),
    get: (a, id) => preventive.getTemplate(a, id),
    create: (a, b) => preventive.createTemplate(a, b),
    update: (a, id, b) => preventive.updateTemplate(a, id, b),
    archive: (a, id) => preventive.archiveTemplate(a, id),
  });
  crud('/plans', 'plans', {
    list: (a, s) => preventive.listPlans(a, s),
    get: (a, id) => preventive.getPlan(a, id),
    create: (a, b) => preventive.createPlan(a, b),
    update: (a, id, b) => preventive.updatePlan(a, id, b),
    archive: (a, id) => preventive.archivePlan(a, id),
  });

  router.get(
    '/plans/:id/report',
    handle(async (req, res, actor) => {
      const id = idOf(req);
      const query = valid(reportQuery, req.query, 'query');
      const report = await preventive.inspections.report(actor, id, query.from, query.to);
      if (query.format === 'json') {
        res.json(report);
        return;
      }
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="plan-${id}-report.csv"`);
      res.send(reportCsv(report));
    }),
  );

  router.get(
    '/inspections',
    handle(async (req, res, actor) => {
      const query = valid(inspectionsQuery, req.query, 'query');
      res.json({ inspections: await preventive.inspections.list(actor, query) });
    }),
  );
  router.get(
    '/inspections/:id',
    handle(async (req, res, actor) => {
      res.json(await preventive.inspections.get(actor, idOf(req)));
    }),
  );
  router.post(
    '/inspections/:id/results',
    handle(async (req, res, actor) => {
      const id = idOf(req);
      const body = valid(resultsBody, req.body, 'body');
      res.json(await preventive.inspections.record(actor, id, body));
    }),
  );
  router.post(
    '/inspections/:id/cancel',
    handle(async (req, res, actor) => {
      const id = idOf(req);
      const body = valid(cancelBody, req.body, 'body');
      res.json(await preventive.inspections.cancel(actor, id, body.reason));
    }),
  );

  return router;
}

/** A spreadsheet cell that starts like a formula is shown as text, never evaluated. */
function cell(text: string | null): string {
  if (text === null) return '';
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** The report as CSV: one row per occurrence, times in the site's timezone. */
export function reportCsv(report: Awaited<ReturnType<PreventiveService['inspections']['report']>>): string {
  const zone = report.plan.timezone;
  const at = (ms: number | null) => (ms === null ? '' : localTime(ms, zone));
  const failedBy = new Map<number, string[]>();
  for (const f of report.failed_items) {
    const limits = [f.min !== null ? `min ${f.min}` : '', f.max !== null ? `max ${f.max}` : '']
      .filter(Boolean)
      .join(', ');
    const value = f.value === null ? '' : `${f.value}${f.unit ? ` ${f.unit}` : ''}`;
    const text = `${f.object} / ${f.label} = ${value}${limits ? ` (${limits})` : ''}`;
    failedBy.set(f.inspection_id, [...(failedBy.get(f.inspection_id) ?? []), text]);
  }
  const rows = report.occurrences.map((o) => [
    report.plan.id,
    cell(report.plan.name),
    at(o.occurrence_at),
    at(o.due_at),
    o.order_code ?? '',
    o.status,
    at(o.completed_at),
    o.items,
    o.answered,
    o.failed,
    cell((failedBy.get(o.inspection_id) ?? []).join('; ') || null),
  ]);
  return stringify(rows, {
    header: true,
    columns: [
      'plan_id',
      'plan',
      'occurrence_at',
      'due_at',
      'order',
      'status',
      'completed_at',
      'items',
      'answered',
      'failed',
      'failed_items',
    ],
  });
}
