import { randomUUID } from 'node:crypto';
import type { OrderListSort } from '@caretaker/protocol';
import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import {
  type AlarmRow,
  CLOSED_ORDER_STATUSES,
  type Database,
  type NewWorkOrder,
  type Severity,
  severityRank,
  type WorkOrderRow,
  type WorkOrderStatus,
} from '../db/schema.js';
import { orderListBy } from './order-list.js';

/** Priority 1 (most urgent) to 4 from a severity. */
export function priorityOf(severity: Severity): number {
  return 4 - severityRank(severity);
}

export interface SensorOrderRequest {
  alarm: AlarmRow;
  problemType: string;
  title: string;
  kind: 'corrective' | 'preventive';
  evidence: Record<string, unknown>;
  ts: number;
  /** How long after completion a return of the incident reopens the order. */
  reopenWindowMs: number;
  /** How long after a self-recovery cancel a return revives the same order. */
  reviveWindowMs: number;
}

export interface NewOrderInput {
  source: 'manual' | 'qr' | 'preventive';
  kind: 'corrective' | 'preventive';
  site: string;
  building?: string | null;
  location?: string | null;
  device?: string | null;
  title: string;
  problemType: string;
  /** 1 (most urgent) to 4. */
  priority: number;
  severity?: Severity;
  description?: string;
  requester?: string | null;
  planId?: number | null;
  ruleId?: string | null;
  incidentKey?: string;
  evidence?: Record<string, unknown>;
  /** Who created it (a user name, `qr:<reviewer>`, `plan`). */
  actor: string;
  ts?: number;
}

/** Filters of the order list (GET /api/work-orders). */
export interface OrderSearch {
  status?: readonly WorkOrderStatus[];
  site?: string;
  device?: string;
  /** The primary assignee or a co-assignee. */
  assignee?: string;
  priority?: number;
  source?: WorkOrderRow['source'];
  overdue?: boolean;
  limit?: number;
  offset?: number;
  /** Default `newest` (creation, then id). */
  sort?: OrderListSort;
}

export type SensorOrderOutcome = 'created' | 'attached' | 'reopened' | 'revived';

type Db = Kysely<Database> | Transaction<Database>;

/** One recorded change of an order, handed to listeners after its transaction committed. */
export interface OrderEventNotice {
  orderId: number;
  ts: number;
  actor: string;
  type: string;
  from: string | null;
  to: string | null;
  detail: Record<string, unknown>;
}
export type OrderEventListener = (event: OrderEventNotice) => void;

/**
 * Work orders raised by sensors: one open order per incident key, which the database
 * guarantees (a partial unique index); a repeat attaches to it, a severity rise raises its
 * priority, a return soon after completion reopens it. Every change is an event (who, when,
 * from, to, why). The people's side of the lifecycle grows in issue 7.
 */
export class WorkOrderService {
  private readonly listeners: OrderEventListener[] = [];
  /** Events recorded inside a transaction, announced only once it has committed. */
  private readonly pendingEvents = new WeakMap<object, OrderEventNotice[]>();

  constructor(
    private readonly db: Kysely<Database>,
    /** The clock: public so a list's answer can say which instant it was judged at. */
    readonly now: () => number = Date.now,
  ) {}

  /** Listens to every recorded order event (webhooks, socket.io, escalation), after commit. */
  onEvent(listener: OrderEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Runs `fn` in a transaction; the order events it recorded reach the listeners after the
   * commit (never for a rolled-back transaction). A listener that throws does not undo anything.
   */
  async inTransaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    let buffer: OrderEventNotice[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      buffer = [];
      this.pendingEvents.set(trx, buffer);
      return fn(trx);
    });
    for (const event of buffer) this.notify(event);
    return result;
  }

  private notify(event: OrderEventNotice): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own (it logs); the change is committed.
      }
    }
  }

  async get(id: number): Promise<WorkOrderRow | undefined> {
    return this.db.selectFrom('work_orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async openFor(incidentKey: string, db: Db = this.db): Promise<WorkOrderRow | undefined> {
    return db
      .selectFrom('work_orders')
      .selectAll()
      .where('incident_key', '=', incidentKey)
      .where('status', 'not in', CLOSED_ORDER_STATUSES)
      .executeTakeFirst();
  }

  async list(filter: { status?: WorkOrderStatus; device?: string; site?: string; limit?: number } = {}) {
    let q = this.db.selectFrom('work_orders').selectAll().orderBy('id', 'desc');
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.device) q = q.where('device', '=', filter.device);
    if (filter.site) q = q.where('site', '=', filter.site);
    return q.limit(filter.limit ?? 200).execute();
  }

  /**
   * Orders for a list: filters, in the requested order (order-list.ts), a page of them and the
   * total. `sites` limits the result to an actor's sites ('all': no limit). Overdue means open,
   * past its completion due time at `now`, and not deferred (a deferred order's clock is stopped).
   */
  async search(filter: OrderSearch, sites: readonly string[] | 'all' = 'all', now = this.now()) {
    if (sites !== 'all' && sites.length === 0) return { orders: [] as WorkOrderRow[], total: 0 };
    let q = this.db.selectFrom('work_orders');
    if (sites !== 'all') q = q.where('site', 'in', sites);
    if (filter.status) q = q.where('status', 'in', filter.status);
    if (filter.site) q = q.where('site', '=', filter.site);
    if (filter.device) q = q.where('device', '=', filter.device);
    if (filter.priority) q = q.where('priority', '=', filter.priority);
    if (filter.source) q = q.where('source', '=', filter.source);
    const assignee = filter.assignee;
    if (assignee) {
      q = q.where((eb) =>
        eb.or([
          eb('assignee', '=', assignee),
          eb.exists(
            eb
              .selectFrom('work_order_assignees as a')
              .select('a.order_id')
              .whereRef('a.order_id', '=', 'work_orders.id')
              .where('a.username', '=', assignee),
          ),
        ]),
      );
    }
    if (filter.overdue !== undefined) {
      const open = [...CLOSED_ORDER_STATUSES, 'deferred' as const];
      q = filter.overdue
        ? q.where('completion_due_at', '<', now).where('status', 'not in', open)
        : q.where((eb) =>
            eb.or([
              eb('completion_due_at', 'is', null),
              eb('completion_due_at', '>=', now),
              eb('status', 'in', open),
            ]),
          );
    }
    const [orders, count] = await Promise.all([
      orderListBy(q.selectAll(), filter.sort ?? 'newest', now)
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { orders, total: Number(count.n) };
  }

  /** Who works on an order: the primary assignee and co-assignees, in the order they joined. */
  async assigneesOf(orderId: number) {
    return this.db
      .selectFrom('work_order_assignees')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('added_at')
      .orderBy('username')
      .execute();
  }

  async events(orderId: number) {
    return this.db
      .selectFrom('work_order_events')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
  }

  async alarmsOf(orderId: number) {
    return this.db.selectFrom('work_order_alarms').selectAll().where('order_id', '=', orderId).execute();
  }

  /** The device's most recent orders, newest first (evidence for a new one). */
  async recentForDevice(device: string, limit = 5) {
    return this.db
      .selectFrom('work_orders')
      .select(['id', 'code', 'title', 'status', 'created_at', 'completed_at'])
      .where('device', '=', device)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** An order in repair on the device, if any: new alarms there are silenced into it. */
  async inRepairOn(device: string): Promise<WorkOrderRow | undefined> {
    return this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('device', '=', device)
      .where('status', '=', 'in_repair')
      .executeTakeFirst();
  }

  /**
   * The order for an alarm that should have one: attaches to the open order of its incident,
   * revives one cancelled as self-recovered moments ago, reopens one completed within the
   * reopen window (a failed first-time fix), or creates one (linked to the incident's last
   * order). A concurrent creation loses to the unique index and attaches instead.
   */
  async raiseForAlarm(
    req: SensorOrderRequest,
  ): Promise<{ order: WorkOrderRow; outcome: SensorOrderOutcome }> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.inTransaction((trx) => this.raiseIn(trx, req));
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 2) throw err;
      }
    }
  }

  private async raiseIn(
    trx: Transaction<Database>,
    req: SensorOrderRequest,
  ): Promise<{ order: WorkOrderRow; outcome: SensorOrderOutcome }> {
    const { alarm, ts } = req;
    const key = alarm.incident_key;
    const open = await this.openFor(key, trx);
    if (open) {
      const linked = await this.link(trx, open.id, alarm.id, 'repeat', ts);
      const priority = Math.min(open.priority, priorityOf(alarm.severity));
      await trx
        .updateTable('work_orders')
        .set({
          occurrences: linked ? open.occurrences + 1 : open.occurrences,
          priority,
          severity:
            severityRank(alarm.severity) > severityRank(open.severity) ? alarm.severity : open.severity,
          updated_at: ts,
        })
        .where('id', '=', open.id)
        .execute();
      if (priority < open.priority) {
        await this.event(trx, open.id, ts, 'sensor', 'priority_raised', null, null, {
          from: open.priority,
          to: priority,
          severity: alarm.severity,
        });
      }
      if (linked) await this.event(trx, open.id, ts, 'sensor', 'repeat', null, null, { alarm_id: alarm.id });
      return { order: (await this.getIn(trx, open.id)) as WorkOrderRow, outcome: 'attached' };
    }
    const last = await trx
      .selectFrom('work_orders')
      .selectAll()
      .where('incident_key', '=', key)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (
      last?.status === 'cancelled' &&
      last.cancel_reason === 'self_recovered' &&
      last.cancelled_at !== null &&
      ts - last.cancelled_at <= req.reviveWindowMs
    ) {
      await this.setStatus(trx, last, 'pending_acceptance', ts, 'sensor', 'revived', {
        why: 'the incident came back soon after recovering by itself',
        alarm_id: alarm.id,
      });
      await trx
        .updateTable('work_orders')
        .set({ cancelled_at: null, cancel_reason: null, occurrences: last.occurrences + 1 })
        .where('id', '=', last.id)
        .execute();
      await this.link(trx, last.id, alarm.id, 'repeat', ts);
      return { order: (await this.getIn(trx, last.id)) as WorkOrderRow, outcome: 'revived' };
    }
    if (
      last &&
      (last.status === 'completed' || last.status === 'closed') &&
      last.completed_at !== null &&
      ts - last.completed_at <= req.reopenWindowMs
    ) {
      await this.setStatus(trx, last, 'pending_acceptance', ts, 'sensor', 'reopened', {
        why: `the incident returned ${Math.round((ts - last.completed_at) / 60_000)} min after completion`,
        alarm_id: alarm.id,
      });
      await trx
        .updateTable('work_orders')
        .set({
          reopen_count: last.reopen_count + 1,
          first_time_fix: 0,
          occurrences: last.occurrences + 1,
          completed_at: null,
          closed_at: null,
          priority: Math.min(last.priority, priorityOf(alarm.severity)),
        })
        .where('id', '=', last.id)
        .execute();
      await this.link(trx, last.id, alarm.id, 'repeat', ts);
      return { order: (await this.getIn(trx, last.id)) as WorkOrderRow, outcome: 'reopened' };
    }
    const id = await this.insertOrder(trx, {
      incident_key: key,
      source: 'sensor',
      kind: req.kind,
      site: alarm.site,
      device: alarm.device,
      rule_id: alarm.rule_id,
      title: req.title,
      problem_type: req.problemType,
      priority: priorityOf(alarm.severity),
      severity: alarm.severity,
      alarm_id: alarm.id,
      previous_order_id: last?.id ?? null,
      evidence: JSON.stringify(req.evidence),
      created_at: ts,
    });
    await this.event(trx, id, ts, 'sensor', 'created', null, 'pending_acceptance', {
      alarm_id: alarm.id,
      rule: alarm.rule_id,
      previous_order_id: last?.id ?? null,
    });
    await this.link(trx, id, alarm.id, 'trigger', ts);
    return { order: (await this.getIn(trx, id)) as WorkOrderRow, outcome: 'created' };
  }

  /**
   * A new order from a person, a QR report or a preventive plan (sensor orders come through
   * raiseForAlarm). Each gets an incident key of its own unless the caller gives one (a plan's
   * occurrence, so a plan never has two open orders for one period: the unique index decides).
   * Pass `trx` to create it inside a larger transaction.
   */
  async create(input: NewOrderInput, trx?: Transaction<Database>): Promise<WorkOrderRow> {
    const run = async (t: Transaction<Database>) => {
      const ts = input.ts ?? this.now();
      const id = await this.insertOrder(t, {
        incident_key: input.incidentKey ?? `${input.source}/${randomUUID()}`,
        source: input.source,
        kind: input.kind,
        site: input.site,
        building: input.building ?? null,
        location: input.location ?? null,
        device: input.device ?? null,
        rule_id: input.ruleId ?? null,
        title: input.title,
        problem_type: input.problemType,
        priority: input.priority,
        severity: input.severity ?? 'warning',
        description: input.description ?? '',
        requester: input.requester ?? null,
        plan_id: input.planId ?? null,
        evidence: JSON.stringify(input.evidence ?? {}),
        created_at: ts,
      });
      await this.event(t, id, ts, input.actor, 'created', null, 'pending_acceptance', {
        source: input.source,
        ...(input.planId ? { plan_id: input.planId } : {}),
      });
      return (await this.getIn(t, id)) as WorkOrderRow;
    };
    return trx ? run(trx) : this.inTransaction(run);
  }

  /** Inserts a pending order and gives it its code (WO-000123); returns its id. */
  private async insertOrder(
    trx: Transaction<Database>,
    values: Omit<
      NewWorkOrder,
      'code' | 'status' | 'updated_at' | 'occurrences' | 'reopen_count' | 'first_time_fix'
    > & {
      created_at: number;
    },
  ): Promise<number> {
    const inserted = await trx
      .insertInto('work_orders')
      .values({
        code: `tmp-${randomUUID()}`,
        status: 'pending_acceptance',
        occurrences: 1,
        reopen_count: 0,
        first_time_fix: 1,
        updated_at: values.created_at,
        ...values,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(inserted.id);
    await trx
      .updateTable('work_orders')
      .set({ code: `WO-${String(id).padStart(6, '0')}` })
      .where('id', '=', id)
      .execute();
    return id;
  }

  /** Links an alarm to an order (once: the primary key decides); true if the link is new. */
  async link(db: Db, orderId: number, alarmId: number, role: string, ts: number): Promise<boolean> {
    const result = await db
      .insertInto('work_order_alarms')
      .values({ order_id: orderId, alarm_id: alarmId, role, linked_at: ts })
      .onConflict((oc) => oc.columns(['order_id', 'alarm_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Links an alarm without creating anything (symptoms, alarms silenced by a repair). */
  async attach(orderId: number, alarmId: number, role: string, ts: number): Promise<void> {
    await this.inTransaction(async (trx) => {
      if (await this.link(trx, orderId, alarmId, role, ts)) {
        await this.event(
          trx,
          orderId,
          ts,
          'sensor',
          role === 'symptom' ? 'symptom_attached' : 'alarm_attached',
          null,
          null,
          {
            alarm_id: alarmId,
          },
        );
      }
    });
  }

  /** Cancels an order (self-recovered, merged into a root incident, withdrawn). */
  async cancel(
    orderId: number,
    reason: string,
    actor: string,
    ts = this.now(),
    detail: Record<string, unknown> = {},
  ) {
    await this.inTransaction(async (trx) => {
      const order = await this.getIn(trx, orderId);
      if (!order || CLOSED_ORDER_STATUSES.includes(order.status)) return;
      await this.setStatus(trx, order, 'cancelled', ts, actor, 'cancelled', { reason, ...detail });
      await trx
        .updateTable('work_orders')
        .set({ cancelled_at: ts, cancel_reason: reason })
        .where('id', '=', orderId)
        .execute();
    });
  }

  /**
   * Moves an order to a status without the transition table's checks (roles, sites,
   * preconditions): for the alarm engine's own tests. People's and other modules' changes go
   * through WorkflowService.perform. Refuses a move from a closed order.
   */
  async transition(orderId: number, to: WorkOrderStatus, actor: string, ts = this.now(), note?: string) {
    await this.inTransaction(async (trx) => {
      const order = await this.getIn(trx, orderId);
      if (!order) throw new Error(`work order ${orderId} does not exist`);
      if (order.status === 'cancelled' || order.status === 'closed') {
        throw new Error(`work order ${order.code} is ${order.status}`);
      }
      await this.setStatus(trx, order, to, ts, actor, 'status', note ? { note } : {});
      const stamp: Partial<Record<'acknowledged_at' | 'completed_at' | 'closed_at', number>> = {};
      if (order.acknowledged_at === null && to !== 'pending_acceptance') stamp.acknowledged_at = ts;
      if (to === 'completed') stamp.completed_at = ts;
      if (to === 'closed') stamp.closed_at = ts;
      if (Object.keys(stamp).length > 0) {
        await trx.updateTable('work_orders').set(stamp).where('id', '=', orderId).execute();
      }
    });
  }

  private async setStatus(
    trx: Transaction<Database>,
    order: WorkOrderRow,
    to: WorkOrderStatus,
    ts: number,
    actor: string,
    type: string,
    detail: Record<string, unknown>,
  ) {
    await trx
      .updateTable('work_orders')
      .set({ status: to, updated_at: ts })
      .where('id', '=', order.id)
      .execute();
    await this.event(trx, order.id, ts, actor, type, order.status, to, detail);
  }

  /** Records an order event; inside inTransaction() it is announced after the commit. */
  async event(
    db: Db,
    orderId: number,
    ts: number,
    actor: string,
    type: string,
    from: string | null,
    to: string | null,
    detail: Record<string, unknown>,
  ) {
    await db
      .insertInto('work_order_events')
      .values({
        order_id: orderId,
        ts,
        actor,
        type,
        from_status: from,
        to_status: to,
        detail: JSON.stringify(detail),
      })
      .execute();
    const notice: OrderEventNotice = { orderId, ts, actor, type, from, to, detail };
    const buffer = this.pendingEvents.get(db);
    if (buffer) buffer.push(notice);
    else this.notify(notice);
  }

  private async getIn(db: Db, id: number) {
    return db.selectFrom('work_orders').selectAll().where('id', '=', id).executeTakeFirst();
  }
}
