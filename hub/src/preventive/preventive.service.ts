import { formatDuration } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { readYamlFile, validateFile } from '@caretaker/protocol/yaml-file';
import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { isUniqueViolation } from '../db/database.js';
import { CLOSED_ORDER_STATUSES, type Database, type WorkOrderRow } from '../db/schema.js';
import { type Actor, type ActorRole, canSeeSite } from '../people/actor.js';
import type { LiveStateService } from '../services/live-state.service.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { type ChecklistItem, type Judgement, judge } from './checklist.js';
import {
  type AssignTo,
  type InspectionStatus,
  objectInput,
  objectPatch,
  type PlanInput,
  type PlansFile,
  planInput,
  planPatch,
  plansFileSchema,
  type ResultsBody,
  templateInput,
  templatePatch,
} from './preventive.inputs.js';
import {
  advanceCounter,
  CalendarSchedule,
  type CalendarScheduleInput,
  DEFAULT_TIMEZONE,
  localDay,
  type Schedule,
  type UsageSchedule,
  usageDue,
} from './schedule.js';
import type {
  InspectionObjectRow,
  InspectionRow,
  PlanRow,
  PreventivePlansTable,
  ResultRow,
} from './schema.js';

/** A refusal the API reports as it is: the status and `field: what is wrong`. */
export class PreventiveError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** The plan was edited while an occurrence was being generated: that generation is undone. */
class PlanChanged extends Error {}

/** Another recording opened the item's repair order first: the transaction is retried. */
class RepairRace extends Error {}

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

/** The name plan-generated changes are recorded under. */
const PLAN_ACTOR = 'plan';
/** How many occurrences one plan may generate in one tick; the rest follow on the next ticks. */
const MAX_OCCURRENCES_PER_TICK = 50;
/** A usage plan's progress is written when it has grown by this share of its interval. */
const USAGE_PERSIST_SHARE = 0.01;
/** How often site timezones are read again (sites change rarely). */
const SITES_REFRESH_MS = 60_000;

export interface PreventiveServiceOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  now?: () => number;
  log?: Logger;
  /** The latest good value of a device's point (the hub's live state), or null. */
  readCounter?: (device: string, point: string) => number | null;
  /** Timezone of sites the sites table does not list. */
  defaultTimezone?: string;
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

function assignOf(plan: Pick<PlanRow, 'assign_kind' | 'assign_to'>): AssignTo | null {
  if (!plan.assign_kind || plan.assign_to === null) return null;
  if (plan.assign_kind === 'technician') return { technician: plan.assign_to };
  if (plan.assign_kind === 'skill') return { skill: plan.assign_to };
  return { contractor: plan.assign_to };
}

function assignColumns(assign: AssignTo | null): Pick<PlanRow, 'assign_kind' | 'assign_to'> {
  if (!assign) return { assign_kind: null, assign_to: null };
  if ('technician' in assign) return { assign_kind: 'technician', assign_to: assign.technician };
  if ('skill' in assign) return { assign_kind: 'skill', assign_to: assign.skill };
  return { assign_kind: 'contractor', assign_to: assign.contractor };
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

/**
 * Preventive maintenance: inspection objects (a device or a place and its checklist),
 * templates grouping them, and plans that generate one work order per due occurrence, by
 * calendar or by a device's usage counter. Each order carries an inspection with one row per
 * checklist item; results are recorded item by item and a failed item opens one repair order.
 *
 * Generation is idempotent: an occurrence is an inspection row unique per plan and occurrence,
 * created in the same transaction as its order and the plan's next due time, so a restart, a
 * retry or a second hub never makes a second order for it.
 */
export class PreventiveService {
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

  constructor(options: PreventiveServiceOptions) {
    this.db = options.db;
    this.orders = options.orders;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.readCounter = options.readCounter ?? (() => null);
    this.defaultTimezone = options.defaultTimezone ?? DEFAULT_TIMEZONE;
  }

  // ---------------------------------------------------------------- generation

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
        await this.refreshPlan(plan.id).catch(() => undefined);
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

  private async refreshPlan(id: number): Promise<void> {
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

  private zoneOf(site: string): string {
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

  // ---------------------------------------------------------------- access

  private mayRead(actor: Actor, site?: string): void {
    if (!READERS.includes(actor.role))
      throw new PreventiveError(403, `role ${actor.role} may not read plans`);
    if (site !== undefined && !canSeeSite(actor, site)) {
      throw new PreventiveError(403, `site: ${site} is not one of ${actor.username}'s sites`);
    }
  }

  private mayPlan(actor: Actor, site: string): void {
    if (!PLANNERS.includes(actor.role)) {
      throw new PreventiveError(403, `role ${actor.role} may not change objects, templates or plans`);
    }
    if (!canSeeSite(actor, site))
      throw new PreventiveError(403, `site: ${site} is not one of ${actor.username}'s sites`);
  }

  /** The sites to list for an actor: one asked for (checked), or all the actor may see. */
  private siteFilter(actor: Actor, site: string | undefined): readonly string[] | 'all' {
    this.mayRead(actor, site);
    if (site !== undefined) return [site];
    return actor.sites;
  }

  // ---------------------------------------------------------------- objects

  async listObjects(actor: Actor, site?: string) {
    const sites = this.siteFilter(actor, site);
    if (sites !== 'all' && sites.length === 0) return [];
    let q = this.db
      .selectFrom('inspection_objects')
      .selectAll()
      .where('archived_at', 'is', null)
      .orderBy('id');
    if (sites !== 'all') q = q.where('site', 'in', sites);
    return (await q.execute()).map(presentObject);
  }

  async getObject(actor: Actor, id: number) {
    const row = await this.objectRow(id);
    this.mayRead(actor, row.site);
    return presentObject(row);
  }

  private async objectRow(id: number, db: Db = this.db) {
    const row = await db.selectFrom('inspection_objects').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.archived_at !== null) throw new PreventiveError(404, `id: no inspection object ${id}`);
    return row;
  }

  async createObject(actor: Actor, body: unknown, key: string | null = null) {
    const input = parse(objectInput, body);
    this.mayPlan(actor, input.site);
    const ts = this.now();
    const row = await this.db
      .insertInto('inspection_objects')
      .values({
        key,
        site: input.site,
        name: input.name,
        device: input.device ?? null,
        building: input.building ?? null,
        location: input.location ?? null,
        problem_type: input.problem_type,
        items: JSON.stringify(input.items),
        created_by: actor.username,
        created_at: ts,
        updated_at: ts,
        archived_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.getObject(actor, Number(row.id));
  }

  async updateObject(actor: Actor, id: number, body: unknown) {
    const patch = parse(objectPatch, body);
    const row = await this.objectRow(id);
    this.mayPlan(actor, row.site);
    const merged = parse(objectInput, {
      site: row.site,
      name: row.name,
      device: row.device,
      building: row.building,
      location: row.location,
      problem_type: row.problem_type,
      items: JSON.parse(row.items),
      ...patch,
    });
    this.mayPlan(actor, merged.site);
    if (merged.site !== row.site) await this.refuseIfUsed(id, 'move it to another site');
    await this.db
      .updateTable('inspection_objects')
      .set({
        site: merged.site,
        name: merged.name,
        device: merged.device ?? null,
        building: merged.building ?? null,
        location: merged.location ?? null,
        problem_type: merged.problem_type,
        items: JSON.stringify(merged.items),
        updated_at: this.now(),
      })
      .where('id', '=', id)
      .execute();
    return this.getObject(actor, id);
  }

  async archiveObject(actor: Actor, id: number): Promise<void> {
    const row = await this.objectRow(id);
    this.mayPlan(actor, row.site);
    await this.refuseIfUsed(id, 'archive it');
    await this.db
      .updateTable('inspection_objects')
      .set({ archived_at: this.now() })
      .where('id', '=', id)
      .execute();
  }

  private async refuseIfUsed(objectId: number, what: string): Promise<void> {
    const templates = await this.db
      .selectFrom('inspection_template_objects as m')
      .innerJoin('inspection_templates as t', 't.id', 'm.template_id')
      .select(['t.id', 't.name'])
      .where('m.object_id', '=', objectId)
      .where('t.archived_at', 'is', null)
      .execute();
    const plans = await this.db
      .selectFrom('preventive_plan_objects as m')
      .innerJoin('preventive_plans as p', 'p.id', 'm.plan_id')
      .select(['p.id', 'p.name'])
      .where('m.object_id', '=', objectId)
      .where('p.archived_at', 'is', null)
      .execute();
    const users = [
      ...templates.map((t) => `template ${t.id} "${t.name}"`),
      ...plans.map((p) => `plan ${p.id} "${p.name}"`),
    ];
    if (users.length > 0) throw new PreventiveError(409, `id: cannot ${what}: used by ${users.join(', ')}`);
  }

  /** Checks that every object exists, is live and is on `site`; `field` names the input. */
  private async checkObjects(ids: readonly number[], site: string, field: string): Promise<void> {
    const rows = await this.db
      .selectFrom('inspection_objects')
      .select(['id', 'site', 'archived_at'])
      .where('id', 'in', [...ids])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    ids.forEach((id, i) => {
      const row = byId.get(id);
      if (!row || row.archived_at !== null)
        throw new PreventiveError(400, `${field}.${i}: no inspection object ${id}`);
      if (row.site !== site)
        throw new PreventiveError(400, `${field}.${i}: object ${id} is on site ${row.site}, not ${site}`);
    });
  }

  // ---------------------------------------------------------------- templates

  async listTemplates(actor: Actor, site?: string) {
    const sites = this.siteFilter(actor, site);
    if (sites !== 'all' && sites.length === 0) return [];
    let q = this.db
      .selectFrom('inspection_templates')
      .selectAll()
      .where('archived_at', 'is', null)
      .orderBy('id');
    if (sites !== 'all') q = q.where('site', 'in', sites);
    const rows = await q.execute();
    const members = await this.members(
      'inspection_template_objects',
      rows.map((r) => r.id),
    );
    return rows.map((r) => presentTemplate(r, members.get(r.id) ?? []));
  }

  async getTemplate(actor: Actor, id: number) {
    const row = await this.templateRow(id);
    this.mayRead(actor, row.site);
    const members = await this.members('inspection_template_objects', [id]);
    return presentTemplate(row, members.get(id) ?? []);
  }

  private async templateRow(id: number) {
    const row = await this.db
      .selectFrom('inspection_templates')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.archived_at !== null) throw new PreventiveError(404, `id: no inspection template ${id}`);
    return row;
  }

  /** The objects of templates or plans, in order, by owner id. */
  private async members(
    table: 'inspection_template_objects' | 'preventive_plan_objects',
    ids: number[],
  ): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (ids.length === 0) return out;
    const rows =
      table === 'inspection_template_objects'
        ? await this.db
            .selectFrom('inspection_template_objects')
            .select(['template_id as owner', 'object_id'])
            .where('template_id', 'in', ids)
            .orderBy('position')
            .execute()
        : await this.db
            .selectFrom('preventive_plan_objects')
            .select(['plan_id as owner', 'object_id'])
            .where('plan_id', 'in', ids)
            .orderBy('position')
            .execute();
    for (const r of rows) out.set(r.owner, [...(out.get(r.owner) ?? []), r.object_id]);
    return out;
  }

  async createTemplate(actor: Actor, body: unknown, key: string | null = null) {
    const input = parse(templateInput, body);
    this.mayPlan(actor, input.site);
    await this.checkObjects(input.object_ids, input.site, 'object_ids');
    const ts = this.now();
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('inspection_templates')
        .values({
          key,
          site: input.site,
          name: input.name,
          description: input.description,
          created_by: actor.username,
          created_at: ts,
          updated_at: ts,
          archived_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const templateId = Number(row.id);
      await trx
        .insertInto('inspection_template_objects')
        .values(
          input.object_ids.map((object_id, position) => ({ template_id: templateId, object_id, position })),
        )
        .execute();
      return templateId;
    });
    return this.getTemplate(actor, id);
  }

  async updateTemplate(actor: Actor, id: number, body: unknown) {
    const patch = parse(templatePatch, body);
    const row = await this.templateRow(id);
    this.mayPlan(actor, row.site);
    const current = (await this.members('inspection_template_objects', [id])).get(id) ?? [];
    const merged = parse(templateInput, {
      site: row.site,
      name: row.name,
      description: row.description,
      object_ids: current,
      ...patch,
    });
    this.mayPlan(actor, merged.site);
    await this.checkObjects(merged.object_ids, merged.site, 'object_ids');
    if (merged.site !== row.site) {
      const used = await this.db
        .selectFrom('preventive_plans')
        .select('id')
        .where('template_id', '=', id)
        .where('archived_at', 'is', null)
        .execute();
      if (used.length > 0) throw new PreventiveError(409, 'site: the template is used by plans of its site');
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('inspection_templates')
        .set({
          site: merged.site,
          name: merged.name,
          description: merged.description,
          updated_at: this.now(),
        })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('inspection_template_objects').where('template_id', '=', id).execute();
      await trx
        .insertInto('inspection_template_objects')
        .values(merged.object_ids.map((object_id, position) => ({ template_id: id, object_id, position })))
        .execute();
    });
    return this.getTemplate(actor, id);
  }

  async archiveTemplate(actor: Actor, id: number): Promise<void> {
    const row = await this.templateRow(id);
    this.mayPlan(actor, row.site);
    const plans = await this.db
      .selectFrom('preventive_plans')
      .select(['id', 'name'])
      .where('template_id', '=', id)
      .where('archived_at', 'is', null)
      .execute();
    if (plans.length > 0) {
      throw new PreventiveError(
        409,
        `id: cannot archive it: used by ${plans.map((p) => `plan ${p.id} "${p.name}"`).join(', ')}`,
      );
    }
    await this.db
      .updateTable('inspection_templates')
      .set({ archived_at: this.now() })
      .where('id', '=', id)
      .execute();
  }

  // ---------------------------------------------------------------- plans

  async listPlans(actor: Actor, site?: string) {
    const sites = this.siteFilter(actor, site);
    if (sites !== 'all' && sites.length === 0) return [];
    let q = this.db.selectFrom('preventive_plans').selectAll().where('archived_at', 'is', null).orderBy('id');
    if (sites !== 'all') q = q.where('site', 'in', sites);
    const rows = await q.execute();
    const members = await this.members(
      'preventive_plan_objects',
      rows.map((r) => r.id),
    );
    return rows.map((r) => this.presentPlan(r, members.get(r.id) ?? null));
  }

  async getPlan(actor: Actor, id: number) {
    const row = await this.planRow(id);
    this.mayRead(actor, row.site);
    const members = await this.members('preventive_plan_objects', [id]);
    return this.presentPlan(row, members.get(id) ?? null);
  }

  private async planRow(id: number) {
    const row = await this.db
      .selectFrom('preventive_plans')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.archived_at !== null) throw new PreventiveError(404, `id: no plan ${id}`);
    return row;
  }

  /** Checks a plan's references and works out its schedule state (next due time, counter). */
  private async planState(input: PlanInput, previous?: PlanRow) {
    if (input.template_id != null) {
      const template = await this.db
        .selectFrom('inspection_templates')
        .select(['site', 'archived_at'])
        .where('id', '=', input.template_id)
        .executeTakeFirst();
      if (!template || template.archived_at !== null) {
        throw new PreventiveError(400, `template_id: no inspection template ${input.template_id}`);
      }
      if (template.site !== input.site) {
        throw new PreventiveError(
          400,
          `template_id: template ${input.template_id} is on site ${template.site}, not ${input.site}`,
        );
      }
    }
    if (input.object_ids) await this.checkObjects(input.object_ids, input.site, 'object_ids');
    if (input.assign_to && 'technician' in input.assign_to)
      await this.checkTechnician(input.assign_to.technician, input.site);
    const now = this.now();
    const schedule: Schedule =
      input.schedule.type === 'calendar'
        ? { ...input.schedule, starts: input.schedule.starts ?? localDay(now, this.zoneOf(input.site)) }
        : input.schedule;
    const unchanged =
      previous !== undefined &&
      previous.schedule === JSON.stringify(schedule) &&
      previous.site === input.site;
    if (unchanged) return { schedule, state: {} };
    if (schedule.type === 'calendar') {
      const calendar = new CalendarSchedule(
        schedule as CalendarScheduleInput & { starts: string },
        this.zoneOf(input.site),
      );
      const next = calendar.next(now, true);
      if (next === null) throw new PreventiveError(400, 'schedule: the rule has no occurrence from now on');
      return {
        schedule,
        state: { next_due_at: next, usage_last_raw: null, usage_total: 0, usage_at_last: 0 },
      };
    }
    // A new counter starts from its last service value, or from the first value seen. The
    // occurrence count carries on, so occurrence names stay unique within the plan.
    return {
      schedule,
      state: {
        next_due_at: null,
        usage_last_raw: schedule.last_service_value ?? null,
        usage_total: 0,
        usage_at_last: 0,
      },
    };
  }

  /** A named technician must exist, be a technician and work on the plan's site (when users are kept). */
  private async checkTechnician(username: string, site: string): Promise<void> {
    const users = await this.db
      .selectFrom('users')
      .select(['username', 'role'])
      .where('username', '=', username)
      .execute();
    const anyone = await this.db.selectFrom('users').select('username').limit(1).execute();
    // Without a user directory (the demo's anonymous mode) names cannot be checked.
    if (anyone.length === 0) return;
    const user = users[0];
    if (!user) throw new PreventiveError(400, `assign_to.technician: no user ${username}`);
    const sites = await this.db
      .selectFrom('user_sites')
      .select('site')
      .where('username', '=', username)
      .execute();
    if (user.role !== 'admin' && sites.length > 0 && !sites.some((s) => s.site === site)) {
      throw new PreventiveError(400, `assign_to.technician: ${username} does not work on site ${site}`);
    }
  }

  async createPlan(actor: Actor, body: unknown, key: string | null = null) {
    const input = parse(planInput, body);
    this.mayPlan(actor, input.site);
    if (!this.loaded) await this.reload();
    const { schedule, state } = await this.planState(input);
    const ts = this.now();
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('preventive_plans')
        .values({
          key,
          site: input.site,
          name: input.name,
          description: input.description,
          template_id: input.template_id ?? null,
          schedule_kind: schedule.type,
          schedule: JSON.stringify(schedule),
          window_ms: input.window,
          priority: input.priority,
          problem_type: input.problem_type,
          ...assignColumns(input.assign_to),
          active: input.active ? 1 : 0,
          next_due_at: null,
          usage_last_raw: null,
          usage_total: 0,
          usage_at_last: 0,
          usage_count: 0,
          last_generated_at: null,
          created_by: actor.username,
          created_at: ts,
          updated_at: ts,
          archived_at: null,
          ...state,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const planId = Number(row.id);
      if (input.object_ids) {
        await trx
          .insertInto('preventive_plan_objects')
          .values(input.object_ids.map((object_id, position) => ({ plan_id: planId, object_id, position })))
          .execute();
      }
      return planId;
    });
    await this.refreshPlan(id);
    return this.getPlan(actor, id);
  }

  async updatePlan(actor: Actor, id: number, body: unknown) {
    const patch = parse(planPatch, body);
    const row = await this.planRow(id);
    this.mayPlan(actor, row.site);
    const objectIds = (await this.members('preventive_plan_objects', [id])).get(id) ?? null;
    const current = {
      site: row.site,
      name: row.name,
      description: row.description,
      template_id: row.template_id,
      object_ids: objectIds,
      schedule: JSON.parse(row.schedule) as unknown,
      window: `${row.window_ms}ms`,
      priority: row.priority,
      problem_type: row.problem_type,
      assign_to: assignOf(row),
      active: row.active === 1,
    };
    // Choosing a template drops the plan's own list, and the other way round.
    const next = { ...current, ...patch };
    if (patch.template_id != null && patch.object_ids === undefined) next.object_ids = null;
    if (patch.object_ids != null && patch.template_id === undefined) next.template_id = null;
    const input = parse(planInput, next);
    this.mayPlan(actor, input.site);
    if (!this.loaded) await this.reload();
    const { schedule, state } = await this.planState(input, row);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('preventive_plans')
        .set({
          site: input.site,
          name: input.name,
          description: input.description,
          template_id: input.template_id ?? null,
          schedule_kind: schedule.type,
          schedule: JSON.stringify(schedule),
          window_ms: input.window,
          priority: input.priority,
          problem_type: input.problem_type,
          ...assignColumns(input.assign_to),
          active: input.active ? 1 : 0,
          updated_at: this.now(),
          ...state,
        })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('preventive_plan_objects').where('plan_id', '=', id).execute();
      if (input.object_ids) {
        await trx
          .insertInto('preventive_plan_objects')
          .values(input.object_ids.map((object_id, position) => ({ plan_id: id, object_id, position })))
          .execute();
      }
    });
    await this.refreshPlan(id);
    return this.getPlan(actor, id);
  }

  /** Stops a plan for good; its inspections and orders stay. */
  async archivePlan(actor: Actor, id: number): Promise<void> {
    const row = await this.planRow(id);
    this.mayPlan(actor, row.site);
    await this.db
      .updateTable('preventive_plans')
      .set({ archived_at: this.now(), active: 0 })
      .where('id', '=', id)
      .execute();
    await this.refreshPlan(id);
  }

  private presentPlan(stored: PlanRow, objectIds: number[] | null) {
    // A usage plan's progress is written now and then; the tick's copy is the current one.
    const cached = this.plans.get(stored.id);
    const row =
      cached && cached.updated_at === stored.updated_at
        ? { ...stored, usage_last_raw: cached.usage_last_raw, usage_total: cached.usage_total }
        : stored;
    const schedule = JSON.parse(row.schedule) as Schedule;
    const zone = this.zoneOf(row.site);
    const base = {
      id: row.id,
      key: row.key,
      site: row.site,
      name: row.name,
      description: row.description,
      template_id: row.template_id,
      object_ids: row.template_id === null ? objectIds : null,
      schedule,
      timezone: zone,
      window_ms: row.window_ms,
      window: formatDuration(row.window_ms),
      priority: row.priority,
      problem_type: row.problem_type,
      assign_to: assignOf(row),
      active: row.active === 1,
      last_generated_at: row.last_generated_at,
      created_by: row.created_by,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
    if (schedule.type === 'calendar') {
      const calendar = new CalendarSchedule(schedule as CalendarScheduleInput & { starts: string }, zone);
      const upcoming: number[] = [];
      for (let t = row.next_due_at; t !== null && upcoming.length < 3; t = calendar.next(t)) upcoming.push(t);
      return { ...base, rrule: calendar.rrule, next_due_at: row.next_due_at, upcoming };
    }
    const used = row.usage_total - row.usage_at_last;
    return {
      ...base,
      next_due_at: null,
      usage: {
        device: schedule.device,
        point: schedule.point,
        every: schedule.every,
        unit: schedule.unit ?? null,
        last_value: row.usage_last_raw,
        used_since_last: Number(used.toFixed(6)),
        remaining: Number(Math.max(0, schedule.every - used).toFixed(6)),
        occurrences: row.usage_count,
      },
    };
  }

  // ---------------------------------------------------------------- inspections

  async listInspections(
    actor: Actor,
    filter: {
      status?: InspectionStatus;
      site?: string;
      plan?: number;
      from?: number;
      to?: number;
      limit: number;
    },
  ) {
    const sites = this.siteFilter(actor, filter.site);
    if (sites !== 'all' && sites.length === 0) return [];
    const now = this.now();
    const closed = [...CLOSED_ORDER_STATUSES];
    let q = this.db
      .selectFrom('inspections as i')
      .leftJoin('work_orders as o', 'o.id', 'i.order_id')
      .innerJoin('preventive_plans as p', 'p.id', 'i.plan_id')
      .selectAll('i')
      .select([
        'o.code as order_code',
        'o.status as order_status',
        'o.assignee as order_assignee',
        'p.name as plan_name',
      ])
      .orderBy('i.due_at', 'desc')
      .orderBy('i.id', 'desc')
      .limit(filter.limit);
    if (sites !== 'all') q = q.where('i.site', 'in', sites);
    if (filter.plan !== undefined) q = q.where('i.plan_id', '=', filter.plan);
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
    return rows.map((r) => ({
      ...presentInspection(r, now),
      plan_name: r.plan_name,
      skipped_items: skippedItems.get(r.id) ?? [],
    }));
  }

  private async inspectionWithOrder(id: number) {
    const row = await this.db
      .selectFrom('inspections as i')
      .leftJoin('work_orders as o', 'o.id', 'i.order_id')
      .innerJoin('preventive_plans as p', 'p.id', 'i.plan_id')
      .selectAll('i')
      .select([
        'o.code as order_code',
        'o.status as order_status',
        'o.assignee as order_assignee',
        'p.name as plan_name',
      ])
      .where('i.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new PreventiveError(404, `id: no inspection ${id}`);
    return row;
  }

  async getInspection(actor: Actor, id: number) {
    const row = await this.inspectionWithOrder(id);
    this.mayRead(actor, row.site);
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
  async recordResults(actor: Actor, id: number, body: ResultsBody) {
    const inspection = await this.inspectionWithOrder(id);
    this.mayRead(actor, inspection.site);
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
    return this.getInspection(actor, id);
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
  async cancelOccurrence(actor: Actor, id: number, reason: string) {
    const inspection = await this.inspectionWithOrder(id);
    this.mayPlan(actor, inspection.site);
    if (inspection.order_id === null)
      throw new PreventiveError(409, `id: inspection ${id} has no order to cancel`);
    if ((CLOSED_ORDER_STATUSES as readonly string[]).includes(inspection.order_status ?? '')) {
      throw new PreventiveError(409, `id: ${inspection.order_code} is already ${inspection.order_status}`);
    }
    await this.orders.cancel(inspection.order_id, 'occurrence_cancelled', actor.username, this.now(), {
      why: reason,
      inspection_id: id,
    });
    return this.getInspection(actor, id);
  }

  // ---------------------------------------------------------------- report

  /**
   * A plan's occurrences in [from, to) (by occurrence time) and how each went, judged now:
   * done on time (every item answered by the due time), done late, open (within its window),
   * overdue (past due, not done), skipped (its order closed or cancelled with items unanswered,
   * or missed). Compliance is done on time over the occurrences already judged (all but open).
   */
  async report(actor: Actor, planId: number, from: number, to: number) {
    const plan = await this.planRow(planId);
    this.mayRead(actor, plan.site);
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
        status === 'done' ? ((r.completed_at ?? 0) <= r.due_at ? 'done_on_time' : 'done_late') : status;
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

  // ---------------------------------------------------------------- plans file

  /**
   * Creates the objects, templates and plans of a plans file (readPlansFile): each record once,
   * by its key; records already in the database are left as they are (people may have edited
   * them through the API, and a plan keeps its counters).
   */
  async applyPlans(
    data: PlansFile,
    source: string,
    actor: Actor = { username: 'config', role: 'system', sites: 'all' },
  ) {
    const created = { objects: 0, templates: 0, plans: 0 };
    const objectIds = new Map<string, number>();
    const templateIds = new Map<string, number>();
    const known = async (
      table: 'inspection_objects' | 'inspection_templates' | 'preventive_plans',
      key: string,
    ) => (await this.db.selectFrom(table).select('id').where('key', '=', key).executeTakeFirst())?.id;
    const wrap = async <T>(field: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof PreventiveError) throw new Error(`${source}: ${field}: ${err.message}`);
        throw err;
      }
    };
    for (const [i, { key, ...object }] of data.objects.entries()) {
      let id = await known('inspection_objects', key);
      if (id === undefined) {
        id = (await wrap(`objects.${i}`, () => this.createObject(actor, object, key))).id;
        created.objects += 1;
      }
      objectIds.set(key, id);
    }
    const refs = (keys: string[], field: string) =>
      keys.map((k, j) => {
        const id = objectIds.get(k);
        if (id === undefined) throw new Error(`${source}: ${field}.${j}: no object "${k}" in the file`);
        return id;
      });
    for (const [i, { key, objects, ...template }] of data.templates.entries()) {
      let id = await known('inspection_templates', key);
      if (id === undefined) {
        const body = { ...template, object_ids: refs(objects, `templates.${i}.objects`) };
        id = (await wrap(`templates.${i}`, () => this.createTemplate(actor, body, key))).id;
        created.templates += 1;
      }
      templateIds.set(key, id);
    }
    for (const [i, { key, template, objects, window, ...plan }] of data.plans.entries()) {
      if ((await known('preventive_plans', key)) !== undefined) continue;
      const templateId = template === undefined ? undefined : templateIds.get(template);
      if (template !== undefined && templateId === undefined) {
        throw new Error(`${source}: plans.${i}.template: no template "${template}" in the file`);
      }
      const body = {
        ...plan,
        window: `${window}ms`,
        ...(templateId !== undefined ? { template_id: templateId } : {}),
        ...(objects ? { object_ids: refs(objects, `plans.${i}.objects`) } : {}),
      };
      await wrap(`plans.${i}`, () => this.createPlan(actor, body, key));
      created.plans += 1;
    }
    return created;
  }
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new PreventiveError(
    400,
    `${issue?.path.map(String).join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
  );
}

function presentObject(row: InspectionObjectRow) {
  const { archived_at: _archived, items, ...rest } = row;
  return { ...rest, items: JSON.parse(items) as ChecklistItem[] };
}

function presentTemplate(row: { id: number } & Record<string, unknown>, objectIds: number[]) {
  const { archived_at: _archived, ...rest } = row;
  return { ...rest, object_ids: objectIds };
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

/** Reads and validates a plans file (YAML) before anything is opened; errors name the file and field. */
export async function readPlansFile(file: string): Promise<{ data: PlansFile; source: string }> {
  const source = `plans file ${file}`;
  return { data: validateFile(plansFileSchema, await readYamlFile(file, source), source), source };
}
