import express, { type Request, type Response } from 'express';
import { sendError } from '../http/errors.js';
import { type Actor, actorOf, canSeeSite } from '../people/actor.js';
import {
  autoDispatchBody,
  candidatesQuery,
  issueOf,
  rosterDayBody,
  shiftsQuery,
  weeklyShiftsBody,
} from './dispatch.inputs.js';
import type { DispatchService } from './dispatch.service.js';
import { ShiftError, type ShiftService } from './shift.service.js';

/**
 * Dispatch over HTTP: the ranking of technicians for an order (what manual dispatch shows), a
 * new automatic attempt, and the shifts and roster dispatch reads. Thin: validate, ask the
 * services, map their refusals.
 */
export interface DispatchRoutesDeps {
  dispatch: DispatchService;
  shifts: ShiftService;
}

/** Who may start a dispatch: the roles the transition table lets dispatch. */
const DISPATCHERS = new Set(['admin', 'supervisor', 'system']);
const USERNAME = /^[\w.@-]{1,64}$/;

function actorFor(req: Request, res: Response): Actor | null {
  const actor = actorOf(req);
  if (!actor) sendError(res, 401, 'authentication required');
  return actor;
}

async function guarded(res: Response, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ShiftError) sendError(res, err.status, err.message);
    else throw err;
  }
}

export function dispatchRoutes(deps: DispatchRoutesDeps): express.Router {
  const { dispatch, shifts } = deps;
  const router = express.Router();
  const json = express.json({ limit: '64kb' });

  router.get('/dispatch/candidates', async (req, res) => {
    const actor = actorFor(req, res);
    if (!actor) return;
    const query = candidatesQuery.safeParse(req.query);
    if (!query.success) return sendError(res, 400, issueOf(query.error, 'query'));
    const ranking = await dispatch.rank(query.data.order);
    if (!ranking) return sendError(res, 404, `order: no work order ${query.data.order}`);
    if (!canSeeSite(actor, ranking.site)) {
      return sendError(res, 403, `site: ${ranking.site} is not one of ${actor.username}'s sites`);
    }
    res.json({ ranking });
  });

  router.post('/dispatch/auto', json, async (req, res) => {
    const actor = actorFor(req, res);
    if (!actor) return;
    const body = autoDispatchBody.safeParse(req.body ?? {});
    if (!body.success) return sendError(res, 400, issueOf(body.error, 'body'));
    const ranking = await dispatch.rank(body.data.order);
    if (!ranking) return sendError(res, 404, `order: no work order ${body.data.order}`);
    if (!canSeeSite(actor, ranking.site)) {
      return sendError(res, 403, `site: ${ranking.site} is not one of ${actor.username}'s sites`);
    }
    if (!DISPATCHERS.has(actor.role)) return sendError(res, 403, `role ${actor.role} may not dispatch`);
    const outcome = await dispatch.autoDispatch(body.data.order, { requestedBy: actor.username });
    if (outcome.outcome === 'skipped') return sendError(res, 409, `order: ${outcome.why}`);
    res.json(outcome);
  });

  router.get('/shifts/:username', async (req: Request<{ username: string }>, res) => {
    const actor = actorFor(req as Request, res);
    if (!actor) return;
    if (!USERNAME.test(req.params.username))
      return sendError(res, 400, 'username: letters, digits, _ . @ - only');
    const query = shiftsQuery.safeParse(req.query);
    if (!query.success) return sendError(res, 400, issueOf(query.error, 'query'));
    const from = query.data.from ?? new Date().toISOString().slice(0, 10);
    await guarded(res, async () => {
      res.json(await shifts.list(actor, req.params.username, from));
    });
  });

  router.put('/shifts/:username', json, async (req: Request<{ username: string }>, res) => {
    const actor = actorFor(req as Request, res);
    if (!actor) return;
    if (!USERNAME.test(req.params.username))
      return sendError(res, 400, 'username: letters, digits, _ . @ - only');
    const body = weeklyShiftsBody.safeParse(req.body ?? {});
    if (!body.success) return sendError(res, 400, issueOf(body.error, 'body'));
    await guarded(res, async () => {
      await shifts.replaceWeekly(actor, req.params.username, body.data.shifts);
      res.json(await shifts.list(actor, req.params.username, new Date().toISOString().slice(0, 10)));
    });
  });

  router.post('/roster-days', json, async (req, res) => {
    const actor = actorFor(req, res);
    if (!actor) return;
    const body = rosterDayBody.safeParse(req.body ?? {});
    if (!body.success) return sendError(res, 400, issueOf(body.error, 'body'));
    await guarded(res, async () => {
      const id = await shifts.addRosterDay(actor, body.data);
      res.status(201).json({ id });
    });
  });

  router.delete('/roster-days/:id', async (req: Request<{ id: string }>, res) => {
    const actor = actorFor(req as Request, res);
    if (!actor) return;
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) return sendError(res, 400, 'id: must be a positive integer');
    await guarded(res, async () => {
      await shifts.deleteRosterDay(actor, id);
      res.status(204).end();
    });
  });

  return router;
}
