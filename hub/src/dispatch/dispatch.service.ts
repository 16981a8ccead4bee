import type { Logger } from '@caretaker/protocol/log';
import type { Selectable, Transaction } from 'kysely';
import { DateTime } from 'luxon';
import type { Database, WorkOrderStatus } from '../db/schema.js';
import { type Actor, SYSTEM_ACTOR } from '../people/actor.js';
import { siteMarkers } from '../people/people.input.js';
import { OrderEventFollower, type OrderFollowerOptions } from '../services/order-event-follower.js';
import { activeSiteSupervisors } from '../sla/escalation-chain.js';
import type { OrderEventNotice } from '../workorders/work-order.service.js';
import type { DispatchRules, TypeRule } from './dispatch-rules.js';
import { onShiftAt, type RosterDay, type WeeklyShift } from './shifts.js';

type OrderRow = Selectable<Database['work_orders']>;

/** The lifecycle's way to take an action (`WorkflowService.perform`); refusals carry `status`. */
export type PerformAction = (
  orderId: number,
  action: string,
  actor: Actor,
  body?: unknown,
) => Promise<unknown>;

export interface DispatchServiceOptions extends OrderFollowerOptions {
  rules: DispatchRules;
  log?: Logger;
  /** Orders move only through the lifecycle's transition table (as the system actor). */
  perform: PerformAction;
  /** The building of a device (sensor orders carry the device, not always the building). */
  buildingOf?: (device: string) => string | null | undefined;
}

/** One technician of the order's site, judged for the order. */
export interface Candidate {
  username: string;
  display_name: string;
  /** 1 for the first choice; null when passed over. */
  rank: number | null;
  eligible: boolean;
  zone: string | null;
  in_zone: boolean;
  on_shift: boolean;
  shift: string | null;
  open_orders: number;
  last_dispatched_at: number | null;
  certificate_no: string | null;
  certificate_expires_at: number | null;
  /** Why passed over (empty when eligible). */
  passed_over: string[];
  /** One line: `t-07: holds the elevator certificate, on shift (08:00–17:00), in zone b1, 2 open orders`. */
  explanation: string;
}

export interface Ranking {
  order_id: number;
  code: string;
  site: string;
  building: string | null;
  problem_type: string;
  skill: string | null;
  certificate: boolean;
  auto: boolean;
  timezone: string;
  at: number;
  /** Eligible first, best first; then everyone passed over. */
  candidates: Candidate[];
  chosen: string | null;
  /** Why the first choice beat the next one, or why nobody is suitable. */
  why: string;
  /** The dispatcher who asked for this attempt (absent: the hub's own rules). */
  requested_by?: string;
}

export type DispatchOutcome =
  | { outcome: 'dispatched'; assignee: string; ranking: Ranking }
  | { outcome: 'no_candidate'; ranking: Ranking }
  | { outcome: 'failed'; why: string; ranking?: Ranking }
  | { outcome: 'skipped'; why: string };

/** Orders a technician is working on now (a deferred order is parked, not load). */
const LOAD_STATUSES: WorkOrderStatus[] = ['pending_acceptance', 'to_dispatch', 'in_repair', 'awaiting_check'];
const ACTOR = SYSTEM_ACTOR.username;
/** Marks the hub's own acceptance, so the to_dispatch it leads to is not dispatched twice. */
const SKIP_NOTE = 'auto-dispatch: acceptance skipped';

function day(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() as string;
}

/**
 * Automatic dispatch: for an order of a problem type the rules mark `auto`, ranks the site's
 * technicians (skill and unexpired certificate, on shift, zone = the order's building, fewest
 * open orders, least recently dispatched, name) and dispatches the first; every decision is an
 * order event with the whole ranking and why each other technician was passed over. Nobody
 * suitable: the order stays for manual dispatch and the site's supervisors are told.
 */
export class DispatchService extends OrderEventFollower<DispatchServiceOptions> {
  get rules(): DispatchRules {
    return this.opts.rules;
  }

  /** Follows order events; then dispatches orders that reached their point while the hub was down. */
  async start(): Promise<void> {
    this.follow();
    const waiting = await this.db
      .selectFrom('work_orders')
      .select(['id', 'status', 'problem_type'])
      .where('status', 'in', ['pending_acceptance', 'to_dispatch'])
      .where('assignee', 'is', null)
      .orderBy('id')
      .execute();
    for (const order of waiting) {
      const rule = this.opts.rules.forType(order.problem_type);
      if (!rule.auto || (order.status === 'pending_acceptance' && !rule.skip_acceptance)) continue;
      if (await this.decidedSinceEntered(order.id, order.status)) continue;
      await this.queue.run(() => this.autoDispatch(order.id));
    }
  }

  protected override onOrderEvent(event: OrderEventNotice): void {
    const entered = event.to !== null && event.to !== event.from ? event.to : null;
    if (entered !== 'to_dispatch' && entered !== 'pending_acceptance') return;
    if (event.detail.note === SKIP_NOTE) return;
    void this.queue.run(async () => {
      try {
        await this.autoDispatch(event.orderId);
      } catch (err) {
        this.opts.log?.error(
          { err: (err as Error).message, order_id: event.orderId },
          'auto-dispatch failed',
        );
      }
    });
  }

  /** Whether a decision was recorded after the order last entered `status`. */
  private async decidedSinceEntered(orderId: number, status: string): Promise<boolean> {
    const entered = await this.db
      .selectFrom('work_order_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('order_id', '=', orderId)
      .where('to_status', '=', status)
      .executeTakeFirst();
    const decided = await this.db
      .selectFrom('work_order_events')
      .select('id')
      .where('order_id', '=', orderId)
      .where('type', '=', 'auto_dispatch')
      .where('id', '>', Number(entered?.id ?? 0))
      .executeTakeFirst();
    return decided !== undefined;
  }

  /** The ranking of the site's technicians for an order now (manual dispatch shows it too). */
  async rank(orderId: number, now = this.now()): Promise<Ranking | undefined> {
    const order = await this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirst();
    return order ? this.rankOrder(order, now) : undefined;
  }

  private async rankOrder(order: OrderRow, now: number): Promise<Ranking> {
    const rule = this.opts.rules.forType(order.problem_type);
    const building = order.building ?? (order.device ? (this.opts.buildingOf?.(order.device) ?? null) : null);
    const site = await this.db
      .selectFrom('sites')
      .select('timezone')
      .where('id', '=', order.site)
      .executeTakeFirst();
    const timezone = site?.timezone ?? this.opts.rules.timezone;
    const pool = await this.db
      .selectFrom('users')
      .innerJoin('user_sites', 'user_sites.username', 'users.username')
      .select(['users.username', 'users.display_name', 'users.zone', 'users.active'])
      .where('user_sites.site', 'in', siteMarkers(order.site))
      .where('users.role', '=', 'technician')
      .orderBy('users.username')
      .execute();
    const names = pool.map((p) => p.username);
    const base: Omit<Ranking, 'candidates' | 'chosen' | 'why'> = {
      order_id: order.id,
      code: order.code,
      site: order.site,
      building,
      problem_type: order.problem_type,
      skill: rule.skill,
      certificate: rule.certificate,
      auto: rule.auto,
      timezone,
      at: now,
    };
    if (names.length === 0) {
      return { ...base, candidates: [], chosen: null, why: `site ${order.site} has no technicians` };
    }
    const localToday = DateTime.fromMillis(now, { zone: timezone });
    const [skills, shifts, roster, load, helping, last] = await Promise.all([
      rule.skill === null
        ? Promise.resolve([])
        : this.db
            .selectFrom('user_skills')
            .selectAll()
            .where('username', 'in', names)
            .where('skill', '=', rule.skill)
            .execute(),
      this.db.selectFrom('shifts').selectAll().where('username', 'in', names).execute(),
      this.db
        .selectFrom('roster_days')
        .selectAll()
        .where('username', 'in', names)
        .where('day', 'in', [
          localToday.toISODate() as string,
          localToday.minus({ days: 1 }).toISODate() as string,
        ])
        .execute(),
      this.db
        .selectFrom('work_orders')
        .select((eb) => ['assignee', eb.fn.countAll<number>().as('n')])
        .where('assignee', 'in', names)
        .where('status', 'in', LOAD_STATUSES)
        .where('id', '!=', order.id)
        .groupBy('assignee')
        .execute(),
      this.db
        .selectFrom('work_order_assignees')
        .innerJoin('work_orders', 'work_orders.id', 'work_order_assignees.order_id')
        .select((eb) => ['work_order_assignees.username', eb.fn.countAll<number>().as('n')])
        .where('work_order_assignees.username', 'in', names)
        .where('work_order_assignees.role', '=', 'assistant')
        .where('work_orders.status', 'in', LOAD_STATUSES)
        .where('work_orders.id', '!=', order.id)
        .groupBy('work_order_assignees.username')
        .execute(),
      this.db
        .selectFrom('work_orders')
        .select((eb) => ['assignee', eb.fn.max('dispatched_at').as('at')])
        .where('assignee', 'in', names)
        .where('id', '!=', order.id)
        .groupBy('assignee')
        .execute(),
    ]);

    const require = this.opts.rules.requireShift;
    const planned =
      shifts.length > 0 ||
      roster.length > 0 ||
      (require === 'if_planned' &&
        (
          await this.db
            .selectFrom('roster_days')
            .select('id')
            .where('username', 'in', names)
            .limit(1)
            .execute()
        ).length > 0);
    const checkShifts = require === true || (require === 'if_planned' && planned);
    const candidates: Candidate[] = pool.map((person) => {
      const u = person.username;
      const passed: string[] = [];
      const said: string[] = [];
      if (person.active !== 1) passed.push('disabled');
      let certificateNo: string | null = null;
      let expiresAt: number | null = null;
      if (rule.skill !== null) {
        const held = skills.find((s) => s.username === u);
        certificateNo = held?.certificate_no ?? null;
        expiresAt = held?.expires_at ?? null;
        if (!held) passed.push(`no ${rule.skill} skill`);
        else if (rule.certificate && held.certificate_no === null)
          passed.push(`no ${rule.skill} certificate on file`);
        else if (held.expires_at !== null && held.expires_at <= now)
          passed.push(`${rule.skill} certificate expired on ${day(held.expires_at, timezone)}`);
        else
          said.push(
            rule.certificate
              ? `holds the ${rule.skill} certificate (${held.certificate_no}${held.expires_at !== null ? `, valid until ${day(held.expires_at, timezone)}` : ''})`
              : `has the ${rule.skill} skill`,
          );
      } else {
        said.push('no special skill needed');
      }
      const shift = checkShifts
        ? onShiftAt(
            now,
            timezone,
            order.site,
            shifts.filter((s) => s.username === u) as WeeklyShift[],
            roster.filter((r) => r.username === u) as RosterDay[],
          )
        : {
            onShift: true,
            shift: null,
            why: require === false ? 'shifts not checked' : `no shifts on file at site ${order.site}`,
          };
      if (shift.onShift) said.push(shift.why);
      else passed.push(shift.why);
      const inZone = building !== null && person.zone === building;
      said.push(
        building === null
          ? `zone ${person.zone ?? 'none'}`
          : inZone
            ? `in zone ${building}`
            : `zone ${person.zone ?? 'none'}, not ${building}`,
      );
      const open =
        Number(load.find((l) => l.assignee === u)?.n ?? 0) +
        Number(helping.find((h) => h.username === u)?.n ?? 0);
      said.push(`${open} open order${open === 1 ? '' : 's'}`);
      const lastAt = last.find((l) => l.assignee === u)?.at;
      return {
        username: u,
        display_name: person.display_name,
        rank: null,
        eligible: passed.length === 0,
        zone: person.zone,
        in_zone: inZone,
        on_shift: shift.onShift,
        shift: shift.shift,
        open_orders: open,
        last_dispatched_at: lastAt === null || lastAt === undefined ? null : Number(lastAt),
        certificate_no: certificateNo,
        certificate_expires_at: expiresAt,
        passed_over: passed,
        explanation:
          passed.length === 0 ? `${u}: ${said.join(', ')}` : `${u}: passed over: ${passed.join('; ')}`,
      };
    });

    const eligible = candidates.filter((c) => c.eligible).sort(compareCandidates);
    eligible.forEach((c, i) => {
      c.rank = i + 1;
    });
    const passedOver = candidates.filter((c) => !c.eligible);
    const chosen = eligible[0] ?? null;
    return {
      ...base,
      candidates: [...eligible, ...passedOver],
      chosen: chosen?.username ?? null,
      why: chosen ? decisionWhy(chosen, eligible[1], building) : nobodyWhy(rule, order.site, passedOver),
    };
  }

  /**
   * Dispatches an order by the rules, if they say auto for its problem type and it is waiting
   * for it (to_dispatch, or pending acceptance when acceptance is skipped). Records the decision.
   */
  async autoDispatch(
    orderId: number,
    opts: { now?: number; requestedBy?: string } = {},
  ): Promise<DispatchOutcome> {
    const now = opts.now ?? this.now();
    const order = await this.db
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', orderId)
      .executeTakeFirst();
    if (!order) return { outcome: 'skipped', why: `no work order ${orderId}` };
    const rule = this.opts.rules.forType(order.problem_type);
    // A dispatcher asking for it gets the rules' pick whatever the type's `auto` says.
    if (!rule.auto && !opts.requestedBy)
      return { outcome: 'skipped', why: `${order.problem_type} is dispatched by hand` };
    const waiting =
      (order.status === 'to_dispatch' || (order.status === 'pending_acceptance' && rule.skip_acceptance)) &&
      order.assignee === null;
    if (!waiting) return { outcome: 'skipped', why: `${order.code} is ${order.status}` };
    const ranking = await this.rankOrder(order, now);
    if (opts.requestedBy) ranking.requested_by = opts.requestedBy;
    const eligible = ranking.candidates.filter((c) => c.eligible);

    if (order.status === 'pending_acceptance') {
      // Accepted by the hub at once: with nobody suitable it still reaches the dispatchers' pool.
      const accepted = await this.accept(order);
      if (accepted !== null)
        return this.recordFailure(order, ranking, `acceptance not skipped: ${accepted}`, now);
    }
    if (eligible.length === 0) {
      const notify = await activeSiteSupervisors(this.db, order.site);
      await this.opts.orders.inTransaction((trx) =>
        this.decision(trx, order.id, now, ranking, 'no_candidate', null, { notify }),
      );
      return { outcome: 'no_candidate', ranking };
    }
    for (const candidate of eligible) {
      const result = await this.assign(order, candidate, ranking, now);
      if (result === null) return { outcome: 'dispatched', assignee: candidate.username, ranking };
      // The lifecycle refused this person (its own check): the next one; anything else stops.
      if (!result.startsWith('assignee:')) return this.recordFailure(order, ranking, result, now);
      candidate.passed_over.push(result);
    }
    return this.recordFailure(order, ranking, 'the lifecycle refused every candidate', now);
  }

  /** null when accepted; else the refusal. */
  private async accept(order: OrderRow): Promise<string | null> {
    try {
      await this.opts.perform(order.id, 'accept', SYSTEM_ACTOR, { note: SKIP_NOTE });
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** null when dispatched; else the refusal (`assignee: ...` when it is about the person). */
  private async assign(
    order: OrderRow,
    candidate: Candidate,
    ranking: Ranking,
    now: number,
  ): Promise<string | null> {
    const summary = `auto-dispatch: ${ranking.why}`;
    try {
      await this.opts.perform(order.id, 'dispatch', SYSTEM_ACTOR, {
        assignee: candidate.username,
        note: summary.slice(0, 2000),
      });
    } catch (err) {
      return (err as Error).message;
    }
    await this.opts.orders.inTransaction((trx) =>
      this.decision(trx, order.id, now, ranking, 'dispatched', candidate.username, {}),
    );
    return null;
  }

  private async recordFailure(
    order: OrderRow,
    ranking: Ranking,
    why: string,
    now: number,
  ): Promise<DispatchOutcome> {
    const notify = await activeSiteSupervisors(this.db, order.site);
    await this.opts.orders.inTransaction((trx) =>
      this.decision(trx, order.id, now, { ...ranking, why: `could not dispatch: ${why}` }, 'failed', null, {
        notify,
      }),
    );
    return { outcome: 'failed', why, ranking };
  }

  /** The decision as an order event: the ranking, who was passed over and why. */
  private async decision(
    trx: Transaction<Database>,
    orderId: number,
    now: number,
    ranking: Ranking,
    outcome: 'dispatched' | 'no_candidate' | 'failed',
    assignee: string | null,
    extra: Record<string, unknown>,
  ): Promise<void> {
    await this.opts.orders.event(trx, orderId, now, ACTOR, 'auto_dispatch', null, null, {
      outcome,
      assignee,
      skill: ranking.skill,
      why: outcome === 'no_candidate' ? `left for manual dispatch: ${ranking.why}` : ranking.why,
      ranking: ranking.candidates.filter((c) => c.eligible).map((c) => c.explanation),
      passed_over: ranking.candidates.filter((c) => !c.eligible).map((c) => c.explanation),
      ...(ranking.requested_by ? { requested_by: ranking.requested_by } : {}),
      ...extra,
    });
  }
}

/** In the order's zone first, then the fewest open orders, the least recently dispatched, the name. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.in_zone !== b.in_zone) return a.in_zone ? -1 : 1;
  if (a.open_orders !== b.open_orders) return a.open_orders - b.open_orders;
  const la = a.last_dispatched_at ?? Number.NEGATIVE_INFINITY;
  const lb = b.last_dispatched_at ?? Number.NEGATIVE_INFINITY;
  if (la !== lb) return la - lb;
  return a.username < b.username ? -1 : a.username > b.username ? 1 : 0;
}

function decisionWhy(chosen: Candidate, next: Candidate | undefined, building: string | null): string {
  const head = `${chosen.username} chosen`;
  if (!next) return `${head}: the only suitable technician`;
  if (chosen.in_zone && !next.in_zone) return `${head}: in zone ${building} (${next.username} is not)`;
  if (chosen.open_orders !== next.open_orders)
    return `${head}: fewest open orders (${chosen.open_orders}; ${next.username} has ${next.open_orders})`;
  if (chosen.last_dispatched_at !== next.last_dispatched_at)
    return `${head}: tied with ${next.username} on zone and load, dispatched less recently`;
  return `${head}: tied with ${next.username} on zone, load and last dispatch, first by name`;
}

function nobodyWhy(rule: TypeRule, site: string, passed: readonly Candidate[]): string {
  const need = rule.skill
    ? `${rule.certificate ? `an unexpired ${rule.skill} certificate` : `the ${rule.skill} skill`}`
    : 'no skill';
  return `no technician of site ${site} is suitable (needs ${need}, on shift): ${passed
    .map((c) => `${c.username} ${c.passed_over.join(', ')}`)
    .join('; ')}`;
}
