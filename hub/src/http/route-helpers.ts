import type { Request, Response } from 'express';
import { z } from 'zod';
import { type Actor, actorOf } from '../people/actor.js';
import { firstIssue, sendError } from './errors.js';

/** A time in a query: epoch milliseconds or an ISO 8601 date, as epoch milliseconds. */
export const timeParam = z.string().transform((raw, ctx) => {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date' });
    return z.NEVER;
  }
  return ms;
});

/** The parsed input, or undefined after answering 400 with the first issue. */
export function parseOr400<T extends z.ZodType>(
  schema: T,
  input: unknown,
  res: Response,
  where: 'query' | 'body',
): z.output<T> | undefined {
  const result = schema.safeParse(input);
  if (!result.success) {
    sendError(res, 400, firstIssue(result.error, where));
    return undefined;
  }
  return result.data;
}

/** A module's rule error: it carries the HTTP status it should be answered with. */
type StatusError = Error & { status: number };

export type ActorHandler = (
  req: Request<Record<string, string>>,
  res: Response,
  actor: Actor,
) => Promise<void>;

/**
 * Runs a handler with the request's actor (401 without one); an error of the module's own class
 * becomes its HTTP answer, anything else goes on to express as a server error.
 */
export function actorRoute(errorClass: abstract new (...args: never[]) => StatusError) {
  return (handler: ActorHandler) => async (req: Request<Record<string, string>>, res: Response) => {
    const actor = actorOf(req);
    if (!actor) {
      sendError(res, 401, 'authentication required');
      return;
    }
    try {
      await handler(req, res, actor);
    } catch (err) {
      if (err instanceof errorClass) sendError(res, err.status, err.message);
      else throw err;
    }
  };
}
