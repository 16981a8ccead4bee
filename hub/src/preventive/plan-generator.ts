import type { Logger } from '@caretaker/protocol/log';
import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { LiveStateService } from '../services/live-state.service.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import type { ChecklistItem } from './checklist.js';
import type { AssignTo } from './preventive.inputs.js';
import {
  advanceCounter,
  CalendarSchedule,
  type CalendarScheduleInput,
  localDay,
  type UsageSchedule,
  usageDue,
} from './schedule.js';
import type { InspectionObjectRow, PlanRow, PreventivePlansTable } from './schema.js';

/** The plan was edited while an occurrence was being generated: that generation is undone. */
class PlanChanged extends Error {}

/** The name plan-generated changes are recorded under. */
const PLAN_ACTOR = 'plan';
/** How many occurrences one plan may generate in one tick; the rest follow on the next ticks. */
const MAX_OCCURRENCES_PER_TICK = 50;
/** A usage plan's progress is written when it has grown by this share of its interval. */
const USAGE_PERSIST_SHARE = 0.01;
/** How often site timezones are read again (sites change rarely). */
const SITES_REFRESH_MS = 60_000;

export interface PlanGeneratorOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  now: () => number;
  log?: Logger;
  /** The latest good value of a device's point (the hub's live state), or null. */
  readCounter: (device: string, point: string) => number | null;
  /** Timezone of sites the sites table does not list. */
  defaultTimezone: string;
}

interface Occurrence {
  key: string;
  at: number;
  dueAt: number;
  missed: string | null;
  evidence: Record<string, unknown>;
}

type PlanUpdate = Partial<
  Pick<
    PreventivePlansTable,
    'next_due_at' | 'usage_last_raw' | 'usage_total' | 'usage_at_last' | 'usage_count' | 'last_generated_at'
  >
>;

interface ChecklistEntry {
  object: InspectionObjectRow;
  items: ChecklistItem[];
}

type Db = Kysely<Database> | Transaction<Database>;

export function assignOf(plan: Pick<PlanRow, 'assign_kind' | 'assign_to'>): AssignTo | null {
  if (!plan.assign_kind || plan.assign_to === null) return null;
  if (plan.assign_kind === 'technician') return { technician: plan.assign_to };
  if (plan.assign_kind === 'skill') return { skill: plan.assign_to };
  return { contractor: plan.assign_to };
}

/** Counters from the hub's live state: a point's latest value when it is good and numeric. */
export function liveCounterReader(
  live: Pick<LiveStateService, 'get'>,
): (device: string, point: string) => number | null {
  return (device, point) => {
    const latest = live.get(device)?.latest[point];
    if (latest?.quality !== 'good') return null;
    return typeof latest.value === 'number' && Number.isFinite(latest.value) ? latest.value : null;
  };
}

/**
 * Generates each due occurrence of the active plans: calendar plans whose next due time has
 * passed, usage plans whose counter grew by their interval. It keeps the active plans in
 * memory, so a tick with nothing due makes no query (counters come from live state).
 *
 * Generation is idempotent: an occurrence is an inspection row unique per plan and occurrence,
 * created in the same transaction as its order and the plan's next due time, so a restart, a
 * retry or a second hub never makes a second order for it.
 */
export class PlanGenerator {
  private readonly db: Kysely<Database>;
  private readonly orders: WorkOrderService;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private readonly readCounter: (device: string, point: string) => number | null;
  private readonly defaultTimezone: string;
  /** Active plans by id, as the tick needs them (the database is the truth; this is a cache). */
  private plans = new Map<number, PlanRow>();
  private readonly calendars = new Map<number, CalendarSchedule>();
  /** usage_total as last written, per usage plan. */
  private readonly persistedUsage = new Map<number, number>();
  private timezones = new Map<string, string>();
  private sitesReadAt = Number.NEGATIVE_INFINITY;
  private loaded = false;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(options: PlanGeneratorOptions) {
    this.db = options.db;
    this.orders = options.orders;
    this.now = options.now;
    this.log = options.log;
    this.readCounter = options.readCounter;
    this.defaultTimezone = options.defaultTimezone;
  }

  /** Loads the plans on first use. */
  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.reload();
  }

  /** The tick's copy of an active plan (its usage progress is newer than the database's). */
  cached(id: number): PlanRow | undefined {
    return this.plans.get(id);
  }

  /**
   * Generates every occurrence that is due at `now`: calendar plans whose next due time has
   * passed, usage plans whose counter grew by their interval. Cheap when nothing is due (no
   * query: the plans are cached, counters are read from live state). Ticks never overlap.
   */
  tick(now: number = this.now()): Promise<void> {
    if (this.ticking) return this.ticking;
    if (this.stopped) return Promise.resolve();
    this.ticking = this.runTick(now).finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** No more ticks; resolves once a tick in progress has finished (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.ticking;
  }

  private async runTick(now: number): Promise<void> {
    try {
      if (!this.loaded) await this.reload();
      if (now - this.sitesReadAt > SITES_REFRESH_MS) await this.readSites(now);
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'preventive plans could not be loaded');
      return;
    }
    for (const plan of [...this.plans.values()]) {
      try {
        if (plan.schedule_kind === 'calendar') await this.tickCalendar(plan, now);
        else await this.tickUsage(plan, now);
      } catch (err) {
        // One plan failing never stops the others; it is retried on the next tick (an edited
        // plan at once, under its new schedule).
        if (!(err instanceof PlanChanged)) {
          this.log?.error(
            { err: (err as Error).message, plan: plan.id },
            'preventive plan generation failed',
          );
        }
        await this.refresh(plan.id).catch(() => undefined);
      }
    }
  }

  private async tickCalendar(plan: PlanRow, now: number): Promise<void> {
    const schedule = this.calendarOf(plan);
    for (let n = 0; n < MAX_OCCURRENCES_PER_TICK; n += 1) {
      const at = plan.next_due_at;
      if (at === null || at > now) return;
      const next = schedule.next(at);
      const dueAt = at + plan.window_ms;
      // An occurrence whose whole window passed while the hub was not running is recorded as
      // missed (skipped in reports), not handed out late as if it were new.
      const missed = dueAt < now ? 'the hub was not running during its window' : null;
      await this.generate(
        plan,
        {
          key: new Date(at).toISOString(),
          at,
          dueAt,
          missed,
          evidence: { rrule: schedule.rrule, timezone: schedule.zone },
        },
        { next_due_at: next },
        now,
      );
    }
  }

  private async tickUsage(plan: PlanRow, now: number): Promise<void> {
    const schedule = JSON.parse(plan.schedule) as UsageSchedule;
    const raw = this.readCounter(schedule.device, schedule.point);
    if (raw === null || raw === plan.usage_last_raw) return;
    const next = advanceCounter({ lastRaw: plan.usage_last_raw, total: plan.usage_total }, raw);
    const used = next.total - plan.usage_at_last;
    if (usageDue(used, schedule.every)) {
      const count = plan.usage_count + 1;
      await this.generate(
        plan,
        {
          key: `u${count}`,
          at: now,
          dueAt: now + plan.window_ms,
          missed: null,
          evidence: {
            counter: {
              device: schedule.device,
              point: schedule.point,
              value: raw,
              every: schedule.every,
              used_since_last: Number(used.toFixed(6)),
              ...(schedule.unit ? { unit: schedule.unit } : {}),
            },
          },
        },
        {
          usage_last_raw: next.lastRaw,
          usage_total: next.total,
          usage_at_last: next.total,
          usage_count: count,
        },
        now,
      );
      return;
    }
    const first = plan.usage_last_raw === null;
    plan.usage_last_raw = next.lastRaw;
    plan.usage_total = next.total;
    const persisted = this.persistedUsage.get(plan.id) ?? 0;
    // Progress is written now and then, not every second: after a restart the counter's
    // latest value (restored from the store) makes up the difference.
    if (first || next.reset || next.total - persisted >= schedule.every * USAGE_PERSIST_SHARE) {
      await this.updatePlanState(this.db, plan, { usage_last_raw: next.lastRaw, usage_total: next.total });
      this.persistedUsage.set(plan.id, next.total);
      if (next.reset)
        this.log?.info({ plan: plan.id, value: raw }, 'usage counter went down: counting resumes from it');
    }
  }

  /**
   * One occurrence: its inspection (unique per plan and occurrence), its order (unless
   * missed), one result row per checklist item, and the plan's new state, in one transaction.
   */
  private async generate(plan: PlanRow, occ: Occurrence, update: PlanUpdate, now: number): Promise<void> {
    const planState = { ...update, last_generated_at: now };
    try {
      await this.orders.inTransaction(async (trx) => {
        const checklist = await this.checklistOf(trx, plan);
        const itemCount = checklist.reduce((n, c) => n + c.items.length, 0);
        const inserted = await trx
          .insertInto('inspections')
          .values({
            plan_id: plan.id,
            occurrence: occ.key,
            occurrence_at: occ.at,
            due_at: occ.dueAt,
            site: plan.site,
            order_id: null,
            missed_reason: occ.missed ?? (itemCount === 0 ? 'the checklist is empty' : null),
            item_count: itemCount,
            answered_count: 0,
            failed_count: 0,
            completed_at: null,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const inspectionId = Number(inserted.id);
        if (occ.missed === null && itemCount > 0) {
          const orderId = await this.createOrder(trx, plan, occ, inspectionId, checklist, now);
          await trx
            .updateTable('inspections')
            .set({ order_id: orderId })
            .where('id', '=', inspectionId)
            .execute();
        }
        const rows = checklist.flatMap(({ object, items }) =>
          items.map((item, position) => ({
            inspection_id: inspectionId,
            object_id: object.id,
            object_name: object.name,
            device: object.device,
            position,
            item_key: item.key,
            label: item.label,
            type: item.type,
            spec: JSON.stringify(item),
            status: 'pending' as const,
          })),
        );
        if (rows.length > 0) await trx.insertInto('inspection_results').values(rows).execute();
        await this.updatePlanState(trx, plan, planState);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // Already generated (before a restart, or by another hub): only the plan moves on.
      await this.updatePlanState(this.db, plan, update);
      Object.assign(plan, update);
      return;
    }
    Object.assign(plan, planState);
    if (update.usage_total !== undefined) this.persistedUsage.set(plan.id, update.usage_total);
    this.log?.info(
      { plan: plan.id, occurrence: occ.key, missed: occ.missed ?? undefined },
      occ.missed ? 'preventive occurrence missed' : 'preventive order generated',
    );
  }

  /**
   * Writes the schedule state of a plan as the tick saw it; refused (PlanChanged) when someone
   * edited the plan meanwhile, so a generation under the old schedule never lands.
   */
  private async updatePlanState(db: Db, plan: PlanRow, state: PlanUpdate): Promise<void> {
    const result = await db
      .updateTable('preventive_plans')
      .set(state)
      .where('id', '=', plan.id)
      .where('updated_at', '=', plan.updated_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new PlanChanged();
  }

  private async createOrder(
    trx: Transaction<Database>,
    plan: PlanRow,
    occ: Occurrence,
    inspectionId: number,
    checklist: ChecklistEntry[],
    now: number,
  ): Promise<number> {
    const devices = [
      ...new Set(checklist.map((c) => c.object.device).filter((d): d is string => d !== null)),
    ];
    const single = checklist.length === 1 ? checklist[0]?.object : undefined;
    const assign = assignOf(plan);
    const zone = this.zoneOf(plan.site);
    const order = await this.orders.create(
      {
        source: 'preventive',
        kind: 'preventive',
        site: plan.site,
        building: single?.building ?? null,
        location: single?.location ?? null,
        device: devices.length === 1 ? (devices[0] ?? null) : null,
        title: `${plan.name} (${plan.schedule_kind === 'usage' ? `#${occ.key.slice(1)}` : localDay(occ.at, zone)})`,
        problemType: plan.problem_type,
        priority: plan.priority,
        severity: 'info',
        description: plan.description,
        planId: plan.id,
        incidentKey: `plan/${plan.id}/${occ.key}`,
        evidence: {
          plan: { id: plan.id, name: plan.name, schedule: plan.schedule_kind },
          occurrence: occ.key,
          occurrence_at: occ.at,
          due_at: occ.dueAt,
          inspection_id: inspectionId,
          objects: checklist.map((c) => ({
            id: c.object.id,
            name: c.object.name,
            device: c.object.device,
            items: c.items.length,
          })),
          ...(assign ? { assign_to: assign } : {}),
          ...('skill' in (assign ?? {}) ? { required_skill: (assign as { skill: string }).skill } : {}),
          ...occ.evidence,
        },
        actor: PLAN_ACTOR,
        ts: now,
      },
      trx,
    );
    await trx
      .updateTable('work_orders')
      .set({
        completion_due_at: occ.dueAt,
        ...(assign && 'technician' in assign ? { assignee: assign.technician } : {}),
      })
      .where('id', '=', order.id)
      .execute();
    if (assign && 'technician' in assign) {
      await trx
        .insertInto('work_order_assignees')
        .values({
          order_id: order.id,
          username: assign.technician,
          role: 'primary',
          added_at: now,
          added_by: PLAN_ACTOR,
        })
        .execute();
    }
    await this.orders.event(trx, order.id, now, PLAN_ACTOR, 'plan_generated', null, null, {
      plan_id: plan.id,
      occurrence: occ.key,
      inspection_id: inspectionId,
      completion_due_at: occ.dueAt,
      ...(assign ? { assign_to: assign } : {}),
    });
    return order.id;
  }

  private async checklistOf(db: Db, plan: Pick<PlanRow, 'id' | 'template_id'>): Promise<ChecklistEntry[]> {
    const objects =
      plan.template_id !== null
        ? await db
            .selectFrom('inspection_template_objects as m')
            .innerJoin('inspection_objects as o', 'o.id', 'm.object_id')
            .selectAll('o')
            .where('m.template_id', '=', plan.template_id)
            .orderBy('m.position')
            .execute()
        : await db
            .selectFrom('preventive_plan_objects as m')
            .innerJoin('inspection_objects as o', 'o.id', 'm.object_id')
            .selectAll('o')
            .where('m.plan_id', '=', plan.id)
            .orderBy('m.position')
            .execute();
    return objects.map((object) => ({ object, items: JSON.parse(object.items) as ChecklistItem[] }));
  }

  /** Reads the active plans and site timezones again (at start, and after a failure). */
  async reload(): Promise<void> {
    const rows = await this.db
      .selectFrom('preventive_plans')
      .selectAll()
      .where('active', '=', 1)
      .where('archived_at', 'is', null)
      .execute();
    this.plans = new Map(rows.map((r) => [r.id, r]));
    this.calendars.clear();
    for (const r of rows) this.persistedUsage.set(r.id, r.usage_total);
    await this.readSites(this.now());
    this.loaded = true;
  }

  private async readSites(now: number): Promise<void> {
    const sites = await this.db.selectFrom('sites').select(['id', 'timezone']).execute();
    const timezones = new Map(sites.map((s) => [s.id, s.timezone]));
    const changed = [...timezones].some(([site, zone]) => this.timezones.get(site) !== zone);
    this.timezones = timezones;
    // Calendars compiled in a site's old timezone are compiled again.
    if (changed) this.calendars.clear();
    this.sitesReadAt = now;
  }

  /** Reads one plan again after it changed (created, edited, archived). */
  async refresh(id: number): Promise<void> {
    const row = await this.db
      .selectFrom('preventive_plans')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    this.calendars.delete(id);
    if (row && row.active === 1 && row.archived_at === null) {
      this.plans.set(id, row);
      this.persistedUsage.set(id, row.usage_total);
    } else {
      this.plans.delete(id);
    }
  }

  /** A site's timezone (the sites table), or the default. */
  zoneOf(site: string): string {
    return this.timezones.get(site) ?? this.defaultTimezone;
  }

  private calendarOf(plan: PlanRow): CalendarSchedule {
    let schedule = this.calendars.get(plan.id);
    if (!schedule) {
      schedule = new CalendarSchedule(
        JSON.parse(plan.schedule) as CalendarScheduleInput & { starts: string },
        this.zoneOf(plan.site),
      );
      this.calendars.set(plan.id, schedule);
    }
    return schedule;
  }
}
