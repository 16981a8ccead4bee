import type {
  InspectionDetail,
  InspectionDeviceItem,
  InspectionSummary,
  PlanReport,
  PlanStats,
} from '@caretaker/protocol';
import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import { CLOSED_ORDER_STATUSES, type Database, type WorkOrderRow } from '../db/schema.js';
import type { Actor } from '../people/actor.js';
import { scopeToSites } from '../people/site-scope.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { mayPlan, mayRead, PreventiveError } from './access.js';
import { type ChecklistItem, type Judgement, judge } from './checklist.js';
import type { InspectionStatus, ResultsBody } from './preventive.inputs.js';
import type { InspectionRow, ResultRow } from './schema.js';

/** Another recording opened the item's repair order first: the transaction is retried. */
class RepairRace extends Error {}

/** The status of an inspection from its counts and its order (the order's lifecycle decides). */
export function inspectionStatus(
  row: Pick<InspectionRow, 'answered_count' | 'item_count' | 'order_id' | 'due_at'>,
  orderStatus: string | null,
  now: number,
): InspectionStatus {
  if (row.answered_count >= row.item_count) return 'done';
  if (row.order_id === null || orderStatus === null) return 'skipped';
  if ((CLOSED_ORDER_STATUSES as readonly string[]).includes(orderStatus)) return 'skipped';
  return row.due_at < now ? 'overdue' : 'open';
}

export const NO_PLAN_STATS: PlanStats = {
  open: 0,
  overdue: 0,
  done: 0,
  skipped: 0,
  last_done_at: null,
  last_occurrence_at: null,
};

export interface InspectionServiceOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  now: () => number;
  /** The latest good value of a device's point, for meter items. */
  readCounter: (device: string, point: string) => number | null;
  /** A site's timezone, for reports. */
  zoneOf: (site: string) => string;
}

/**
 * The inspections plans generate: listed by status (open, overdue, done, skipped), recorded
 * item by item (a failed item opens one repair order), cancelled, and reported per plan and
 * period.
 */
export class InspectionService {
  private readonly db: Kysely<Database>;
  private readonly orders: WorkOrderService;
  private readonly now: () => number;
  private readonly readCounter: (device: string, point: string) => number | null;
  private readonly zoneOf: (site: string) => string;

  constructor(options: InspectionServiceOptions) {
    this.db = options.db;
    this.orders = options.orders;
    this.now = options.now;
    this.readCounter = options.readCounter;
    this.zoneOf = options.zoneOf;
  }

  async list(
    actor: Actor,
    filter: {
      status?: InspectionStatus;
      site?: string;
      plan?: number;
      assignee?: string;
      device?: string;
      from?: number;
      to?: number;
      limit: number;
    },
  ): Promise<InspectionSummary[]> {
    mayRead(actor, filter.site);
    const now = this.now();
    const closed = [...CLOSED_ORDER_STATUSES];
    let q = this.withOrderAndPlan().orderBy('i.due_at', 'desc').orderBy('i.id', 'desc').limit(filter.limit);
    q = scopeToSites(q, actor, 'i.site');
    if (filter.site !== undefined) q = q.where('i.site', '=', filter.site);
    if (filter.plan !== undefined) q = q.where('i.plan_id', '=', filter.plan);
    const { assignee, device } = filter;
    if (assignee !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('o.assignee', '=', assignee),
          eb.exists(
            eb
              .selectFrom('work_order_assignees as a')
              .select('a.order_id')
              .whereRef('a.order_id', '=', 'i.order_id')
              .where('a.username', '=', assignee),
          ),
        ]),
      );
    }
    if (device !== undefined) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('inspection_results as d')
            .select('d.id')
            .whereRef('d.inspection_id', '=', 'i.id')
            .where('d.device', '=', device),
        ),
      );
    }
    if (filter.from !== undefined) q = q.where('i.occurrence_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('i.occurrence_at', '<', filter.to);
    if (filter.status === 'done') q = q.where((eb) => eb('i.answered_count', '>=', eb.ref('i.item_count')));
    if (filter.status === 'skipped') {
      q = q.where((eb) =>
        eb.and([
          eb('i.answered_count', '<', eb.ref('i.item_count')),
          eb.or([eb('i.order_id', 'is', null), eb('o.status', 'in', closed)]),
        ]),
      );
    }
    if (filter.status === 'overdue' || filter.status === 'open') {
      q = q.where((eb) =>
        eb.and([
          eb('i.answered_count', '<', eb.ref('i.item_count')),
          eb('o.status', 'not in', closed),
          filter.status === 'overdue' ? eb('i.due_at', '<', now) : eb('i.due_at', '>=', now),
        ]),
      );
    }
    const rows = await q.execute();
    const skippedIds = rows
      .filter((r) => inspectionStatus(r, r.order_status, now) === 'skipped')
      .map((r) => r.id);
    const skippedItems = new Map<number, Array<{ id: number; object_name: string; label: string }>>();
    if (skippedIds.length > 0) {
      const items = await this.db
        .selectFrom('inspection_results')
        .select(['id', 'inspection_id', 'object_name', 'label'])
        .where('inspection_id', 'in', skippedIds)
        .where('status', '=', 'pending')
        .orderBy('id')
        .execute();
      for (const item of items) {
        const list = skippedItems.get(item.inspection_id) ?? [];
        list.push({ id: item.id, object_name: item.object_name, label: item.label });
        skippedItems.set(item.inspection_id, list);
      }
    }
    const deviceItems = device === undefined ? null : await this.deviceItems(rows, device, now);
    return rows.map((r) => ({
      ...presentInspection(r, now),
      plan_name: r.plan_name,
      skipped_items: skippedItems.get(r.id) ?? [],
      ...(deviceItems ? { device_items: deviceItems.get(r.id) ?? [] } : {}),
    }));
  }

  /** One device's items of each inspection, as a device's history shows them (how each went). */
  private async deviceItems(
    rows: Array<InspectionRow & { order_status: string | null }>,
    device: string,
    now: number,
  ) {
    const out = new Map<number, InspectionDeviceItem[]>();
    if (rows.length === 0) return out;
    const skipped = new Set(
      rows.filter((r) => inspectionStatus(r, r.order_status, now) === 'skipped').map((r) => r.id),
    );
    const items = await this.db
      .selectFrom('inspection_results as r')
      .leftJoin('work_orders as w', 'w.id', 'r.repair_order_id')
      .select([
        'r.id',
        'r.inspection_id',
        'r.object_name',
        'r.label',
        'r.type',
        'r.status',
        'r.value',
        'r.repair_order_id',
        'w.code as repair_order_code',
      ])
      .where(
        'r.inspection_id',
        'in',
        rows.map((r) => r.id),
      )
      .where('r.device', '=', device)
      .orderBy('r.id')
      .execute();
    for (const { inspection_id, ...item } of items) {
      const list = out.get(inspection_id) ?? [];
      list.push({
        ...item,
        status: item.status === 'pending' && skipped.has(inspection_id) ? 'skipped' : item.status,
      });
      out.set(inspection_id, list);
    }
    return out;
  }

  /**
   * How each plan's occurrences stand now (open, overdue, done, skipped) and when one was last
   * done: the plans list shows them. One grouped query for all the plans asked about.
   */
  async planStats(planIds: readonly number[]): Promise<Map<number, PlanStats>> {
    const out = new Map<number, PlanStats>();
    if (planIds.length === 0) return out;
    const now = this.now();
    const closed = [...CLOSED_ORDER_STATUSES];
    const rows = await this.db
      .selectFrom('inspections as i')
      .leftJoin('work_orders as o', 'o.id', 'i.order_id')
      .select((eb) => {
        const done = eb('i.answered_count', '>=', eb.ref('i.item_count'));
        const unanswered = eb('i.answered_count', '<', eb.ref('i.item_count'));
        const running = eb.and([unanswered, eb('o.status', 'not in', closed)]);
        return [
          'i.plan_id',
          eb.fn.countAll<number>().filterWhere(done).as('done'),
          eb.fn
            .countAll<number>()
            .filterWhere(
              eb.and([unanswered, eb.or([eb('i.order_id', 'is', null), eb('o.status', 'in', closed)])]),
            )
            .as('skipped'),
          eb.fn
            .countAll<number>()
            .filterWhere(eb.and([running, eb('i.due_at', '<', now)]))
            .as('overdue'),
          eb.fn
            .countAll<number>()
            .filterWhere(eb.and([running, eb('i.due_at', '>=', now)]))
            .as('open'),
          eb.fn.max<number | null>('i.completed_at').filterWhere(done).as('last_done_at'),
          eb.fn.max<number | null>('i.occurrence_at').as('last_occurrence_at'),
        ];
      })
      .where('i.plan_id', 'in', [...planIds])
      .groupBy('i.plan_id')
      .execute();
    for (const r of rows) {
      out.set(r.plan_id, {
        open: Number(r.open),
        overdue: Number(r.overdue),
        done: Number(r.done),
        skipped: Number(r.skipped),
        last_done_at: r.last_done_at === null ? null : Number(r.last_done_at),
        last_occurrence_at: r.last_occurrence_at === null ? null : Number(r.last_occurrence_at),
      });
    }
    return out;
  }

  /** Inspections with their order's code, status and assignee and their plan's name. */
  private withOrderAndPlan() {
    return this.db
      .selectFrom('inspections as i')
      .leftJoin('work_orders as o', 'o.id', 'i.order_id')
      .innerJoin('preventive_plans as p', 'p.id', 'i.plan_id')
      .selectAll('i')
      .select([
        'o.code as order_code',
        'o.status as order_status',
        'o.assignee as order_assignee',
        'p.name as plan_name',
      ]);
  }

  private async inspectionWithOrder(id: number) {
    const row = await this.withOrderAndPlan().where('i.id', '=', id).executeTakeFirst();
    if (!row) throw new PreventiveError(404, `id: no inspection ${id}`);
    return row;
  }

  async get(actor: Actor, id: number): Promise<InspectionDetail> {
    const row = await this.inspectionWithOrder(id);
    mayRead(actor, row.site);
    const now = this.now();
    const status = inspectionStatus(row, row.order_status, now);
    const items = await this.db
      .selectFrom('inspection_results as r')
      .leftJoin('work_orders as w', 'w.id', 'r.repair_order_id')
      .selectAll('r')
      .select('w.code as repair_order_code')
      .where('r.inspection_id', '=', id)
      .orderBy('r.id')
      .execute();
    return {
      ...presentInspection(row, now),
      plan_name: row.plan_name,
      items: items.map((item) => ({
        ...presentResult(item),
        status: item.status === 'pending' && status === 'skipped' ? 'skipped' : item.status,
        repair_order_code: item.repair_order_code,
      })),
    };
  }

  /**
   * Records results item by item (a technician on orders assigned to them; supervisors and
   * administrators on their sites). Every entry is checked before anything is written. A
   * failed item opens a repair order, once per item per inspection.
   */
  async record(actor: Actor, id: number, body: ResultsBody) {
    const inspection = await this.inspectionWithOrder(id);
    mayRead(actor, inspection.site);
    if (inspection.order_id === null) {
      throw new PreventiveError(
        409,
        `id: inspection ${id} has no order (${inspection.missed_reason ?? 'missed'})`,
      );
    }
    const order = (await this.orders.get(inspection.order_id)) as WorkOrderRow;
    await this.mayRecord(actor, order);
    if ((CLOSED_ORDER_STATUSES as readonly string[]).includes(order.status)) {
      throw new PreventiveError(409, `id: ${order.code} is ${order.status}; its inspection is final`);
    }
    const rows = await this.db
      .selectFrom('inspection_results')
      .selectAll()
      .where('inspection_id', '=', id)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const judged: Array<{ row: ResultRow; judgement: Judgement; note: string | null }> = [];
    for (const [i, entry] of body.results.entries()) {
      const row = byId.get(entry.item_id);
      if (!row)
        throw new PreventiveError(400, `results.${i}.item_id: no item ${entry.item_id} in inspection ${id}`);
      const item = JSON.parse(row.spec) as ChecklistItem;
      const live = (point: string) => (row.device ? this.readCounter(row.device, point) : null);
      const judgement = judge(item, entry, live);
      if ('error' in judgement) {
        throw new PreventiveError(
          400,
          `results.${i}.${judgement.error.field}: ${judgement.error.message} ("${row.label}")`,
        );
      }
      if (judgement.attachmentId !== null) {
        const attachment = await this.db
          .selectFrom('work_order_attachments')
          .select('id')
          .where('id', '=', judgement.attachmentId)
          .where('order_id', '=', order.id)
          .executeTakeFirst();
        if (!attachment) {
          throw new PreventiveError(
            400,
            `results.${i}.attachment_id: no attachment ${judgement.attachmentId} on ${order.code}`,
          );
        }
      }
      judged.push({ row, judgement, note: entry.note ?? null });
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.orders.inTransaction((trx) => this.writeResults(trx, actor, inspection, order, judged));
        break;
      } catch (err) {
        // Two people failing the same item at once: the second finds the first's repair order.
        if (!(isUniqueViolation(err) || err instanceof RepairRace) || attempt >= 2) throw err;
      }
    }
    return this.get(actor, id);
  }

  private async mayRecord(actor: Actor, order: WorkOrderRow): Promise<void> {
    if (actor.role === 'admin' || actor.role === 'supervisor') return;
    if (actor.role !== 'technician')
      throw new PreventiveError(403, `role ${actor.role} may not record inspection results`);
    if (order.assignee === actor.username) return;
    const co = await this.db
      .selectFrom('work_order_assignees')
      .select('username')
      .where('order_id', '=', order.id)
      .where('username', '=', actor.username)
      .executeTakeFirst();
    if (!co) throw new PreventiveError(403, `id: ${order.code} is not assigned to ${actor.username}`);
  }

  private async writeResults(
    trx: Transaction<Database>,
    actor: Actor,
    inspection: InspectionRow & { plan_name: string },
    order: WorkOrderRow,
    judged: Array<{ row: ResultRow; judgement: Judgement; note: string | null }>,
  ): Promise<void> {
    const ts = this.now();
    const failed: string[] = [];
    for (const { row, judgement, note } of judged) {
      await trx
        .updateTable('inspection_results')
        .set({
          status: judgement.status,
          value: judgement.value,
          attachment_id: judgement.attachmentId,
          live_value: judgement.liveValue,
          note,
          recorded_at: ts,
          recorded_by: actor.username,
        })
        .where('id', '=', row.id)
        .execute();
      if (judgement.status !== 'fail') continue;
      failed.push(`${row.object_name}: ${row.label}`);
      const current = await trx
        .selectFrom('inspection_results')
        .select('repair_order_id')
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      if (current.repair_order_id !== null) continue;
      const object = await trx
        .selectFrom('inspection_objects')
        .selectAll()
        .where('id', '=', row.object_id)
        .executeTakeFirst();
      const repair = await this.orders.create(
        {
          source: 'preventive',
          kind: 'corrective',
          site: inspection.site,
          building: object?.building ?? null,
          location: object?.location ?? null,
          device: row.device,
          title: `Repair: ${row.object_name}: ${row.label}`,
          problemType: object?.problem_type ?? 'inspection',
          priority: Math.max(1, order.priority - 1),
          severity: 'warning',
          description: judgement.reason ?? '',
          planId: inspection.plan_id,
          incidentKey: `inspection/${inspection.id}/item/${row.id}`,
          evidence: {
            inspection: {
              id: inspection.id,
              order_id: order.id,
              order_code: order.code,
              plan_id: inspection.plan_id,
            },
            item: {
              id: row.id,
              key: row.item_key,
              object_id: row.object_id,
              object: row.object_name,
              ...JSON.parse(row.spec),
            },
            value: judgement.value,
            ...(judgement.liveValue !== null ? { live_value: judgement.liveValue } : {}),
            reason: judgement.reason,
            note,
            recorded_by: actor.username,
            recorded_at: ts,
          },
          actor: actor.username,
          ts,
        },
        trx,
      );
      const claimed = await trx
        .updateTable('inspection_results')
        .set({ repair_order_id: repair.id })
        .where('id', '=', row.id)
        .where('repair_order_id', 'is', null)
        .executeTakeFirst();
      // Someone else's repair order got there first: undo ours (the retry finds theirs).
      if (Number(claimed.numUpdatedRows) === 0) throw new RepairRace();
      await this.orders.event(trx, order.id, ts, actor.username, 'repair_opened', null, null, {
        inspection_id: inspection.id,
        item_id: row.id,
        repair_order_id: repair.id,
      });
    }
    const counts = await trx
      .selectFrom('inspection_results')
      .select((eb) => [
        eb.fn.countAll<number>().filterWhere('status', '!=', 'pending').as('answered'),
        eb.fn.countAll<number>().filterWhere('status', '=', 'fail').as('failed'),
      ])
      .where('inspection_id', '=', inspection.id)
      .executeTakeFirstOrThrow();
    const answered = Number(counts.answered);
    await trx
      .updateTable('inspections')
      .set({
        answered_count: answered,
        failed_count: Number(counts.failed),
        completed_at: answered >= inspection.item_count ? (inspection.completed_at ?? ts) : null,
        updated_at: ts,
      })
      .where('id', '=', inspection.id)
      .execute();
    await this.orders.event(trx, order.id, ts, actor.username, 'inspection_results', null, null, {
      inspection_id: inspection.id,
      items: judged.map((j) => j.row.id),
      failed,
      answered,
      of: inspection.item_count,
    });
  }

  /** Cancels an occurrence: its order is cancelled and its unanswered items count as skipped. */
  async cancel(actor: Actor, id: number, reason: string) {
    const inspection = await this.inspectionWithOrder(id);
    mayPlan(actor, inspection.site);
    if (inspection.order_id === null)
      throw new PreventiveError(409, `id: inspection ${id} has no order to cancel`);
    if ((CLOSED_ORDER_STATUSES as readonly string[]).includes(inspection.order_status ?? '')) {
      throw new PreventiveError(409, `id: ${inspection.order_code} is already ${inspection.order_status}`);
    }
    await this.orders.cancel(inspection.order_id, 'occurrence_cancelled', actor.username, this.now(), {
      why: reason,
      inspection_id: id,
    });
    return this.get(actor, id);
  }

  // ---------------------------------------------------------------- report

  /**
   * A plan's occurrences in [from, to) (by occurrence time) and how each went, judged now:
   * done on time (every item answered by the due time), done late, open (within its window),
   * overdue (past due, not done), skipped (its order closed or cancelled with items unanswered,
   * or missed). Compliance is done on time over the occurrences already judged (all but open).
   */
  async report(actor: Actor, planId: number, from: number, to: number): Promise<PlanReport> {
    const plan = await this.db
      .selectFrom('preventive_plans')
      .select(['id', 'name', 'site', 'archived_at'])
      .where('id', '=', planId)
      .executeTakeFirst();
    if (!plan || plan.archived_at !== null) throw new PreventiveError(404, `id: no plan ${planId}`);
    mayRead(actor, plan.site);
    const now = this.now();
    const zone = this.zoneOf(plan.site);
    const rows = await this.db
      .selectFrom('inspections as i')
      .leftJoin('work_orders as o', 'o.id', 'i.order_id')
      .selectAll('i')
      .select(['o.code as order_code', 'o.status as order_status'])
      .where('i.plan_id', '=', planId)
      .where('i.occurrence_at', '>=', from)
      .where('i.occurrence_at', '<', to)
      .orderBy('i.occurrence_at')
      .execute();
    const failedRows =
      rows.length === 0
        ? []
        : await this.db
            .selectFrom('inspection_results as r')
            .leftJoin('work_orders as w', 'w.id', 'r.repair_order_id')
            .selectAll('r')
            .select('w.code as repair_order_code')
            .where(
              'r.inspection_id',
              'in',
              rows.map((r) => r.id),
            )
            .where('r.status', '=', 'fail')
            .orderBy('r.inspection_id')
            .orderBy('r.id')
            .execute();
    const occurrences = rows.map((r) => {
      const status = inspectionStatus(r, r.order_status, now);
      const outcome =
        status === 'done'
          ? (r.completed_at ?? 0) <= r.due_at
            ? ('done_on_time' as const)
            : ('done_late' as const)
          : status;
      return {
        inspection_id: r.id,
        occurrence: r.occurrence,
        occurrence_at: r.occurrence_at,
        due_at: r.due_at,
        order_code: r.order_code,
        order_status: r.order_status,
        status: outcome,
        completed_at: r.completed_at,
        items: r.item_count,
        answered: r.answered_count,
        failed: r.failed_count,
        missed_reason: r.missed_reason,
      };
    });
    const count = (s: string) => occurrences.filter((o) => o.status === s).length;
    const judgedCount = occurrences.length - count('open');
    const byInspection = new Map(rows.map((r) => [r.id, r]));
    const failedItems = failedRows.map((f) => {
      const spec = JSON.parse(f.spec) as ChecklistItem;
      return {
        inspection_id: f.inspection_id,
        occurrence_at: byInspection.get(f.inspection_id)?.occurrence_at ?? null,
        object: f.object_name,
        device: f.device,
        item: f.item_key,
        label: f.label,
        type: f.type,
        value: f.value,
        unit: 'unit' in spec ? (spec.unit ?? null) : null,
        min: 'min' in spec ? (spec.min ?? null) : null,
        max: 'max' in spec ? (spec.max ?? null) : null,
        live_value: f.live_value,
        note: f.note,
        recorded_at: f.recorded_at,
        recorded_by: f.recorded_by,
        repair_order_id: f.repair_order_id,
        repair_order_code: f.repair_order_code,
      };
    });
    return {
      plan: { id: plan.id, name: plan.name, site: plan.site, timezone: zone },
      from,
      to,
      generated_at: now,
      figures: {
        due: occurrences.length,
        done_on_time: count('done_on_time'),
        done_late: count('done_late'),
        open: count('open'),
        overdue: count('overdue'),
        skipped: count('skipped'),
        failed_items: failedItems.length,
        compliance: judgedCount === 0 ? null : Number((count('done_on_time') / judgedCount).toFixed(4)),
      },
      occurrences,
      failed_items: failedItems,
    };
  }
}

function presentInspection(
  row: InspectionRow & {
    order_code: string | null;
    order_status: string | null;
    order_assignee: string | null;
  },
  now: number,
) {
  const status = inspectionStatus(row, row.order_status, now);
  return {
    id: row.id,
    plan_id: row.plan_id,
    occurrence: row.occurrence,
    occurrence_at: row.occurrence_at,
    due_at: row.due_at,
    site: row.site,
    status,
    order:
      row.order_id === null
        ? null
        : { id: row.order_id, code: row.order_code, status: row.order_status, assignee: row.order_assignee },
    missed_reason: row.missed_reason,
    item_count: row.item_count,
    answered_count: row.answered_count,
    failed_count: row.failed_count,
    completed_at: row.completed_at,
  };
}

function presentResult(row: ResultRow) {
  return { ...row, spec: JSON.parse(row.spec) as ChecklistItem };
}
