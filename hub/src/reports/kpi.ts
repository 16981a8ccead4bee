import { limitState, type SlaOrder } from '../sla/sla-state.js';

/**
 * The managers' figures, computed from orders and their event log. Pure: the rows come in, the
 * figures go out, time is passed in. The definitions are written out in the README ("Figures
 * for managers"); each function here says which one it implements.
 */

export type ResponseEnds = 'dispatched' | 'accepted';

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
export const AGE_BANDS = [
  { name: 'under_1d', upTo: DAY },
  { name: '1d_3d', upTo: 3 * DAY },
  { name: '3d_7d', upTo: 7 * DAY },
  { name: '7d_30d', upTo: 30 * DAY },
  { name: 'over_30d', upTo: Number.POSITIVE_INFINITY },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['name'];
export const PRIORITIES = ['1', '2', '3', '4'] as const;
const CLOSED = new Set(['completed', 'closed', 'cancelled']);

export interface Mean {
  /** Milliseconds, rounded; null when there is nothing to average. */
  mean_ms: number | null;
  count: number;
}

export interface OnTime {
  on_time: number;
  late: number;
  /** Not met yet and not yet due (or the clock is paused): not judged. */
  pending: number;
  /** Created in the period without this due time: not judged, only counted. */
  no_due_time: number;
  /** Cancelled: not judged, only counted. */
  cancelled: number;
  /** on_time / (on_time + late), four decimals; null when nothing was judged. */
  rate: number | null;
}

export interface TechnicianFigures {
  username: string;
  completed: number;
  assisted: number;
  ratings: number;
  mean_rating: number | null;
  low_ratings: number;
}

export interface MtbfFigure {
  key: string;
  device_type: string;
  intervals: number;
  mean_ms: number | null;
}

export interface KpiWindow {
  start: number;
  end: number;
  label: string;
  orders: { created: number; completed: number; cancelled: number };
  mtta: Mean;
  mttr: Mean & { from_dispatch: Mean };
  on_time: { response: Record<string, OnTime>; completion: Record<string, OnTime> };
  backlog: { at: number; open: number; overdue: number; deferred: number; by_age: Record<AgeBand, number> };
  first_time_fix: { completed: number; first_time: number; rate: number | null };
  pm_compliance: {
    due: number;
    on_time: number;
    late: number;
    pending: number;
    cancelled: number;
    rate: number | null;
  };
  ratings: { count: number; mean: number | null; low: number };
  technicians: TechnicianFigures[];
  failures: {
    total: number;
    by_device_type: Record<string, number>;
    by_site: Record<string, number>;
    by_cause: Record<string, number>;
  };
  mtbf: { by_device_type: MtbfFigure[]; by_device: MtbfFigure[] };
}

export interface KpiResult {
  periods: KpiWindow[];
  total: KpiWindow;
  /** Open orders per technician now (primary or assistant). */
  load: Array<{ username: string; open: number }>;
}

/** One operating interval: from the restoration after a failure to the next failure of the device. */
export interface OperatingInterval {
  device: string;
  device_type: string;
  /** The failure that ends it. */
  end: number;
  ms: number;
}

export function computeKpis(
  orders: readonly KpiOrder[],
  periods: readonly Period[],
  now: number,
  responseEnds: ResponseEnds,
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
    periods: periods.map((p) => windowKpis(judged, intervals, p, now)),
    total: windowKpis(judged, intervals, whole, now),
    load: loadNow(orders),
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

const within = (t: number | null, p: Period): t is number => t !== null && t >= p.start && t < p.end;

function mean(values: readonly number[]): Mean {
  if (values.length === 0) return { mean_ms: null, count: 0 };
  return { mean_ms: Math.round(values.reduce((s, v) => s + v, 0) / values.length), count: values.length };
}

function rate(good: number, total: number): number | null {
  return total === 0 ? null : Math.round((good / total) * 10_000) / 10_000;
}

function onTime(
  list: readonly Judged[],
  kind: 'response' | 'completion',
  p: Period,
  priority?: number,
): OnTime {
  const out: OnTime = { on_time: 0, late: 0, pending: 0, no_due_time: 0, cancelled: 0, rate: null };
  for (const j of list) {
    if (priority !== undefined && j.order.priority !== priority) continue;
    const verdict = j[kind];
    if (verdict === null) {
      if (within(j.order.created_at, p) && j.order.status !== 'cancelled') out.no_due_time += 1;
      continue;
    }
    if (within(verdict.due, p)) out[verdict.verdict] += 1;
  }
  out.rate = rate(out.on_time, out.on_time + out.late);
  return out;
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
    byDevice.set(o.device, [...(byDevice.get(o.device) ?? []), o]);
  }
  const out: OperatingInterval[] = [];
  for (const [device, failures] of byDevice) {
    failures.sort((a, b) => a.created_at - b.created_at || a.id - b.id);
    for (let i = 1; i < failures.length; i += 1) {
      const f = failures[i] as KpiOrder;
      const earlier = failures.slice(0, i);
      const restored = earlier.every((e) => e.completed_at !== null && e.completed_at <= f.created_at);
      if (!restored) continue;
      const since = Math.max(...earlier.map((e) => e.completed_at as number));
      out.push({ device, device_type: f.device_type, end: f.created_at, ms: f.created_at - since });
    }
  }
  return out;
}

function mtbf(intervals: readonly OperatingInterval[], key: (i: OperatingInterval) => string): MtbfFigure[] {
  const groups = new Map<string, OperatingInterval[]>();
  for (const i of intervals) groups.set(key(i), [...(groups.get(key(i)) ?? []), i]);
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

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function windowKpis(
  judged: readonly Judged[],
  intervals: readonly OperatingInterval[],
  p: Period,
  now: number,
): KpiWindow {
  const orders = judged.map((j) => j.order);
  const completed = orders.filter((o) => within(o.completed_at, p));
  const correctiveCompleted = completed.filter((o) => o.kind === 'corrective');

  // Backlog: open at the end of the period (or now, for a period still running).
  const at = Math.min(p.end, now);
  const byAge = Object.fromEntries(AGE_BANDS.map((b) => [b.name, 0])) as Record<AgeBand, number>;
  let open = 0;
  let overdue = 0;
  let deferred = 0;
  for (const o of orders) {
    const status = statusBefore(o, at);
    if (status === null || CLOSED.has(status)) continue;
    open += 1;
    const age = at - o.created_at;
    // The last band's bound is infinite: every age finds one.
    const band = AGE_BANDS.find((b) => age < b.upTo) as (typeof AGE_BANDS)[number];
    byAge[band.name] += 1;
    if (status === 'deferred') deferred += 1;
    else if (o.completion_due_at !== null && o.completion_due_at < at) overdue += 1;
  }

  const ftf = correctiveCompleted.filter(
    (o) => o.reopen_count === 0 && o.reject_count === 0 && o.first_time_fix === 1,
  );

  const pm = { due: 0, on_time: 0, late: 0, pending: 0, cancelled: 0, rate: null as number | null };
  for (const j of judged) {
    if (j.order.source !== 'preventive' || !j.completion || !within(j.completion.due, p)) continue;
    pm.due += 1;
    pm[j.completion.verdict] += 1;
  }
  pm.rate = rate(pm.on_time, pm.on_time + pm.late);

  const techs = new Map<string, TechnicianFigures & { sum: number }>();
  const tech = (username: string) => {
    let t = techs.get(username);
    if (!t) {
      t = { username, completed: 0, assisted: 0, ratings: 0, mean_rating: null, low_ratings: 0, sum: 0 };
      techs.set(username, t);
    }
    return t;
  };
  const rated = completed.filter((o) => o.rating !== null);
  for (const o of completed) {
    if (o.assignee) {
      const t = tech(o.assignee);
      t.completed += 1;
      if (o.rating !== null) {
        t.ratings += 1;
        t.sum += o.rating;
        if (o.rating <= 2) t.low_ratings += 1;
      }
    }
    for (const h of o.helpers) if (h !== o.assignee) tech(h).assisted += 1;
  }

  const failures = orders.filter(
    (o) => o.kind === 'corrective' && o.status !== 'cancelled' && within(o.created_at, p),
  );
  const byType: Record<string, number> = {};
  const bySite: Record<string, number> = {};
  const byCause: Record<string, number> = {};
  for (const f of failures) {
    count(byType, f.device_type);
    count(bySite, f.site);
    count(byCause, f.fault_category ?? 'unclassified');
  }
  const ending = intervals.filter((i) => within(i.end, p));
  const ratingSum = rated.reduce((s, o) => s + (o.rating as number), 0);

  return {
    start: p.start,
    end: p.end,
    label: p.label,
    orders: {
      created: orders.filter((o) => within(o.created_at, p)).length,
      completed: completed.length,
      cancelled: orders.filter((o) => o.status === 'cancelled' && within(o.cancelled_at, p)).length,
    },
    mtta: mean(
      orders
        .filter((o) => within(o.acknowledged_at, p))
        .map((o) => (o.acknowledged_at as number) - o.created_at),
    ),
    mttr: {
      ...mean(correctiveCompleted.map((o) => (o.completed_at as number) - o.created_at)),
      from_dispatch: mean(
        correctiveCompleted
          .filter((o) => o.dispatched_at !== null)
          .map((o) => (o.completed_at as number) - (o.dispatched_at as number)),
      ),
    },
    on_time: {
      response: Object.fromEntries([
        ...PRIORITIES.map((pr) => [pr, onTime(judged, 'response', p, Number(pr))]),
        ['all', onTime(judged, 'response', p)],
      ]),
      completion: Object.fromEntries([
        ...PRIORITIES.map((pr) => [pr, onTime(judged, 'completion', p, Number(pr))]),
        ['all', onTime(judged, 'completion', p)],
      ]),
    },
    backlog: { at, open, overdue, deferred, by_age: byAge },
    first_time_fix: {
      completed: correctiveCompleted.length,
      first_time: ftf.length,
      rate: rate(ftf.length, correctiveCompleted.length),
    },
    pm_compliance: pm,
    ratings: {
      count: rated.length,
      mean: rated.length === 0 ? null : Math.round((ratingSum / rated.length) * 100) / 100,
      low: rated.filter((o) => (o.rating as number) <= 2).length,
    },
    technicians: [...techs.values()]
      .map(({ sum, ...t }) => ({
        ...t,
        mean_rating: t.ratings === 0 ? null : Math.round((sum / t.ratings) * 100) / 100,
      }))
      .sort((a, b) => a.username.localeCompare(b.username)),
    failures: { total: failures.length, by_device_type: byType, by_site: bySite, by_cause: byCause },
    mtbf: {
      by_device_type: mtbf(ending, (i) => i.device_type),
      by_device: mtbf(ending, (i) => i.device),
    },
  };
}

function loadNow(orders: readonly KpiOrder[]): Array<{ username: string; open: number }> {
  const load = new Map<string, number>();
  for (const o of orders) {
    if (CLOSED.has(o.status)) continue;
    const people = new Set([...(o.assignee ? [o.assignee] : []), ...o.helpers]);
    for (const u of people) load.set(u, (load.get(u) ?? 0) + 1);
  }
  return [...load.entries()]
    .map(([username, open]) => ({ username, open }))
    .sort((a, b) => a.username.localeCompare(b.username));
}
