import type { ServiceLevelsResponse } from '@caretaker/protocol';
import express, { type Request } from 'express';
import { z } from 'zod';
import { issueOf } from '../dispatch/dispatch.inputs.js';
import { sendError } from '../http/errors.js';
import { actorOf, canSeeSite } from '../people/actor.js';
import { PRIORITIES } from './service-levels.js';
import type { SlaService } from './sla.service.js';

/**
 * Time limits over HTTP: one order's SLA state (the dashboard's countdown) with its warnings
 * and escalations, and the service-level table itself.
 */
export interface SlaRoutesDeps {
  sla: SlaService;
}

const idParam = z.coerce
  .number({ error: 'must be a positive integer' })
  .int()
  .min(1, 'must be a positive integer');

export const slaQuery = z
  .object({
    /** The moment to compute the state for (epoch ms); now when absent. */
    at: z.coerce.number({ error: 'must be epoch milliseconds' }).int().min(0).optional(),
  })
  .strict();

export function slaRoutes(deps: SlaRoutesDeps): express.Router {
  const { sla } = deps;
  const router = express.Router();

  router.get('/work-orders/:id/sla', async (req: Request<{ id: string }>, res) => {
    const actor = actorOf(req as Request);
    if (!actor) return sendError(res, 401, 'authentication required');
    const id = idParam.safeParse(req.params.id);
    if (!id.success) return sendError(res, 400, `id: ${id.error.issues[0]?.message ?? 'invalid'}`);
    const query = slaQuery.safeParse(req.query);
    if (!query.success) return sendError(res, 400, issueOf(query.error, 'query'));
    const detail = await sla.detail(id.data, query.data.at);
    if (!detail) return sendError(res, 404, `id: no work order ${id.data}`);
    if (!canSeeSite(actor, detail.site)) {
      return sendError(res, 403, `site: ${detail.site} is not one of ${actor.username}'s sites`);
    }
    res.json(detail);
  });

  router.get('/service-levels', (req, res) => {
    if (!actorOf(req)) return sendError(res, 401, 'authentication required');
    const levels = sla.levels;
    res.json({
      response_ends: levels.responseEnds,
      warn_at: levels.warnAt,
      priorities: PRIORITIES.map((p) => {
        const level = levels.ofPriority(p);
        return {
          priority: p,
          name: levels.file.priorities[String(p) as '1'].name,
          response_ms: level.responseMs,
          completion_ms: level.completionMs,
          escalate_every_ms: level.escalateEveryMs,
          max_level: level.maxLevel,
        };
      }),
      problem_types: Object.keys(levels.file.problem_types)
        .sort()
        .map((type) => {
          const level = levels.forOrder(type, 4);
          return {
            problem_type: type,
            priority: level.priority,
            response_ms: level.responseMs,
            completion_ms: level.completionMs,
            escalate_every_ms: level.escalateEveryMs,
            max_level: level.maxLevel,
            description: levels.file.problem_types[type]?.description ?? null,
          };
        }),
    } satisfies ServiceLevelsResponse);
  });

  return router;
}
