import {
  type BacklogAgeBand,
  KPI_PRIORITIES,
  type KpiPriority,
  type KpiResult,
  type KpiWindow,
  type Mean,
  type MtbfFigure,
  type OnTime,
  type ResponseEnds,
  type TechnicianFigures,
} from '@caretaker/protocol';
import { limitState, type SlaOrder } from '../sla/sla-state.js';

/**
 * The managers' figures, computed from orders and their event log. Pure: the rows come in, the
 * figures go out, time is passed in. The definitions are written out in the README ("Figures
 * for managers"); each function here says which one it implements.
 */

export interface KpiOrder extends SlaOrder {
  site: string;
  device: string | null;
  /** Resolved by the caller (live state, then the rule pack); 'unknown' or 'none' (no device). */
  device_type: string;
  kind: 'corrective' | 'preventive';
  source: string;
  assignee: string | null;
  /** Co-assignees (assistants), not the primary assignee. */
  helpers: readonly string[];
  rating: number | null;
  fault_category: string | null;
  reopen_count: number;
  reject_count: number;
  first_time_fix: number;
  /** Status changes from the event log, oldest first (the creation included). */
  timeline: ReadonlyArray<{ ts: number; status: string }>;
}

export interface Period {
  start: number;
  end: number;
  label: string;
}

const DAY = 86_400_000;
/** The upper bound of each of the wire's age bands, in their order. */
export const AGE_BANDS = [
  { name: 'under_1d', upTo: DAY },
  { name: '1d_3d', upTo: 3 * DAY },
  { name: '3d_7d', upTo: 7 * DAY },
  { name: '7d_30d', upTo: 30 * DAY },
  { name: 'over_30d', upTo: Number.POSITIVE_INFINITY },
] as const satisfies ReadonlyArray<{ name: BacklogAgeBand; upTo: number }>;
const CLOSED = new Set(['completed', 'closed', 'cancelled']);

/** One operating interval: from the restoration after a failure to the next failure of the device. */
export interface OperatingInterval {
  device: string;
  device_type: string;
  /** The failure that ends it. */
  end: number;
  ms: number;
}

/** A person's display name by user name; someone the users table no longer has keeps the user name. */
export type DisplayNames = ReadonlyMap<string, string>;

export function computeKpis(
  orders: readonly KpiOrder[],
  periods: readonly Period[],
  now: number,
  responseEnds: ResponseEnds,
  names: DisplayNames = new Map(),
): KpiResult {
  const judged = orders.map((o) => ({
    order: o,
    response: judge(o, 'response', now, responseEnds),
    completion: judge(o, 'completion', now, responseEnds),
  }));
  const intervals = operatingIntervals(orders);
  const first = periods[0];
  const last = periods[periods.length - 1];
  const whole: Period = { start: first?.start ?? now, end: last?.end ?? now, label: 'total' };
  return {
    periods: computeWindows(judged, intervals, periods, now, names),
    total: computeWindows(judged, intervals, [whole], now, names)[0] as KpiWindow,
    load: loadNow(orders, names),
  };
}

interface Judged {
  order: KpiOrder;
  response: Judgement | null;
  completion: Judgement | null;
}
type Judgement = { due: number; verdict: 'on_time' | 'late' | 'pending' | 'cancelled' };

/**
 * On time or late against a limit, by the SLA module's own reading of it (limitState: the
 * deadline moved by every pause; met exactly at the deadline is on time; an open clock past it
 * is late). Judged as of the report's time. Null: the order has no such due time.
 */
function judge(
  o: KpiOrder,
  kind: 'response' | 'completion',
  now: number,
  ends: ResponseEnds,
): Judgement | null {
  if ((kind === 'response' ? o.response_due_at : o.completion_due_at) === null) return null;
  // limitState wants the limit's length only for its percentage; an order given a due time
  // without one (a plan's deadline) is judged by the same deadline rules.
  const state = limitState(
    { ...o, response_limit_ms: o.response_limit_ms ?? 0, completion_limit_ms: o.completion_limit_ms ?? 0 },
    kind,
    now,
    ends,
  );
  if (!state) return null;
  if (o.status === 'cancelled') return { due: state.due_at, verdict: 'cancelled' };
  if (state.breached) return { due: state.due_at, verdict: 'late' };
  return { due: state.due_at, verdict: state.met_at !== null ? 'on_time' : 'pending' };
}

function mean(values: readonly number[]): Mean {
  if (values.length === 0) return { mean_ms: null, count: 0 };
  return { mean_ms: Math.round(values.reduce((s, v) => s + v, 0) / values.length), count: values.length };
}

function rate(good: number, total: number): number | null {
  return total === 0 ? null : Math.round((good / total) * 10_000) / 10_000;
}

/** The index of the period holding `t` (periods sorted and not overlapping), or -1. */
function periodOf(periods: readonly Period[], t: number | null): number {
  if (t === null) return -1;
  let lo = 0;
  let hi = periods.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = periods[mid] as Period;
    if (t < p.start) hi = mid - 1;
    else if (t >= p.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The status an order had just before `t`, from its event log; null: it did not exist yet. */
export function statusBefore(o: KpiOrder, t: number): string | null {
  if (o.created_at >= t) return null;
  let status: string | null = null;
  for (const step of o.timeline) {
    if (step.ts >= t) break;
    status = step.status;
  }
  return status ?? 'pending_acceptance';
}

/**
 * Operating time between consecutive failures of one device: failures are its corrective
 * orders (cancelled ones are not failures), the operating time runs from the latest repair
 * completed before a failure to that failure. A failure raised while an earlier one was still
 * being repaired, and a device's first failure, end no interval (their operating time is not
 * known), but they still count as failures.
 */
export function operatingIntervals(orders: readonly KpiOrder[]): OperatingInterval[] {
  const byDevice = new Map<string, KpiOrder[]>();
  for (const o of orders) {
    if (o.kind !== 'corrective' || o.device === null || o.status === 'cancelled') continue;
    const list = byDevice.get(o.device);
    if (list) list.push(o);
    else byDevice.set(o.device, [o]);
  }
  const out: OperatingInterval[] = [];
  for (const [device, failures] of byDevice) {
    failures.sort((a, b) => a.created_at - b.created_at || a.id - b.id);
    // When the device was last back in operation; infinite while an earlier failure is unrepaired.
    let upSince = Number.NEGATIVE_INFINITY;
    for (const f of failures) {
      if (upSince !== Number.NEGATIVE_INFINITY && upSince <= f.created_at) {
        out.push({ device, device_type: f.device_type, end: f.created_at, ms: f.created_at - upSince });
      }
      upSince = Math.max(upSince, f.completed_at ?? Number.POSITIVE_INFINITY);
    }
  }
  return out;
}

function mtbf(intervals: readonly OperatingInterval[], key: (i: OperatingInterval) => string): MtbfFigure[] {
  const groups = new Map<string, OperatingInterval[]>();
  for (const i of intervals) {
    const list = groups.get(key(i));
    if (list) list.push(i);
    else groups.set(key(i), [i]);
  }
  return [...groups.entries()]
    .map(([k, list]) => {
      const m = mean(list.map((i) => i.ms));
      return {
        key: k,
        device_type: list[0]?.device_type ?? 'unknown',
        intervals: m.count,
        mean_ms: m.mean_ms,
      };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

const newOnTime = (): OnTime => ({
  on_time: 0,
  late: 0,
  pending: 0,
  no_due_time: 0,
  cancelled: 0,
  rate: null,
});

/** One period's running sums, filled in one pass over the orders. */
class WindowSums {
  created = 0;
  completed = 0;
  cancelled = 0;
  readonly mtta: number[] = [];
  readonly mttr: number[] = [];
  readonly fromDispatch: number[] = [];
  /** Index 0-3: priorities 1-4; 4: all. */
  readonly response = Array.from({ length: 5 }, newOnTime);
  readonly completion = Array.from({ length: 5 }, newOnTime);
  open = 0;
  overdue = 0;
  deferred = 0;
  readonly byAge = Object.fromEntries(AGE_BANDS.map((b) => [b.name, 0])) as Record<BacklogAgeBand, number>;
  correctiveCompleted = 0;
  firstTime = 0;
  readonly pm = { due: 0, on_time: 0, late: 0, pending: 0, cancelled: 0, rate: null as number | null };
  ratings = 0;
  ratingSum = 0;
  lowRatings = 0;
  readonly techs = new Map<string, TechnicianFigures & { sum: number }>();
  readonly failures = { total: 0, byType: {} as Record<string, number>, bySite: {}, byCause: {} } as {
    total: number;
    byType: Record<string, number>;
    bySite: Record<string, number>;
    byCause: Record<string, number>;
  };
  readonly intervals: OperatingInterval[] = [];

  constructor(
    readonly period: Period,
    readonly at: number,
    private readonly names: DisplayNames,
  ) {}

  tech(username: string) {
    let t = this.techs.get(username);
    if (!t) {
      t = {
        username,
        display_name: this.names.get(username) ?? username,
        completed: 0,
        assisted: 0,
        ratings: 0,
        mean_rating: null,
        low_ratings: 0,
        sum: 0,
      };
      this.techs.set(username, t);
    }
    return t;
  }

  finish(): KpiWindow {
    const onTime = (list: OnTime[]) =>
      Object.fromEntries(
        [...KPI_PRIORITIES, 'all'].map((name, i) => {
          const o = list[i] as OnTime;
          return [name, { ...o, rate: rate(o.on_time, o.on_time + o.late) }];
        }),
      ) as Record<KpiPriority, OnTime>;
    const f = this.failures;
    return {
      start: this.period.start,
      end: this.period.end,
      label: this.period.label,
      orders: { created: this.created, completed: this.completed, cancelled: this.cancelled },
      mtta: mean(this.mtta),
      mttr: { ...mean(this.mttr), from_dispatch: mean(this.fromDispatch) },
      on_time: { response: onTime(this.response), completion: onTime(this.completion) },
      backlog: {
        at: this.at,
        open: this.open,
        overdue: this.overdue,
        deferred: this.deferred,
        by_age: this.byAge,
      },
      first_time_fix: {
        completed: this.correctiveCompleted,
        first_time: this.firstTime,
        rate: rate(this.firstTime, this.correctiveCompleted),
      },
      pm_compliance: { ...this.pm, rate: rate(this.pm.on_time, this.pm.on_time + this.pm.late) },
      ratings: {
        count: this.ratings,
        mean: this.ratings === 0 ? null : Math.round((this.ratingSum / this.ratings) * 100) / 100,
        low: this.lowRatings,
      },
      technicians: [...this.techs.values()]
        .map(({ sum, ...t }) => ({
          ...t,
          mean_rating: t.ratings === 0 ? null : Math.round((sum / t.ratings) * 100) / 100,
        }))
        .sort((a, b) => a.username.localeCompare(b.username)),
      failures: { total: f.total, by_device_type: f.byType, by_site: f.bySite, by_cause: f.byCause },
      mtbf: {
        by_device_type: mtbf(this.intervals, (i) => i.device_type),
        by_device: mtbf(this.intervals, (i) => i.device),
      },
    };
  }
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

/**
 * Every period's figures in one pass over the orders: each instant an order is counted by
 * (created, acknowledged, completed, due, the end of an operating interval) is placed in its
 * period by a binary search, and each stretch an order was open is matched with the period ends
 * it covers, so the cost grows with orders plus periods, not their product.
 */
function computeWindows(
  judged: readonly Judged[],
  intervals: readonly OperatingInterval[],
  periods: readonly Period[],
  now: number,
  names: DisplayNames,
): KpiWindow[] {
  const sums = periods.map((p) => new WindowSums(p, Math.min(p.end, now), names));
  const at = (i: number) => sums[i] as WindowSums;
  const ats = sums.map((s) => s.at);

  for (const { order: o, response, completion } of judged) {
    const prio = o.priority >= 1 && o.priority <= 4 ? o.priority - 1 : -1;
    const created = periodOf(periods, o.created_at);
    if (created >= 0) {
      const w = at(created);
      w.created += 1;
      if (o.kind === 'corrective' && o.status !== 'cancelled') {
        w.failures.total += 1;
        count(w.failures.byType, o.device_type);
        count(w.failures.bySite, o.site);
        count(w.failures.byCause, o.fault_category ?? 'unclassified');
      }
    }
    const acked = periodOf(periods, o.acknowledged_at);
    if (acked >= 0) at(acked).mtta.push((o.acknowledged_at as number) - o.created_at);
    if (o.status === 'cancelled') {
      const cancelled = periodOf(periods, o.cancelled_at);
      if (cancelled >= 0) at(cancelled).cancelled += 1;
    }
    const done = periodOf(periods, o.completed_at);
    if (done >= 0) {
      const w = at(done);
      const completedAt = o.completed_at as number;
      w.completed += 1;
      if (o.kind === 'corrective') {
        w.mttr.push(completedAt - o.created_at);
        if (o.dispatched_at !== null) w.fromDispatch.push(completedAt - o.dispatched_at);
        w.correctiveCompleted += 1;
        if (o.reopen_count === 0 && o.reject_count === 0 && o.first_time_fix === 1) w.firstTime += 1;
      }
      if (o.rating !== null) {
        w.ratings += 1;
        w.ratingSum += o.rating;
        if (o.rating <= 2) w.lowRatings += 1;
      }
      if (o.assignee) {
        const t = w.tech(o.assignee);
        t.completed += 1;
        if (o.rating !== null) {
          t.ratings += 1;
          t.sum += o.rating;
          if (o.rating <= 2) t.low_ratings += 1;
        }
      }
      for (const h of o.helpers) if (h !== o.assignee) w.tech(h).assisted += 1;
    }
    for (const [judgement, kind] of [
      [response, 'response'],
      [completion, 'completion'],
    ] as const) {
      if (judgement === null) {
        if (created >= 0 && o.status !== 'cancelled') {
          const list = at(created)[kind];
          (list[4] as OnTime).no_due_time += 1;
          if (prio >= 0) (list[prio] as OnTime).no_due_time += 1;
        }
        continue;
      }
      const due = periodOf(periods, judgement.due);
      if (due < 0) continue;
      const list = at(due)[kind];
      (list[4] as OnTime)[judgement.verdict] += 1;
      if (prio >= 0) (list[prio] as OnTime)[judgement.verdict] += 1;
      if (kind === 'completion' && o.source === 'preventive') {
        const pm = at(due).pm;
        pm.due += 1;
        pm[judgement.verdict] += 1;
      }
    }
    addBacklog(o, sums, ats);
  }
  for (const i of intervals) {
    const p = periodOf(periods, i.end);
    if (p >= 0) at(p).intervals.push(i);
  }
  return sums.map((s) => s.finish());
}

/**
 * Counts an order in the backlog of every period whose end falls in a stretch it was open:
 * its status just before an instant t is that of its last status change before t.
 */
function addBacklog(o: KpiOrder, sums: readonly WindowSums[], ats: readonly number[]): void {
  const steps = o.timeline;
  const stretch = (from: number, to: number, status: string) => {
    if (CLOSED.has(status)) return;
    // The first period end after `from`, then every one up to `to` inclusive.
    let lo = 0;
    let hi = ats.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ats[mid] as number) > from) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < ats.length && (ats[i] as number) <= to; i += 1) {
      const w = sums[i] as WindowSums;
      w.open += 1;
      const age = w.at - o.created_at;
      // The last band's bound is infinite: every age finds one.
      const band = AGE_BANDS.find((b) => age < b.upTo) as (typeof AGE_BANDS)[number];
      w.byAge[band.name] += 1;
      if (status === 'deferred') w.deferred += 1;
      else if (o.completion_due_at !== null && o.completion_due_at < w.at) w.overdue += 1;
    }
  };
  const first = steps[0];
  if (!first || first.ts > o.created_at) {
    stretch(o.created_at, first ? first.ts : Number.POSITIVE_INFINITY, 'pending_acceptance');
  }
  steps.forEach((step, i) => {
    const next = steps[i + 1];
    stretch(Math.max(step.ts, o.created_at), next ? next.ts : Number.POSITIVE_INFINITY, step.status);
  });
}

function loadNow(orders: readonly KpiOrder[], names: DisplayNames): KpiResult['load'] {
  const load = new Map<string, number>();
  for (const o of orders) {
    if (CLOSED.has(o.status)) continue;
    const people = new Set([...(o.assignee ? [o.assignee] : []), ...o.helpers]);
    for (const u of people) load.set(u, (load.get(u) ?? 0) + 1);
  }
  return [...load.entries()]
    .map(([username, open]) => ({ username, display_name: names.get(username) ?? username, open }))
    .sort((a, b) => a.username.localeCompare(b.username));
}
