import { formatDuration, type InspectionObject, type Plan } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Actor } from '../people/actor.js';
import { siteMarkers } from '../people/people.input.js';
import { scopeToSites } from '../people/site-scope.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { mayPlan, mayRead, PreventiveError, parseInput } from './access.js';
import type { ChecklistItem } from './checklist.js';
import { InspectionService, NO_PLAN_STATS } from './inspection.service.js';
import { assignOf, PlanGenerator } from './plan-generator.js';
import { applyPlans } from './plans-file.js';
import {
  type AssignTo,
  objectInput,
  objectPatch,
  type PlanInput,
  type PlansFile,
  planInput,
  planPatch,
  templateInput,
  templatePatch,
} from './preventive.inputs.js';
import {
  CalendarSchedule,
  type CalendarScheduleInput,
  DEFAULT_TIMEZONE,
  localDay,
  type Schedule,
} from './schedule.js';
import type { InspectionObjectRow, PlanRow } from './schema.js';

export { PreventiveError } from './access.js';
export { liveCounterReader } from './plan-generator.js';
export { readPlansFile } from './plans-file.js';

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

type Db = Kysely<Database> | Transaction<Database>;

function assignColumns(assign: AssignTo | null): Pick<PlanRow, 'assign_kind' | 'assign_to'> {
  if (!assign) return { assign_kind: null, assign_to: null };
  if ('technician' in assign) return { assign_kind: 'technician', assign_to: assign.technician };
  if ('skill' in assign) return { assign_kind: 'skill', assign_to: assign.skill };
  return { assign_kind: 'contractor', assign_to: assign.contractor };
}

/** The plan's columns a create and an update both write from the checked input. */
function planColumns(input: PlanInput, schedule: Schedule) {
  return {
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
  };
}

async function insertPlanObjects(db: Db, planId: number, objectIds: number[] | null | undefined) {
  if (!objectIds) return;
  await db
    .insertInto('preventive_plan_objects')
    .values(objectIds.map((object_id, position) => ({ plan_id: planId, object_id, position })))
    .execute();
}

/**
 * Preventive maintenance: inspection objects (a device or a place and its checklist),
 * templates grouping them, and plans that generate one work order per due occurrence, by
 * calendar or by a device's usage counter (PlanGenerator). Each order carries an inspection
 * with one row per checklist item; results are recorded item by item and a failed item opens
 * one repair order (InspectionService).
 */
export class PreventiveService {
  private readonly db: Kysely<Database>;
  private readonly orders: WorkOrderService;
  private readonly now: () => number;
  /** Generates the due occurrences (tick) and keeps the active plans cached for it. */
  readonly generator: PlanGenerator;
  /** The inspections the plans generate: results, statuses, reports. */
  readonly inspections: InspectionService;

  constructor(options: PreventiveServiceOptions) {
    this.db = options.db;
    this.orders = options.orders;
    this.now = options.now ?? Date.now;
    const readCounter = options.readCounter ?? (() => null);
    this.generator = new PlanGenerator({
      db: this.db,
      orders: this.orders,
      now: this.now,
      readCounter,
      defaultTimezone: options.defaultTimezone ?? DEFAULT_TIMEZONE,
      ...(options.log ? { log: options.log } : {}),
    });
    this.inspections = new InspectionService({
      db: this.db,
      orders: this.orders,
      now: this.now,
      readCounter,
      zoneOf: (site) => this.generator.zoneOf(site),
    });
  }

  /**
   * Generates every occurrence due at `now` (from the hub's 1 s sweeper); cheap when nothing
   * is due. See PlanGenerator.
   */
  tick(now: number = this.now()): Promise<void> {
    return this.generator.tick(now);
  }

  /** No more ticks; resolves once a tick in progress has finished. */
  stop(): Promise<void> {
    return this.generator.stop();
  }

  /** Creates what a plans file holds that the database does not have yet (by key). */
  applyPlans(data: PlansFile, source: string, actor?: Actor) {
    return applyPlans(this, this.db, data, source, actor);
  }

  // ---------------------------------------------------------------- objects

  async listObjects(actor: Actor, site?: string) {
    mayRead(actor, site);
    let q = scopeToSites(
      this.db.selectFrom('inspection_objects').selectAll().where('archived_at', 'is', null).orderBy('id'),
      actor,
      'site',
    );
    if (site !== undefined) q = q.where('site', '=', site);
    return (await q.execute()).map(presentObject);
  }

  async getObject(actor: Actor, id: number) {
    const row = await this.objectRow(id);
    mayRead(actor, row.site);
    return presentObject(row);
  }

  private async objectRow(id: number, db: Db = this.db) {
    const row = await db.selectFrom('inspection_objects').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.archived_at !== null) throw new PreventiveError(404, `id: no inspection object ${id}`);
    return row;
  }

  async createObject(actor: Actor, body: unknown, key: string | null = null) {
    const input = parseInput(objectInput, body);
    mayPlan(actor, input.site);
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
    const patch = parseInput(objectPatch, body);
    const row = await this.objectRow(id);
    mayPlan(actor, row.site);
    const merged = parseInput(objectInput, {
      site: row.site,
      name: row.name,
      device: row.device,
      building: row.building,
      location: row.location,
      problem_type: row.problem_type,
      items: JSON.parse(row.items),
      ...patch,
    });
    mayPlan(actor, merged.site);
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
    mayPlan(actor, row.site);
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
    mayRead(actor, site);
    let q = scopeToSites(
      this.db.selectFrom('inspection_templates').selectAll().where('archived_at', 'is', null).orderBy('id'),
      actor,
      'site',
    );
    if (site !== undefined) q = q.where('site', '=', site);
    const rows = await q.execute();
    const members = await this.members(
      'inspection_template_objects',
      rows.map((r) => r.id),
    );
    return rows.map((r) => presentTemplate(r, members.get(r.id) ?? []));
  }

  async getTemplate(actor: Actor, id: number) {
    const row = await this.templateRow(id);
    mayRead(actor, row.site);
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
    const input = parseInput(templateInput, body);
    mayPlan(actor, input.site);
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
    const patch = parseInput(templatePatch, body);
    const row = await this.templateRow(id);
    mayPlan(actor, row.site);
    const current = (await this.members('inspection_template_objects', [id])).get(id) ?? [];
    const merged = parseInput(templateInput, {
      site: row.site,
      name: row.name,
      description: row.description,
      object_ids: current,
      ...patch,
    });
    mayPlan(actor, merged.site);
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
    mayPlan(actor, row.site);
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
    mayRead(actor, site);
    let q = scopeToSites(
      this.db.selectFrom('preventive_plans').selectAll().where('archived_at', 'is', null).orderBy('id'),
      actor,
      'site',
    );
    if (site !== undefined) q = q.where('site', '=', site);
    const rows = await q.execute();
    const members = await this.members(
      'preventive_plan_objects',
      rows.map((r) => r.id),
    );
    const stats = await this.inspections.planStats(rows.map((r) => r.id));
    return rows.map(
      (r) =>
        ({
          ...this.presentPlan(r, members.get(r.id) ?? null),
          stats: stats.get(r.id) ?? NO_PLAN_STATS,
        }) satisfies Plan,
    );
  }

  async getPlan(actor: Actor, id: number) {
    const row = await this.planRow(id);
    mayRead(actor, row.site);
    const members = await this.members('preventive_plan_objects', [id]);
    const stats = await this.inspections.planStats([id]);
    return {
      ...this.presentPlan(row, members.get(id) ?? null),
      stats: stats.get(id) ?? NO_PLAN_STATS,
    } satisfies Plan;
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
        ? {
            ...input.schedule,
            starts: input.schedule.starts ?? localDay(now, this.generator.zoneOf(input.site)),
          }
        : input.schedule;
    // A paused calendar plan starts again from now: what fell due while it was paused was never
    // asked for, so it is not generated late nor recorded as missed.
    const resumed =
      previous !== undefined && previous.active === 0 && input.active && schedule.type === 'calendar';
    const unchanged =
      previous !== undefined &&
      !resumed &&
      previous.schedule === JSON.stringify(schedule) &&
      previous.site === input.site;
    if (unchanged) return { schedule, state: {} };
    if (schedule.type === 'calendar') {
      const calendar = new CalendarSchedule(
        schedule as CalendarScheduleInput & { starts: string },
        this.generator.zoneOf(input.site),
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
    const markers = siteMarkers(site);
    if (user.role !== 'admin' && sites.length > 0 && !sites.some((s) => markers.includes(s.site))) {
      throw new PreventiveError(400, `assign_to.technician: ${username} does not work on site ${site}`);
    }
  }

  async createPlan(actor: Actor, body: unknown, key: string | null = null) {
    const input = parseInput(planInput, body);
    mayPlan(actor, input.site);
    await this.generator.ensureLoaded();
    const { schedule, state } = await this.planState(input);
    const ts = this.now();
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('preventive_plans')
        .values({
          key,
          ...planColumns(input, schedule),
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
      await insertPlanObjects(trx, planId, input.object_ids);
      return planId;
    });
    await this.generator.refresh(id);
    return this.getPlan(actor, id);
  }

  async updatePlan(actor: Actor, id: number, body: unknown) {
    const patch = parseInput(planPatch, body);
    const row = await this.planRow(id);
    mayPlan(actor, row.site);
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
    const input = parseInput(planInput, next);
    mayPlan(actor, input.site);
    await this.generator.ensureLoaded();
    const { schedule, state } = await this.planState(input, row);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('preventive_plans')
        .set({
          ...planColumns(input, schedule),
          updated_at: this.now(),
          ...state,
        })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('preventive_plan_objects').where('plan_id', '=', id).execute();
      await insertPlanObjects(trx, id, input.object_ids);
    });
    await this.generator.refresh(id);
    return this.getPlan(actor, id);
  }

  /** Stops a plan for good; its inspections and orders stay. */
  async archivePlan(actor: Actor, id: number): Promise<void> {
    const row = await this.planRow(id);
    mayPlan(actor, row.site);
    await this.db
      .updateTable('preventive_plans')
      .set({ archived_at: this.now(), active: 0 })
      .where('id', '=', id)
      .execute();
    await this.generator.refresh(id);
  }

  private presentPlan(stored: PlanRow, objectIds: number[] | null) {
    // A usage plan's progress is written now and then; the tick's copy is the current one.
    const cached = this.generator.cached(stored.id);
    const row =
      cached && cached.updated_at === stored.updated_at
        ? { ...stored, usage_last_raw: cached.usage_last_raw, usage_total: cached.usage_total }
        : stored;
    const schedule = JSON.parse(row.schedule) as Schedule;
    const zone = this.generator.zoneOf(row.site);
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
}

function presentObject(row: InspectionObjectRow) {
  const { archived_at: _archived, items, ...rest } = row;
  return { ...rest, items: JSON.parse(items) as ChecklistItem[] } satisfies InspectionObject;
}

function presentTemplate(row: { id: number } & Record<string, unknown>, objectIds: number[]) {
  const { archived_at: _archived, ...rest } = row;
  return { ...rest, object_ids: objectIds };
}
