import type { z } from 'zod';
import { firstIssue } from '../http/errors.js';
import { type Actor, type ActorRole, canSeeSite } from '../people/actor.js';

/**
 * Who may do what with preventive maintenance, and how a refusal looks: the rules every
 * preventive service applies before anything happens.
 */

/** A refusal the API reports as it is: the status and `field: what is wrong`. */
export class PreventiveError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Who may define objects, templates and plans, and cancel occurrences. */
const PLANNERS: readonly ActorRole[] = ['admin', 'supervisor', 'system'];
/** Who may read them (on their sites). */
const READERS: readonly ActorRole[] = [
  'admin',
  'supervisor',
  'technician',
  'reviewer',
  'requester',
  'viewer',
  'system',
];

export function mayRead(actor: Actor, site?: string): void {
  if (!READERS.includes(actor.role)) throw new PreventiveError(403, `role ${actor.role} may not read plans`);
  if (site !== undefined && !canSeeSite(actor, site)) {
    throw new PreventiveError(403, `site: ${site} is not one of ${actor.username}'s sites`);
  }
}

export function mayPlan(actor: Actor, site: string): void {
  if (!PLANNERS.includes(actor.role)) {
    throw new PreventiveError(403, `role ${actor.role} may not change objects, templates or plans`);
  }
  if (!canSeeSite(actor, site))
    throw new PreventiveError(403, `site: ${site} is not one of ${actor.username}'s sites`);
}

/** Validates input against a schema; the first problem becomes a 400 naming its field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  data: unknown,
  where: 'query' | 'body' = 'body',
): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new PreventiveError(400, firstIssue(result.error, where));
}
