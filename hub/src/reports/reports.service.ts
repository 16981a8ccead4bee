import {
  KPI_PRIORITIES,
  type KpiReport,
  type KpiWindow,
  REPORT_NAMES,
  type ReportName,
  type ReportPeriod,
  type ResponseEnds,
} from '@caretaker/protocol';
import { stringify } from 'csv-stringify/sync';
import { strToU8, zipSync } from 'fflate';
import type { Kysely } from 'kysely';
import { DateTime, IANAZone } from 'luxon';
import type { Database } from '../db/schema.js';
import { type Actor, canSeeSite } from '../people/actor.js';
import { may } from '../people/permissions.js';
import { AGE_BANDS, computeKpis, type DisplayNames, type KpiOrder, type Period } from './kpi.js';

/** A refused request: `status` is the HTTP answer, the message starts with the field. */
export class ReportError extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_ZONE = 'Asia/Shanghai';
/** The most periods one report holds (a year and more of days). */
export const MAX_PERIODS = 400;

export interface ReportQuery {
  from?: number;
  to?: number;
  site?: string;
  period: ReportPeriod;
  tz?: string;
}

export interface ReportsServiceOptions {
  db: Kysely<Database>;
  now?: () => number;
  /**
   * A device's type: the live state knows every device that has reported (restored from the
   * store after a restart), the rule pack knows the type a sensor order's rule was written for.
   */
  deviceType?: (device: string, ruleId: string | null) => string | undefined;
  /** What ends the response limit (the SLA module's service levels decide it). */
  responseEnds?: ResponseEnds;
}

const DEFAULT_SPAN: Record<ReportPeriod, { days?: number; weeks?: number; months?: number; years?: number }> =
  {
    day: { days: 30 },
    week: { weeks: 12 },
    month: { months: 12 },
    year: { years: 5 },
  };
const LABEL: Record<ReportPeriod, string> = {
  day: 'yyyy-MM-dd',
  week: "kkkk-'W'WW",
  month: 'yyyy-MM',
  year: 'yyyy',
};

/** Calendar periods covering [from, to) in a zone: whole days, ISO weeks, months or years. */
export function reportPeriods(from: number, to: number, period: ReportPeriod, zone: string): Period[] {
  const out: Period[] = [];
  let cursor = DateTime.fromMillis(from, { zone }).startOf(period);
  while (cursor.toMillis() < to) {
    const next = cursor.plus({ [`${period}s`]: 1 });
    out.push({ start: cursor.toMillis(), end: next.toMillis(), label: cursor.toFormat(LABEL[period]) });
    if (out.length > MAX_PERIODS) break;
    cursor = next;
  }
  return out;
}

/**
 * The managers' reports: loads the orders of the actor's sites and their event log, computes
 * the figures (kpi.ts) per calendar period in a time zone, and lays them out as tables for CSV.
 */
export class ReportsService {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;

  constructor(private readonly opts: ReportsServiceOptions) {
    this.db = opts.db;
    this.now = opts.now ?? Date.now;
  }

  async kpis(actor: Actor, query: ReportQuery): Promise<KpiReport> {
    if (!may(actor, 'reports.read')) throw new ReportError(403, `role: a ${actor.role} may not read reports`);
    if (query.site && !canSeeSite(actor, query.site)) {
      throw new ReportError(403, `site: you do not work at site ${query.site}`);
    }
    const sites: string[] | 'all' = query.site
      ? [query.site]
      : actor.sites === 'all'
        ? 'all'
        : [...actor.sites];
    const zone = query.tz ?? (query.site ? await this.siteZone(query.site) : undefined) ?? DEFAULT_ZONE;
    if (!IANAZone.isValidZone(zone)) throw new ReportError(400, `tz: unknown time zone ${zone}`);
    const now = this.now();
    const to = query.to ?? now;
    const from = query.from ?? DateTime.fromMillis(to, { zone }).minus(DEFAULT_SPAN[query.period]).toMillis();
    if (from >= to) throw new ReportError(400, 'from: must be before to');
    const periods = reportPeriods(from, to, query.period, zone);
    if (periods.length > MAX_PERIODS) {
      throw new ReportError(
        400,
        `from: at most ${MAX_PERIODS} periods of a ${query.period}; choose a longer period`,
      );
    }
    const last = periods[periods.length - 1] as Period;
    const orders = await this.load(sites, last.end);
    const names = await this.displayNames(orders);
    const responseEnds = this.opts.responseEnds ?? 'dispatched';
    return {
      from: (periods[0] as Period).start,
      to: last.end,
      period: query.period,
      tz: zone,
      sites,
      as_of: now,
      response_ends: responseEnds,
      ...computeKpis(orders, periods, now, responseEnds, names),
    };
  }

  /** A report as a table: a header and one row per period (and per key); the total last. */
  table(
    name: ReportName,
    report: KpiReport,
  ): { columns: string[]; rows: Array<Array<string | number | null>> } {
    const windows = [...report.periods, report.total];
    const day = (ms: number) =>
      DateTime.fromMillis(ms, { zone: report.tz }).toISO({ suppressMilliseconds: true }) ?? '';
    const hours = (ms: number | null) => (ms === null ? null : Math.round((ms / 3_600_000) * 1000) / 1000);
    const head = (w: KpiWindow) => [w.label, day(w.start), day(w.end)];
    switch (name) {
      case 'kpis':
        return {
          columns: [
            'period',
            'start',
            'end',
            'orders_created',
            'orders_completed',
            'orders_cancelled',
            'mtta_hours',
            'mttr_hours',
            'mttr_from_dispatch_hours',
            'response_on_time_rate',
            'completion_on_time_rate',
            'backlog_open',
            'backlog_overdue',
            'first_time_fix_rate',
            'pm_compliance_rate',
            'failures',
            'mean_rating',
            'low_ratings',
          ],
          rows: windows.map((w) => [
            ...head(w),
            w.orders.created,
            w.orders.completed,
            w.orders.cancelled,
            hours(w.mtta.mean_ms),
            hours(w.mttr.mean_ms),
            hours(w.mttr.from_dispatch.mean_ms),
            w.on_time.response.all?.rate ?? null,
            w.on_time.completion.all?.rate ?? null,
            w.backlog.open,
            w.backlog.overdue,
            w.first_time_fix.rate,
            w.pm_compliance.rate,
            w.failures.total,
            w.ratings.mean,
            w.ratings.low,
          ]),
        };
      case 'on-time':
        return {
          columns: [
            'period',
            'start',
            'end',
            'limit',
            'priority',
            'on_time',
            'late',
            'pending',
            'no_due_time',
            'cancelled',
            'rate',
          ],
          rows: windows.flatMap((w) =>
            (['response', 'completion'] as const).flatMap((limit) =>
              ([...KPI_PRIORITIES, 'all'] as const).map((priority) => {
                const o = w.on_time[limit][priority];
                return [
                  ...head(w),
                  limit,
                  priority,
                  o?.on_time ?? 0,
                  o?.late ?? 0,
                  o?.pending ?? 0,
                  o?.no_due_time ?? 0,
                  o?.cancelled ?? 0,
                  o?.rate ?? null,
                ];
              }),
            ),
          ),
        };
      case 'backlog':
        return {
          columns: [
            'period',
            'start',
            'end',
            'at',
            'open',
            'overdue',
            'deferred',
            ...AGE_BANDS.map((b) => `age_${b.name}`),
          ],
          rows: windows.map((w) => [
            ...head(w),
            day(w.backlog.at),
            w.backlog.open,
            w.backlog.overdue,
            w.backlog.deferred,
            ...AGE_BANDS.map((b) => w.backlog.by_age[b.name]),
          ]),
        };
      case 'technicians': {
        const load = new Map(report.load.map((l) => [l.username, l.open]));
        return {
          columns: [
            'period',
            'start',
            'end',
            'technician',
            'display_name',
            'completed',
            'assisted',
            'ratings',
            'mean_rating',
            'low_ratings',
            'open_now',
          ],
          rows: windows.flatMap((w) =>
            w.technicians.map((t) => [
              ...head(w),
              t.username,
              t.display_name,
              t.completed,
              t.assisted,
              t.ratings,
              t.mean_rating,
              t.low_ratings,
              load.get(t.username) ?? 0,
            ]),
          ),
        };
      }
      case 'failures':
        return {
          columns: ['period', 'start', 'end', 'dimension', 'key', 'failures'],
          rows: windows.flatMap((w) =>
            (
              [
                ['device_type', w.failures.by_device_type],
                ['site', w.failures.by_site],
                ['cause', w.failures.by_cause],
              ] as const
            ).flatMap(([dimension, counts]) =>
              Object.entries(counts)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([key, n]) => [...head(w), dimension, key, n]),
            ),
          ),
        };
      case 'mtbf':
        return {
          columns: ['period', 'start', 'end', 'scope', 'key', 'device_type', 'intervals', 'mtbf_hours'],
          rows: windows.flatMap((w) => [
            ...w.mtbf.by_device_type.map((m) => [
              ...head(w),
              'device_type',
              m.key,
              m.device_type,
              m.intervals,
              hours(m.mean_ms),
            ]),
            ...w.mtbf.by_device.map((m) => [
              ...head(w),
              'device',
              m.key,
              m.device_type,
              m.intervals,
              hours(m.mean_ms),
            ]),
          ]),
        };
    }
  }

  /**
   * The table as CSV: RFC 4180 quoting by csv-stringify, empty cells for missing figures, and a
   * byte-order mark so spreadsheet programs read the UTF-8 (Chinese names) right.
   */
  csv(name: ReportName, report: KpiReport): string {
    const { columns, rows } = this.table(name, report);
    return stringify(rows, { header: true, columns, bom: true });
  }

  /**
   * Every table's CSV in one zip (`fileName(name)` per table), all from this one computation so
   * the files agree with each other; dated as of the report's time.
   */
  zip(report: KpiReport, fileName: (name: ReportName) => string): Uint8Array {
    const mtime = new Date(report.as_of);
    return zipSync(
      Object.fromEntries(
        REPORT_NAMES.map((name) => [fileName(name), [strToU8(this.csv(name, report)), { mtime }] as const]),
      ),
      { level: 6 },
    );
  }

  /**
   * The display names of everyone the orders name (assignees and assistants), from the users
   * table; someone deleted since is absent and keeps their user name in the figures.
   */
  private async displayNames(orders: readonly KpiOrder[]): Promise<DisplayNames> {
    const people = new Set<string>();
    for (const o of orders) {
      if (o.assignee) people.add(o.assignee);
      for (const h of o.helpers) people.add(h);
    }
    if (people.size === 0) return new Map();
    const names = new Map<string, string>();
    // Chunks keep the bound parameters well under SQLite's limit on any estate.
    const all = [...people];
    for (let i = 0; i < all.length; i += 500) {
      const rows = await this.db
        .selectFrom('users')
        .select(['username', 'display_name'])
        .where('username', 'in', all.slice(i, i + 500))
        .execute();
      for (const r of rows) if (r.display_name) names.set(r.username, r.display_name);
    }
    return names;
  }

  private async siteZone(site: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sites')
      .select('timezone')
      .where('id', '=', site)
      .executeTakeFirst();
    return row?.timezone;
  }

  /** Every order created before `to` in the sites, with its status history and assistants. */
  private async load(sites: string[] | 'all', to: number): Promise<KpiOrder[]> {
    if (sites !== 'all' && sites.length === 0) return [];
    let q = this.db
      .selectFrom('work_orders')
      .select([
        'id',
        'site',
        'device',
        'rule_id',
        'kind',
        'source',
        'status',
        'priority',
        'created_at',
        'acknowledged_at',
        'dispatched_at',
        'completed_at',
        'cancelled_at',
        'closed_at',
        'updated_at',
        'response_due_at',
        'completion_due_at',
        'response_limit_ms',
        'completion_limit_ms',
        'sla_paused_since',
        'sla_paused_ms',
        'sla_applied_pause_ms',
        'escalation_level',
        'assignee',
        'rating',
        'fault_category',
        'reopen_count',
        'reject_count',
        'first_time_fix',
      ])
      .where('created_at', '<', to);
    if (sites !== 'all') q = q.where('site', 'in', sites);
    const rows = await q.orderBy('id').execute();
    if (rows.length === 0) return [];

    let events = this.db
      .selectFrom('work_order_events as e')
      .innerJoin('work_orders as o', 'o.id', 'e.order_id')
      .select(['e.order_id', 'e.ts', 'e.to_status'])
      .where('e.to_status', 'is not', null)
      .where('e.ts', '<', to)
      .where('o.created_at', '<', to);
    if (sites !== 'all') events = events.where('o.site', 'in', sites);
    const timelines = new Map<number, Array<{ ts: number; status: string }>>();
    for (const e of await events.orderBy('e.ts').orderBy('e.id').execute()) {
      const id = Number(e.order_id);
      const step = { ts: Number(e.ts), status: e.to_status as string };
      const list = timelines.get(id);
      if (list) list.push(step);
      else timelines.set(id, [step]);
    }

    let helpers = this.db
      .selectFrom('work_order_assignees as a')
      .innerJoin('work_orders as o', 'o.id', 'a.order_id')
      .select(['a.order_id', 'a.username'])
      .where('a.role', '!=', 'primary')
      .where('o.created_at', '<', to);
    if (sites !== 'all') helpers = helpers.where('o.site', 'in', sites);
    const helpersOf = new Map<number, string[]>();
    for (const h of await helpers.execute()) {
      const id = Number(h.order_id);
      const list = helpersOf.get(id);
      if (list) list.push(h.username);
      else helpersOf.set(id, [h.username]);
    }

    const typeOf = new Map<string, string>();
    return rows.map((r) => {
      const id = Number(r.id);
      let deviceType = 'none';
      if (r.device !== null) {
        const known = typeOf.get(r.device) ?? this.opts.deviceType?.(r.device, r.rule_id);
        deviceType = known ?? 'unknown';
        if (known) typeOf.set(r.device, known);
      }
      const { rule_id: _rule, closed_at, updated_at, ...order } = r;
      return {
        ...order,
        id,
        device_type: deviceType,
        helpers: helpersOf.get(id) ?? [],
        timeline:
          timelines.get(id) ??
          fallbackTimeline(r.created_at, r.status, [r.completed_at, r.cancelled_at, closed_at, updated_at]),
      };
    });
  }
}

/** An order without status events (written before the event log, or by hand): its columns tell. */
function fallbackTimeline(createdAt: number, status: string, closedAt: Array<number | null>) {
  const timeline = [{ ts: createdAt, status: 'pending_acceptance' }];
  if (status === 'completed' || status === 'closed' || status === 'cancelled') {
    timeline.push({ ts: closedAt.find((t): t is number => t !== null) ?? createdAt, status });
  }
  return timeline;
}
