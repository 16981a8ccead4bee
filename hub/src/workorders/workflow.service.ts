import type { Kysely, Transaction, Updateable } from 'kysely';
import type { z } from 'zod';
import type { Database, WorkOrderRow, WorkOrderStatus, WorkOrdersTable } from '../db/schema.js';
import { firstIssue } from '../http/errors.js';
import { type Actor, type ActorRole, canSeeSite } from '../people/actor.js';
import { siteMarkers } from '../people/people.input.js';
import type { ManualOrderInput } from './order.inputs.js';
import type { WorkOrderService } from './work-order.service.js';
import type { ActionBody, Guard, Relation, RoleRule, Workflow, WorkflowAction } from './workflow.js';

/**
 * Runs the transition table: every action checks the actor's site, role, the order's status
 * and the action's preconditions, applies its effect and records one event (who, when, from,
 * to, why) in the same transaction. Other modules (dispatch, SLA, preventive plans) call
 * `perform` with their own actor (`SYSTEM_ACTOR` for the hub itself).
 */

/** A refusal with the HTTP status it maps to; the message names the field, role or action. */
export class WorkflowError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'WorkflowError';
  }
}

type Db = Kysely<Database> | Transaction<Database>;

/** Who else works on an order (co-assignees) besides the primary assignee. */
export interface OrderPeople {
  assignee: string | null;
  helpers: readonly string[];
}

/** Refuses an assignee who may not work on the order; null when they may. */
export type AssigneeCheck = (db: Db, username: string, order: WorkOrderRow) => Promise<string | null>;

/** The roles that may be given repair work when the hub has a user directory. */
const ASSIGNABLE_ROLES: readonly string[] = ['technician', 'supervisor'];

/**
 * The default assignee check, against the people tables: an active technician or supervisor
 * of the order's site. A hub whose users table is empty (the demo, or users still in a file)
 * has nobody to check against, so any name is taken.
 */
export const directoryAssigneeCheck: AssigneeCheck = async (db, username, order) => {
  const anyone = await db.selectFrom('users').select('username').limit(1).executeTakeFirst();
  if (!anyone) return null;
  const user = await db
    .selectFrom('users')
    .select(['role', 'active'])
    .where('username', '=', username)
    .executeTakeFirst();
  if (!user) return `no user ${username}`;
  if (!user.active) return `${username} is disabled`;
  if (!ASSIGNABLE_ROLES.includes(user.role)) return `${username} is a ${user.role}, not a technician`;
  const site = await db
    .selectFrom('user_sites')
    .select('site')
    .where('username', '=', username)
    .where('site', 'in', siteMarkers(order.site))
    .executeTakeFirst();
  return site ? null : `${username} does not work at site ${order.site}`;
};

/** Roles that act for themselves (role "any" in the table); machines and viewers do not. */
const ACTING_PERSON_ROLES: readonly ActorRole[] = [
  'admin',
  'supervisor',
  'technician',
  'reviewer',
  'requester',
];

function roleMatches(rule: RoleRule, role: ActorRole): boolean {
  return rule.role === 'any' ? ACTING_PERSON_ROLES.includes(role) : rule.role === role;
}

function describeRule(rule: RoleRule): string {
  const who = rule.role === 'any' ? 'anyone' : rule.role;
  const tie = rule.mustBe ? ` (as ${rule.mustBe.replaceAll('_', ' ')})` : '';
  const from = rule.from ? ` from ${rule.from.join('/')}` : '';
  return `${who}${tie}${from}`;
}

function relationHolds(relation: Relation, actor: Actor, order: WorkOrderRow, people: OrderPeople): boolean {
  switch (relation) {
    case 'assignee':
      return people.assignee === actor.username;
    case 'assignee_or_helper':
      return people.assignee === actor.username || people.helpers.includes(actor.username);
    case 'requester':
      return order.requester === actor.username;
  }
}

function guardFailure(guard: Guard, order: WorkOrderRow): string | null {
  switch (guard) {
    case 'unassigned':
      return order.assignee ? `${order.code} is already assigned to ${order.assignee}` : null;
    case 'defer_requested':
      return order.defer_requested_at === null ? `no deferral of ${order.code} was requested` : null;
    case 'no_defer_requested':
      return order.defer_requested_at !== null ? `a deferral of ${order.code} is already requested` : null;
    case 'not_rated':
      return order.rating !== null ? `${order.code} is already rated` : null;
  }
}

/**
 * A validation problem, named by its field (`assignee: Required`, `foo: not taken by accept`):
 * an unknown field is named too, not reported against the whole body.
 */
export function fieldIssue(error: z.ZodError, takenBy: string, where: 'query' | 'body' = 'body'): string {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    return `${[...issue.path, issue.keys[0]].join('.')}: not taken by ${takenBy}`;
  }
  return firstIssue(error, where);
}

export interface WorkflowServiceOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  workflow: Workflow;
  now?: () => number;
  /** Who may be given an order (default: the people tables, see directoryAssigneeCheck). */
  checkAssignee?: AssigneeCheck;
}

export class WorkflowService {
  readonly workflow: Workflow;
  private readonly db: Kysely<Database>;
  private readonly orders: WorkOrderService;
  private readonly now: () => number;
  private readonly checkAssignee: AssigneeCheck;

  constructor(opts: WorkflowServiceOptions) {
    this.db = opts.db;
    this.orders = opts.orders;
    this.workflow = opts.workflow;
    this.now = opts.now ?? Date.now;
    this.checkAssignee = opts.checkAssignee ?? directoryAssigneeCheck;
  }

  /** A manual order: anybody but a viewer, on their own sites; they are its requester. */
  async createOrder(
    actor: Actor,
    input: ManualOrderInput,
    opts: { ts?: number } = {},
  ): Promise<WorkOrderRow> {
    if (!ACTING_PERSON_ROLES.includes(actor.role)) {
      throw new WorkflowError(403, `role ${actor.role} may not create work orders`);
    }
    if (!canSeeSite(actor, input.site)) {
      throw new WorkflowError(403, `site: ${input.site} is not one of ${actor.username}'s sites`);
    }
    return this.orders.create({
      source: 'manual',
      kind: 'corrective',
      site: input.site,
      building: input.building ?? null,
      location: input.location ?? null,
      device: input.device ?? null,
      title: input.title,
      problemType: input.problem_type,
      priority: input.priority,
      description: input.description,
      requester: actor.username,
      actor: actor.username,
      ...(opts.ts !== undefined ? { ts: opts.ts } : {}),
    });
  }

  /** Validates an action's body without touching anything (400 names the field). */
  parseBody(actionName: string, body: unknown): { action: WorkflowAction; body: ActionBody } {
    const action = this.workflow.action(actionName);
    if (!action) throw new WorkflowError(404, `action: no action ${actionName}`);
    const parsed = action.bodySchema.safeParse(body ?? {});
    if (!parsed.success) throw new WorkflowError(400, fieldIssue(parsed.error, action.name));
    return { action, body: parsed.data };
  }

  /**
   * Takes `actionName` on an order for `actor`; returns the order as it is afterwards.
   * Throws WorkflowError: 400 bad body, 404 no such order or action, 403 the actor may not
   * (site, role, tie to the order), 409 the order is not in a state for it.
   */
  async perform(
    orderId: number,
    actionName: string,
    actor: Actor,
    body: unknown = {},
    opts: { ts?: number } = {},
  ): Promise<WorkOrderRow> {
    const parsed = this.parseBody(actionName, body);
    const { action } = parsed;
    return this.orders.inTransaction(async (trx) => {
      const ts = opts.ts ?? this.now();
      const order = await trx
        .selectFrom('work_orders')
        .selectAll()
        .where('id', '=', orderId)
        .executeTakeFirst();
      if (!order) throw new WorkflowError(404, `id: no work order ${orderId}`);
      const people = await this.peopleIn(trx, order);
      const refusal = this.refusal(action, order, actor, people);
      if (refusal) throw refusal;
      return this.apply(trx, action, order, people, actor, parsed.body, ts);
    });
  }

  /** The actions `actor` may take on `order` now (for the dashboard's buttons). */
  async allowedActions(order: WorkOrderRow, actor: Actor): Promise<string[]> {
    const people = await this.peopleIn(this.db, order);
    return this.workflow.actions.filter((a) => !this.refusal(a, order, actor, people)).map((a) => a.name);
  }

  private async peopleIn(db: Db, order: WorkOrderRow): Promise<OrderPeople> {
    const rows = await db
      .selectFrom('work_order_assignees')
      .select('username')
      .where('order_id', '=', order.id)
      .where('role', '=', 'assistant')
      .execute();
    return { assignee: order.assignee, helpers: rows.map((r) => r.username) };
  }

  /** Why `actor` may not take `action` on `order` now; null when they may. */
  private refusal(
    action: WorkflowAction,
    order: WorkOrderRow,
    actor: Actor,
    people: OrderPeople,
  ): WorkflowError | null {
    if (!canSeeSite(actor, order.site)) {
      return new WorkflowError(403, `site: ${order.site} is not one of ${actor.username}'s sites`);
    }
    const rules = action.roles.filter((r) => roleMatches(r, actor.role));
    if (rules.length === 0) {
      return new WorkflowError(
        403,
        `role ${actor.role} may not ${action.name} (${action.name}: ${action.roles.map(describeRule).join(', ')})`,
      );
    }
    if (!action.from.includes(order.status)) {
      return new WorkflowError(
        409,
        `${action.name}: ${order.code} is ${order.status}; ${action.name} applies to ${action.from.join(', ')}`,
      );
    }
    const inStatus = rules.filter((r) => !r.from || r.from.includes(order.status));
    if (inStatus.length === 0) {
      return new WorkflowError(
        403,
        `role ${actor.role} may ${action.name} only from ${rules.flatMap((r) => r.from ?? []).join(', ')}`,
      );
    }
    const tied = inStatus.filter((r) => !r.mustBe || relationHolds(r.mustBe, actor, order, people));
    if (tied.length === 0) {
      const ties = [...new Set(inStatus.map((r) => (r.mustBe ?? '').replaceAll('_', ' ')))].join(' or ');
      return new WorkflowError(403, `${actor.username} may ${action.name} ${order.code} only as its ${ties}`);
    }
    for (const guard of action.when) {
      const failure = guardFailure(guard, order);
      if (failure) return new WorkflowError(409, `${action.name}: ${failure}`);
    }
    return null;
  }

  private async apply(
    trx: Transaction<Database>,
    action: WorkflowAction,
    order: WorkOrderRow,
    people: OrderPeople,
    actor: Actor,
    body: ActionBody,
    ts: number,
  ): Promise<WorkOrderRow> {
    const to: WorkOrderStatus = action.to === 'same' ? order.status : action.to;
    const patch: Updateable<WorkOrdersTable> = { status: to, updated_at: ts };
    const detail: Record<string, unknown> = { ...body };

    // Timestamps and the SLA clock follow the status, whatever the action is called.
    if (to !== order.status) {
      if (order.status === 'pending_acceptance' && order.acknowledged_at === null) patch.acknowledged_at = ts;
      if (to === 'in_repair' && order.started_at === null) patch.started_at = ts;
      if (to === 'awaiting_check') patch.check_requested_at = ts;
      if (to === 'completed') patch.completed_at = ts;
      if (to === 'closed') patch.closed_at = ts;
      if (to === 'cancelled') patch.cancelled_at = ts;
      if (to === 'deferred' && order.sla_paused_since === null) patch.sla_paused_since = ts;
      if (order.status === 'deferred' && order.sla_paused_since !== null) {
        const paused = Math.max(0, ts - order.sla_paused_since);
        patch.sla_paused_ms = order.sla_paused_ms + paused;
        patch.sla_paused_since = null;
        detail.paused_ms = paused;
      }
    }

    switch (action.effect) {
      case 'none':
        break;
      case 'assign':
      case 'self_assign': {
        const assignee = action.effect === 'assign' ? (body.assignee as string) : actor.username;
        if (action.effect === 'assign') {
          const problem = await this.checkAssignee(trx, assignee, order);
          if (problem) throw new WorkflowError(409, `assignee: ${problem}`);
        }
        patch.assignee = assignee;
        if (order.dispatched_at === null) patch.dispatched_at = ts;
        detail.assignee = assignee;
        if (order.assignee && order.assignee !== assignee) detail.previous_assignee = order.assignee;
        await this.setPrimary(trx, order, assignee, actor, ts);
        break;
      }
      case 'record_work':
        patch.resolution = body.resolution;
        patch.labour_minutes = body.labour_minutes;
        patch.fault_category = body.fault_category;
        break;
      case 'reject':
        // A rejected repair is not a failed first-time fix by itself: that is the sensor's call.
        patch.reject_count = order.reject_count + 1;
        break;
      case 'rate':
        patch.rating = body.rating;
        patch.rating_comment = body.comment ?? null;
        break;
      case 'add_helpers': {
        const added: string[] = [];
        for (const username of new Set(body.assignees ?? [])) {
          if (username === people.assignee || people.helpers.includes(username)) continue;
          const problem = await this.checkAssignee(trx, username, order);
          if (problem) throw new WorkflowError(409, `assignees: ${problem}`);
          await trx
            .insertInto('work_order_assignees')
            .values({
              order_id: order.id,
              username,
              role: 'assistant',
              added_at: ts,
              added_by: actor.username,
            })
            .execute();
          added.push(username);
        }
        if (added.length === 0) {
          throw new WorkflowError(409, `assignees: everyone named already works on ${order.code}`);
        }
        detail.assignees = added;
        break;
      }
      case 'request_defer':
        patch.defer_requested_at = ts;
        patch.defer_reason = body.reason;
        patch.deferred_until = body.until ?? null;
        break;
      case 'approve_defer':
        patch.defer_requested_at = null;
        patch.deferred_until = body.until ?? order.deferred_until;
        detail.defer_reason = order.defer_reason;
        break;
      case 'decline_defer':
        patch.defer_requested_at = null;
        patch.defer_reason = null;
        patch.deferred_until = null;
        break;
      case 'resume':
        // Back in the dispatch pool: whoever had it is dispatched again or grabs it anew.
        patch.deferred_until = null;
        patch.assignee = null;
        if (order.assignee) {
          detail.previous_assignee = order.assignee;
          await trx
            .deleteFrom('work_order_assignees')
            .where('order_id', '=', order.id)
            .where('role', '=', 'primary')
            .execute();
        }
        break;
      case 'cancel':
        patch.cancel_reason = body.reason;
        break;
    }

    // Only if nobody moved the order meanwhile (a second grab, a concurrent dispatch).
    const result = await trx
      .updateTable('work_orders')
      .set(patch)
      .where('id', '=', order.id)
      .where('status', '=', order.status)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new WorkflowError(409, `${action.name}: ${order.code} changed meanwhile; reload it`);
    }
    await this.orders.event(trx, order.id, ts, actor.username, action.name, order.status, to, detail);
    return (await trx
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', order.id)
      .executeTakeFirst()) as WorkOrderRow;
  }

  /** The primary assignee's row: a helper promoted keeps one row; the old primary's row goes. */
  private async setPrimary(
    trx: Transaction<Database>,
    order: WorkOrderRow,
    username: string,
    actor: Actor,
    ts: number,
  ): Promise<void> {
    await trx
      .deleteFrom('work_order_assignees')
      .where('order_id', '=', order.id)
      .where((eb) => eb.or([eb('role', '=', 'primary'), eb('username', '=', username)]))
      .execute();
    await trx
      .insertInto('work_order_assignees')
      .values({ order_id: order.id, username, role: 'primary', added_at: ts, added_by: actor.username })
      .execute();
  }
}
