import type { Request } from 'express';

/**
 * Who is asking: every API request and every service call that changes something carries one.
 * People's roles (issue 7): administrator, supervisor, technician, reviewer, requester, viewer.
 * `gateway` is a machine publishing telemetry; `system` is the hub itself (sensors, schedulers).
 */
export const PERSON_ROLES = ['admin', 'supervisor', 'technician', 'reviewer', 'requester', 'viewer'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];
export type ActorRole = PersonRole | 'gateway' | 'system';

export interface Actor {
  username: string;
  role: ActorRole;
  /** The sites this actor may see and act on; 'all' for administrators and the system. */
  sites: readonly string[] | 'all';
}

export const SYSTEM_ACTOR: Actor = { username: 'system', role: 'system', sites: 'all' };
/** Demo mode: everyone is an anonymous administrator. */
export const DEMO_ACTOR: Actor = { username: 'demo', role: 'admin', sites: 'all' };

export function canSeeSite(actor: Actor, site: string): boolean {
  return actor.sites === 'all' || actor.sites.includes(site);
}

const ACTOR = Symbol('caretaker.actor');

/** Set by the authentication middleware, read by every route. */
export function setActor(req: Request, actor: Actor): void {
  (req as unknown as Record<symbol, Actor>)[ACTOR] = actor;
}

export function actorOf(req: Request): Actor | null {
  return (req as unknown as Record<symbol, Actor | undefined>)[ACTOR] ?? null;
}
