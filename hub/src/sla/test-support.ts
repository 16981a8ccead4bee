import type { Kysely } from 'kysely';
import type { OpenDatabase } from '../db/database.js';
import type { Database, WorkOrderStatus } from '../db/schema.js';
import type { PerformAction } from '../dispatch/dispatch.service.js';
import type { PersonRole } from '../people/actor.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { loadWorkflow } from '../workorders/workflow.js';
import { WorkflowService } from '../workorders/workflow.service.js';

/**
 * Test helpers of the SLA and dispatch suites: people rows written straight into the people
 * tables, and the lifecycle's moves (defer, resume, dispatch) as the lifecycle records them,
 * for suites that test SLA rules without the transition table.
 */

/** The lifecycle's `perform` over the shipped transition table, as the hub wires it for dispatch. */
export function systemPerform(
  db: Kysely<Database>,
  orders: WorkOrderService,
  now: () => number,
): PerformAction {
  const workflow = new WorkflowService({ db, orders, workflow: loadWorkflow(), now });
  return (id, action, actor, body) => workflow.perform(id, action, actor, body);
}

/** Opens (creating on first use) the database called `name`. */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

export interface PersonSeed {
  username: string;
  role?: PersonRole;
  reports_to?: string | null;
  zone?: string | null;
  active?: boolean;
  sites?: string[];
  /** skill -> certificate (null: skill without certificate), expiry (null: none). */
  skills?: Record<string, { certificate?: string | null; expires_at?: number | null }>;
  /** Weekly shifts: weekday (1 = Monday), start and end as HH:MM. */
  shifts?: Array<{ weekday: number; start: string; end: string; site?: string | null }>;
}

const minuteOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export async function seedPeople(db: Kysely<Database>, people: readonly PersonSeed[], ts = 0): Promise<void> {
  // reports_to may name someone seeded later: users first, then the chain.
  for (const p of people) {
    await db
      .insertInto('users')
      .values({
        username: p.username,
        display_name: p.username.toUpperCase(),
        role: p.role ?? 'technician',
        password_hash: null,
        email: null,
        phone: null,
        reports_to: null,
        zone: p.zone ?? null,
        active: p.active === false ? 0 : 1,
        created_at: ts,
        updated_at: ts,
      })
      .execute();
  }
  for (const p of people) {
    if (p.reports_to) {
      await db
        .updateTable('users')
        .set({ reports_to: p.reports_to })
        .where('username', '=', p.username)
        .execute();
    }
    for (const site of p.sites ?? []) {
      await db.insertInto('user_sites').values({ username: p.username, site }).execute();
    }
    for (const [skill, cert] of Object.entries(p.skills ?? {})) {
      await db
        .insertInto('user_skills')
        .values({
          username: p.username,
          skill,
          certificate_no:
            cert.certificate === undefined ? `${skill.toUpperCase()}-${p.username}` : cert.certificate,
          expires_at: cert.expires_at ?? null,
        })
        .execute();
    }
    for (const s of p.shifts ?? []) {
      await db
        .insertInto('shifts')
        .values({
          username: p.username,
          weekday: s.weekday,
          start_minute: minuteOf(s.start),
          end_minute: s.end === '24:00' ? 1440 : minuteOf(s.end),
          site: s.site ?? null,
        })
        .execute();
    }
  }
}

/** A status change recorded the way the lifecycle records one (one event, after commit). */
export async function move(
  orders: WorkOrderService,
  orderId: number,
  ts: number,
  action: string,
  to: WorkOrderStatus,
  patch: Record<string, unknown> = {},
): Promise<void> {
  await orders.inTransaction(async (trx) => {
    const order = await trx
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow();
    const pause: Record<string, unknown> = {};
    if (to === 'deferred' && order.sla_paused_since === null) pause.sla_paused_since = ts;
    if (order.status === 'deferred' && to !== 'deferred' && order.sla_paused_since !== null) {
      pause.sla_paused_ms = order.sla_paused_ms + (ts - order.sla_paused_since);
      pause.sla_paused_since = null;
    }
    await trx
      .updateTable('work_orders')
      .set({ status: to, updated_at: ts, ...pause, ...patch })
      .where('id', '=', orderId)
      .execute();
    await orders.event(trx, orderId, ts, 'sup-test', action, order.status, to, {});
  });
}
