import { formatDuration, type SlaDetail, type SlaLimitState, type SlaState } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { Selectable, Transaction } from 'kysely';
import { CLOSED_ORDER_STATUSES, type Database } from '../db/schema.js';
import { SYSTEM_ACTOR } from '../people/actor.js';
import { OrderEventFollower, type OrderFollowerOptions } from '../services/order-event-follower.js';
import type { OrderEventNotice } from '../workorders/work-order.service.js';
import { firstLevel, nextLevel } from './escalation-chain.js';
import { LIMIT_KINDS, type LimitKind, type ServiceLevel, type ServiceLevels } from './service-levels.js';
import { limitOpen, limitState, slaState } from './sla-state.js';

type OrderRow = Selectable<Database['work_orders']>;

export interface SlaServiceOptions extends OrderFollowerOptions {
  levels: ServiceLevels;
  log?: Logger;
  /** PostgreSQL: lock the order row while deciding (SQLite serialises writers anyway). */
  lockRows?: boolean;
  /** Most orders one sweep handles (the rest wait for the next second). */
  batchSize?: number;
}

/** After a failure, the order is retried this much later (one log line, not one a second). */
const RETRY_AFTER_MS = 60_000;
/** Orders brought up to date in one transaction at start. */
const BATCH = 200;
const ACTOR = SYSTEM_ACTOR.username;
const WHAT_MISSED: Record<LimitKind, string> = { response: 'not dispatched', completion: 'not completed' };

/**
 * Time limits of work orders: sets each order's limits from the service levels when it is
 * created (tightened by a priority raise), records warnings at the configured shares of each
 * limit and the breach at 100 %, and escalates an overdue order up the chain, one level per
 * `escalate_every`. Driven by order events (after commit) and by `tick(now)` from the hub's
 * sweeper, which reads only the orders whose next threshold is due (`sla_next_check_at`).
 * Every warning and escalation is a row with a primary key, so each happens once, across
 * restarts and hubs sharing one database.
 */
export class SlaService extends OrderEventFollower<SlaServiceOptions> {
  private sweeping = false;

  get levels(): ServiceLevels {
    return this.opts.levels;
  }

  /**
   * Follows order events, then catches up with every open order (limits not set yet, a
   * resume or priority raise missed while the hub was down).
   */
  async start(): Promise<void> {
    this.follow();
    const open = await this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('status', 'not in', CLOSED_ORDER_STATUSES)
      .orderBy('id')
      .execute();
    // Only what the sweep would not fix by itself; the rest is read, not rewritten.
    const ids = open.filter((o) => this.needsCatchUp(o)).map((o) => o.id);
    for (let i = 0; i < ids.length; i += BATCH) {
      await this.queue.run(() => this.syncMany(ids.slice(i, i + BATCH), this.now()));
    }
  }

  /**
   * An order whose limits are not set, whose finished pause is not in its deadlines, or which
   * has no next check while its clock runs.
   */
  private needsCatchUp(order: OrderRow): boolean {
    if (order.completion_limit_ms === null) return true;
    if (order.sla_paused_ms !== order.sla_applied_pause_ms) return true;
    return order.sla_paused_since === null && order.sla_next_check_at === null;
  }

  /** The SLA state of an order (the dashboard's countdown, `GET /api/work-orders/:id/sla`). */
  async state(orderId: number, now = this.now()): Promise<SlaState | undefined> {
    const order = await this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirst();
    return order ? slaState(order, now, this.opts.levels.responseEnds) : undefined;
  }

  /** The state with the warnings and escalations recorded so far (for the API). */
  async detail(orderId: number, at = this.now()): Promise<SlaDetail | undefined> {
    const order = await this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirst();
    if (!order) return undefined;
    const [warnings, escalations] = await Promise.all([
      this.db
        .selectFrom('sla_warnings')
        .select(['limit_kind', 'percent', 'ts'])
        .where('order_id', '=', orderId)
        .orderBy('ts')
        .orderBy('percent')
        .execute(),
      this.db
        .selectFrom('sla_escalations')
        .select(['limit_kind', 'level', 'ts', 'notified', 'reason'])
        .where('order_id', '=', orderId)
        .orderBy('ts')
        .orderBy('level')
        .execute(),
    ]);
    return {
      order_id: order.id,
      code: order.code,
      site: order.site,
      status: order.status,
      problem_type: order.problem_type,
      at,
      sla: slaState(order, at, this.opts.levels.responseEnds),
      warnings: warnings.map((w) => ({ limit: w.limit_kind, percent: w.percent, ts: w.ts })),
      escalations: escalations.map((e) => ({
        limit: e.limit_kind,
        level: e.level,
        ts: e.ts,
        notified: JSON.parse(e.notified) as string[],
        reason: e.reason,
      })),
    };
  }

  /**
   * The periodic sweep (each second): only orders whose next threshold is due, running clocks
   * only. A sweep still running when the next second comes is not doubled.
   */
  async tick(now = this.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.queue.run(async () => {
        const due = await this.db
          .selectFrom('work_orders')
          .select('id')
          .where('sla_next_check_at', '<=', now)
          .where('sla_paused_since', 'is', null)
          .orderBy('sla_next_check_at')
          .limit(this.opts.batchSize ?? 200)
          .execute();
        await this.syncMany(
          due.map((d) => d.id),
          now,
        );
      });
    } finally {
      this.sweeping = false;
    }
  }

  protected override onOrderEvent(event: OrderEventNotice): void {
    // Our own records change nothing the sweep has not already planned for.
    if (event.type.startsWith('sla_') || event.detail.by === 'service_levels') return;
    // Only a priority change may tighten limits: a deadline the order was given stays otherwise.
    const tighten = event.type.includes('priority');
    void this.queue.run(() => this.sync(event.orderId, this.now(), tighten));
  }

  /**
   * Brings one order up to date at `now`: limits set or tightened, finished pauses added to
   * the deadlines, warnings and escalations that are due recorded, the next check planned.
   * A failure is logged and the order retried a minute later; other orders go on.
   */
  /**
   * Several orders in one transaction (one disk flush instead of one each); if any fails, each
   * goes again on its own so one bad order holds up nobody.
   */
  private async syncMany(orderIds: readonly number[], now: number): Promise<void> {
    if (orderIds.length === 0) return;
    if (orderIds.length === 1) return this.sync(orderIds[0] as number, now);
    try {
      await this.opts.orders.inTransaction(async (trx) => {
        for (const id of orderIds) await this.syncIn(trx, id, now);
      });
    } catch {
      for (const id of orderIds) await this.sync(id, now);
    }
  }

  private async sync(orderId: number, now: number, tighten = false): Promise<void> {
    try {
      await this.opts.orders.inTransaction((trx) => this.syncIn(trx, orderId, now, tighten));
    } catch (err) {
      this.opts.log?.error({ err: (err as Error).message, order_id: orderId }, 'SLA check failed');
      await this.db
        .updateTable('work_orders')
        .set({ sla_next_check_at: now + RETRY_AFTER_MS })
        .where('id', '=', orderId)
        .execute()
        .catch(() => undefined);
    }
  }

  private async syncIn(
    trx: Transaction<Database>,
    orderId: number,
    now: number,
    tighten = false,
  ): Promise<void> {
    let query = trx.selectFrom('work_orders').selectAll().where('id', '=', orderId);
    if (this.opts.lockRows) query = query.forUpdate();
    let order = await query.executeTakeFirst();
    if (!order) return;
    if (CLOSED_ORDER_STATUSES.includes(order.status)) {
      await this.setNextCheck(trx, order, null);
      return;
    }
    const level = this.opts.levels.forOrder(order.problem_type, order.priority);
    order = await this.applyLevel(trx, order, level, now, tighten);
    order = await this.applyPauses(trx, order);
    if (order.sla_paused_since !== null) {
      // The clock is stopped: nothing falls due until the order resumes (its event brings it back).
      await this.setNextCheck(trx, order, null);
      return;
    }
    // Read first, so an order with nothing new costs no write.
    const warned = new Set(
      (
        await trx
          .selectFrom('sla_warnings')
          .select(['limit_kind', 'percent'])
          .where('order_id', '=', order.id)
          .execute()
      ).map((w) => `${w.limit_kind}:${w.percent}`),
    );
    let next: number | null = null;
    for (const kind of LIMIT_KINDS) {
      const at = await this.checkLimit(trx, order, kind, level, now, warned);
      if (at !== null && (next === null || at < next)) next = at;
    }
    await this.setNextCheck(trx, order, next);
  }

  /** Sets limits at first sight of an order, tightens them after a priority raise. */
  private async applyLevel(
    trx: Transaction<Database>,
    order: OrderRow,
    level: ServiceLevel,
    now: number,
    tighten: boolean,
  ): Promise<OrderRow> {
    const ends = this.opts.levels.responseEnds;
    if (order.completion_limit_ms === null) {
      const priority = Math.min(order.priority, level.priority);
      // A deferral already counted (an order older than this module) moves the deadlines too.
      const shift = order.sla_paused_ms;
      // A deadline its creator set (a preventive plan's window) stands; planned work has no
      // response limit: it is dispatched within its window, not raced to.
      const ownCompletion = order.completion_due_at;
      const planned = order.kind === 'preventive';
      const ownResponse = planned ? null : order.response_due_at;
      const responseLimit = planned
        ? null
        : ownResponse !== null
          ? Math.max(1, ownResponse - order.created_at)
          : level.responseMs;
      const completionLimit =
        ownCompletion !== null ? Math.max(1, ownCompletion - order.created_at) : level.completionMs;
      const values = {
        priority,
        response_limit_ms: responseLimit,
        completion_limit_ms: completionLimit,
        response_due_at:
          responseLimit === null ? null : (ownResponse ?? order.created_at + responseLimit + shift),
        completion_due_at: ownCompletion ?? order.created_at + completionLimit + shift,
        sla_applied_pause_ms: shift,
        updated_at: Math.max(order.updated_at, now),
      };
      await trx.updateTable('work_orders').set(values).where('id', '=', order.id).execute();
      if (priority < order.priority) {
        await this.opts.orders.event(trx, order.id, now, ACTOR, 'priority_raised', null, null, {
          from: order.priority,
          to: priority,
          why: `the service level of problem type ${order.problem_type}`,
          by: 'service_levels',
        });
      }
      const response =
        responseLimit === null
          ? 'no response limit (planned work)'
          : `response within ${formatDuration(responseLimit)}${ownResponse !== null ? ' (its own due time)' : ''}`;
      const completion = `completion within ${formatDuration(completionLimit)}${ownCompletion !== null ? ' (its own due time)' : ''}`;
      await this.opts.orders.event(trx, order.id, now, ACTOR, 'sla_assigned', null, null, {
        priority,
        source: level.source,
        response_limit_ms: responseLimit,
        completion_limit_ms: completionLimit,
        response_due_at: values.response_due_at,
        completion_due_at: values.completion_due_at,
        why: `${level.source}: ${response}, ${completion}`,
      });
      return { ...order, ...values };
    }
    if (!tighten) return order;
    const changes: Partial<OrderRow> = {};
    const detail: Record<string, unknown> = {};
    for (const kind of LIMIT_KINDS) {
      const limitKey = kind === 'response' ? 'response_limit_ms' : 'completion_limit_ms';
      const dueKey = kind === 'response' ? 'response_due_at' : 'completion_due_at';
      const wanted = kind === 'response' ? level.responseMs : level.completionMs;
      const current = order[limitKey];
      // No limit stays none; a met limit keeps the length it was met against.
      if (current === null || wanted >= current || !limitOpen(order, kind, ends)) continue;
      changes[limitKey] = wanted;
      changes[dueKey] = (order[dueKey] ?? order.created_at + current) - (current - wanted);
      detail[kind] = { from_ms: current, to_ms: wanted, due_at: changes[dueKey] };
    }
    if (Object.keys(changes).length === 0) return order;
    await trx.updateTable('work_orders').set(changes).where('id', '=', order.id).execute();
    await this.opts.orders.event(trx, order.id, now, ACTOR, 'sla_tightened', null, null, {
      ...detail,
      priority: order.priority,
      source: level.source,
      why: `the service level now allows less time (${level.source}, priority ${order.priority})`,
    });
    return { ...order, ...changes };
  }

  /** A finished pause moves the deadlines of the limits still open (once: applied is remembered). */
  private async applyPauses(trx: Transaction<Database>, order: OrderRow): Promise<OrderRow> {
    const pending = order.sla_paused_ms - order.sla_applied_pause_ms;
    if (pending <= 0) return order;
    const ends = this.opts.levels.responseEnds;
    const changes: Partial<OrderRow> = { sla_applied_pause_ms: order.sla_paused_ms };
    if (order.response_due_at !== null && limitOpen(order, 'response', ends))
      changes.response_due_at = order.response_due_at + pending;
    if (order.completion_due_at !== null && limitOpen(order, 'completion', ends))
      changes.completion_due_at = order.completion_due_at + pending;
    await trx.updateTable('work_orders').set(changes).where('id', '=', order.id).execute();
    return { ...order, ...changes };
  }

  /**
   * Records what is due for one limit (warnings, the breach, escalation levels) and returns
   * when the next thing for it falls due (null: nothing more).
   */
  private async checkLimit(
    trx: Transaction<Database>,
    order: OrderRow,
    kind: LimitKind,
    level: ServiceLevel,
    now: number,
    warned: ReadonlySet<string>,
  ): Promise<number | null> {
    const state = limitState(order, kind, now, this.opts.levels.responseEnds);
    if (!state?.running) return null;
    let next: number | null = null;
    const later = (at: number) => {
      if (next === null || at < next) next = at;
    };
    for (const percent of [...this.opts.levels.warnAt, 100]) {
      const at = state.due_at - Math.round(state.limit_ms * (1 - percent / 100));
      if (at > now) {
        later(at);
        continue;
      }
      if (!warned.has(`${kind}:${percent}`)) await this.warn(trx, order, state, percent, now);
    }
    if (!state.breached) return next;
    const every = level.escalateEveryMs;
    const done = await trx
      .selectFrom('sla_escalations')
      .select(['level', 'notified'])
      .where('order_id', '=', order.id)
      .where('limit_kind', '=', kind)
      .orderBy('level')
      .execute();
    const notifiedSoFar = new Set<string>();
    let below: string[] = [];
    for (let n = 1; n <= level.maxLevel; n += 1) {
      const row = done.find((d) => d.level === n);
      if (row) {
        below = JSON.parse(row.notified) as string[];
        if (below.length === 0) return next; // the chain ended here
        for (const u of below) notifiedSoFar.add(u);
        continue;
      }
      const at = state.due_at + (n - 1) * every;
      if (at > now) {
        later(at);
        break;
      }
      const targets =
        n === 1
          ? await firstLevel(trx, order.site, order.assignee)
          : await nextLevel(trx, below, notifiedSoFar);
      const recorded = await this.escalate(trx, order, state, n, targets.notified, targets.basis, every, now);
      if (!recorded) {
        // Another hub on the same database recorded this level meanwhile: look again shortly.
        later(now + 1_000);
        break;
      }
      if (targets.notified.length === 0) break;
      below = targets.notified;
      for (const u of below) notifiedSoFar.add(u);
    }
    return next;
  }

  private async warn(
    trx: Transaction<Database>,
    order: OrderRow,
    state: SlaLimitState,
    percent: number,
    now: number,
  ): Promise<void> {
    const inserted = await trx
      .insertInto('sla_warnings')
      .values({ order_id: order.id, limit_kind: state.kind, percent, ts: now })
      .onConflict((oc) => oc.columns(['order_id', 'limit_kind', 'percent']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return;
    const breach = percent >= 100;
    await this.opts.orders.event(
      trx,
      order.id,
      now,
      ACTOR,
      breach ? 'sla_breached' : 'sla_warning',
      null,
      null,
      {
        limit: state.kind,
        percent,
        limit_ms: state.limit_ms,
        due_at: state.due_at,
        remaining_ms: state.remaining_ms,
        notify: order.assignee ? [order.assignee] : [],
        why: breach
          ? `${WHAT_MISSED[state.kind]} within ${formatDuration(state.limit_ms)}: the ${state.kind} limit is breached`
          : `${percent} % of the ${state.kind} limit (${formatDuration(state.limit_ms)}) used, ${formatDuration(state.remaining_ms)} left`,
      },
    );
  }

  /** Records one escalation level (once); false if it was recorded already (another hub). */
  private async escalate(
    trx: Transaction<Database>,
    order: OrderRow,
    state: SlaLimitState,
    level: number,
    notified: string[],
    basis: string,
    every: number,
    now: number,
  ): Promise<boolean> {
    const overdue = formatDuration(Math.max(0, now - state.due_at));
    const reason =
      notified.length === 0
        ? level === 1
          ? `nobody to escalate to: ${order.assignee ? `${order.assignee} reports to nobody and ` : ''}site ${order.site} has no active supervisor`
          : 'nobody further up the chain'
        : level === 1
          ? `${WHAT_MISSED[state.kind]} within ${formatDuration(state.limit_ms)} (${state.kind} limit): escalated to ${notified.join(', ')}, ${basis}`
          : `still ${WHAT_MISSED[state.kind]} ${formatDuration(every * (level - 1))} after the first escalation (${overdue} overdue): escalated to ${notified.join(', ')}, ${basis}`;
    const inserted = await trx
      .insertInto('sla_escalations')
      .values({
        order_id: order.id,
        limit_kind: state.kind,
        level,
        ts: now,
        notified: JSON.stringify(notified),
        reason,
      })
      .onConflict((oc) => oc.columns(['order_id', 'limit_kind', 'level']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
    if (notified.length === 0) {
      await this.opts.orders.event(trx, order.id, now, ACTOR, 'sla_escalation_ended', null, null, {
        limit: state.kind,
        level,
        why: reason,
      });
      return true;
    }
    if (level > order.escalation_level) {
      await trx
        .updateTable('work_orders')
        .set({ escalation_level: level, updated_at: Math.max(order.updated_at, now) })
        .where('id', '=', order.id)
        .execute();
      order.escalation_level = level;
    }
    await this.opts.orders.event(trx, order.id, now, ACTOR, 'sla_escalated', null, null, {
      limit: state.kind,
      level,
      notified,
      overdue_ms: Math.max(0, now - state.due_at),
      why: reason,
    });
    return true;
  }

  private async setNextCheck(trx: Transaction<Database>, order: OrderRow, at: number | null): Promise<void> {
    if (order.sla_next_check_at === at) return;
    await trx.updateTable('work_orders').set({ sla_next_check_at: at }).where('id', '=', order.id).execute();
  }
}
