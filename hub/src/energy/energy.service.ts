import {
  type DeviceType,
  type EnergyGroup,
  type EnergyGroupBy,
  type EnergyMover,
  type EnergyPeak,
  type EnergyPoint,
  type EnergyReport,
  type EnergyTotal,
  type EnergyUtility,
  UTILITY_METER_TYPE,
} from '@caretaker/protocol';
import { stringify } from 'csv-stringify/sync';
import { DateTime, IANAZone } from 'luxon';
import { type Actor, canSeeSite } from '../people/actor.js';
import { may } from '../people/permissions.js';
import { calendarPeriods, type EnergyInterval } from '../services/energy.js';
import type { AggregateBucket, Peak, SeriesRef, TimeSeriesStore } from '../storage/time-series-store.js';
import {
  changeOf,
  DEMAND_WINDOW,
  HOUR,
  type Hourly,
  hourlyConsumption,
  peakDemand,
  previousRange,
  type Range,
  round,
  sumBetween,
  sumPerPeriod,
  sumProrated,
  USUAL_WEEKS,
  usualPerHour,
  WEEK,
} from './consumption.js';

/** A refused request: `status` is the HTTP answer, the message starts with the field. */
export class EnergyError extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

interface UtilitySource {
  type: DeviceType;
  counter: string;
  unit: string;
  /** Electricity: the power point peak demand is read from. */
  power: string | null;
}

/** What each utility is read from: the meter type, its counter and (electricity) its power. */
export const UTILITIES: Record<EnergyUtility, UtilitySource> = {
  electricity: {
    type: UTILITY_METER_TYPE.electricity,
    counter: 'import_energy',
    unit: 'kWh',
    power: 'active_power',
  },
  water: { type: UTILITY_METER_TYPE.water, counter: 'total_volume', unit: 'm3', power: null },
  gas: { type: UTILITY_METER_TYPE.gas, counter: 'total_volume', unit: 'm3', power: null },
};

export const DEFAULT_ZONE = 'Asia/Shanghai';
/** Most periods of one query: six weeks of hours, five years of days. */
export const MAX_PERIODS = 2000;
const MAX_SPAN = 5 * 366 * 24 * HOUR;
/** How long an answer is reused for the same question, and how many are kept. */
export const CACHE_MS = 60_000;
const CACHE_ENTRIES = 32;
/** The biggest movers listed. */
export const MOVERS = 10;

/** A meter as the hub knows it: its site (from its telemetry) and building (from the assets). */
export interface MeterInfo {
  id: string;
  type: DeviceType;
  site: string;
  building: string | null;
  site_name?: string;
  building_name?: string;
}

export type When = number | { date: string };

export interface EnergyQuery {
  utility: EnergyUtility;
  interval: EnergyInterval;
  group_by: EnergyGroupBy;
  /** An instant, or a calendar date: its midnight in the report's time zone (`to` is exclusive). */
  from?: When | undefined;
  to?: When | undefined;
  site?: string | undefined;
  building?: string | undefined;
  meter?: string | undefined;
  tz?: string | undefined;
}

export interface EnergyServiceOptions {
  store: TimeSeriesStore;
  /** Every meter the hub knows (any site: the service scopes them to the actor). */
  meters: () => MeterInfo[];
  /** A site's time zone (the sites table). */
  siteZone: (site: string) => Promise<string | undefined>;
  now?: () => number;
}

/** Per meter: hourly consumption over the fetched range. */
interface MeterData {
  meter: MeterInfo;
  hourly: Hourly;
}

/** Peak demand of each group (in the groups' order) and of all the meters together. */
interface Peaks {
  groups: Array<EnergyPeak | null>;
  all: EnergyPeak | null;
}

const DEFAULT_RANGE: Record<EnergyInterval, (today: DateTime) => { from: DateTime; to: DateTime }> = {
  hour: (today) => ({ from: today, to: today.plus({ days: 1 }) }),
  day: (today) => ({ from: today.minus({ days: 29 }), to: today.plus({ days: 1 }) }),
  week: (today) => ({
    from: today.startOf('week').minus({ weeks: 11 }),
    to: today.startOf('week').plus({ weeks: 1 }),
  }),
  month: (today) => ({
    from: today.startOf('month').minus({ months: 11 }),
    to: today.startOf('month').plus({ months: 1 }),
  }),
};

/**
 * The managers' energy figures: consumption of electricity, water or gas per calendar period in
 * the site's time zone, per site, building or meter, against the previous range and the usual
 * for the hour; peak demand; the meters that moved most. Read from the time-series store.
 */
export class EnergyService {
  private readonly now: () => number;
  private readonly recent = new Map<string, { at: number; report: EnergyReport }>();

  constructor(private readonly opts: EnergyServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  async report(actor: Actor, query: EnergyQuery): Promise<EnergyReport> {
    if (!may(actor, 'reports.read'))
      throw new EnergyError(403, `role: a ${actor.role} may not read energy figures`);
    if (query.site && !canSeeSite(actor, query.site))
      throw new EnergyError(403, `site: you do not work at site ${query.site}`);
    const utility = UTILITIES[query.utility];
    const meters = this.metersInScope(actor, query, utility.type);
    const zone = await this.zoneFor(query, meters);
    const now = this.now();
    const today = DateTime.fromMillis(now, { zone }).startOf('day');
    const defaults = DEFAULT_RANGE[query.interval](today);
    const from = instant(query.from, zone, 'from') ?? defaults.from.toMillis();
    const to = instant(query.to, zone, 'to') ?? defaults.to.toMillis();
    if (from >= to) throw new EnergyError(400, 'from: must be before to');
    if (to - from > MAX_SPAN) throw new EnergyError(400, 'from: at most five years per query');
    const periods = calendarPeriods(from, to, query.interval, zone);
    if (periods.length > MAX_PERIODS)
      throw new EnergyError(
        400,
        `from: at most ${MAX_PERIODS} periods of an ${query.interval}; choose a longer interval`,
      );
    const range: Range = {
      start: (periods[0] as Range).start,
      end: (periods[periods.length - 1] as Range).end,
    };
    const previous = previousRange(range, zone);
    const previousPeriods = calendarPeriods(previous.start, previous.end, query.interval, zone);
    // Up to now: a range still going on is compared with the same stretch of the previous one.
    const asOf = Math.min(Math.max(now, range.start), range.end);
    const previousSameTimeEnd =
      asOf >= range.end ? previous.end : Math.min(previous.end, previous.start + (asOf - range.start));
    const hourly = query.interval === 'hour';
    const fetchStart = Math.min(previous.start, hourly ? range.start - USUAL_WEEKS * WEEK : previous.start);
    // The same figures asked for again soon (the CSV export after the page, a second manager)
    // come from the last minute's answer: the meters in scope stand for the caller's sites.
    const key = JSON.stringify([
      query.utility,
      query.interval,
      query.group_by,
      zone,
      range,
      query.site,
      query.building,
      query.meter,
      meters,
    ]);
    const cached = this.recent.get(key);
    if (cached && now >= cached.at && now - cached.at < CACHE_MS) return cached.report;

    // One query at a time, each in a turn of the event loop of its own: the embedded store reads
    // on the event loop, and ingest and socket.io must get their turns in between.
    const data: MeterData[] = [];
    for (const meter of meters) data.push(await this.load(meter, utility, fetchStart, range));
    const grouped = [...groupsOf(data, query.group_by)];
    const power = utility.power;
    const peaks = power
      ? {
          current: await this.peaks(grouped, data, power, { start: range.start, end: asOf }),
          previous: await this.peaks(grouped, data, power, previous),
        }
      : null;
    const summarise = (
      key: string,
      members: MeterData[],
      names: Omit<EnergyGroup, 'series' | 'total' | 'peak' | 'previous_peak' | 'meters' | 'key'>,
      peak: EnergyPeak | null,
      previousPeak: EnergyPeak | null,
    ): EnergyGroup => {
      const current = sumsOf(members, periods);
      const before = sumsOf(members, previousPeriods);
      const usual = hourly
        ? usualPerHour(
            periods.map((p) => p.start),
            members.map((m) => m.hourly),
            zone,
          )
        : null;
      const series = periods.map(
        (p, i): EnergyPoint => ({
          start: p.start,
          end: p.end,
          value: p.start < asOf ? round(current[i] ?? 0) : null,
          previous_start: previousPeriods[i]?.start ?? null,
          previous: previousPeriods[i] ? round(before[i] ?? 0) : null,
          ...(usual ? { usual: usual[i] ?? null } : {}),
        }),
      );
      const value = members.reduce((sum, m) => sum + sumBetween(m.hourly, range.start, range.end), 0);
      const whole = members.reduce((sum, m) => sum + sumBetween(m.hourly, previous.start, previous.end), 0);
      const sameTime = members.reduce(
        (sum, m) => sum + sumProrated(m.hourly, previous.start, previousSameTimeEnd),
        0,
      );
      return {
        key,
        ...names,
        meters: members.map((m) => m.meter.id),
        series,
        total: totalOf(value, whole, sameTime),
        peak,
        previous_peak: previousPeak,
      };
    };

    const groups = grouped.map(([key, members], g) => {
      const meter = (members[0] as MeterData).meter;
      const byMeter = query.group_by === 'meter';
      const bySite = query.group_by === 'site';
      return summarise(
        key,
        members,
        {
          site: meter.site,
          building: bySite ? null : meter.building,
          meter: byMeter ? meter.id : null,
          name: byMeter
            ? meter.id
            : bySite
              ? (meter.site_name ?? meter.site)
              : (meter.building_name ?? meter.building ?? '—'),
        },
        peaks?.current.groups[g] ?? null,
        peaks?.previous.groups[g] ?? null,
      );
    });
    const overall = summarise(
      'all',
      data,
      {
        site: query.site ?? null,
        building: query.building ?? null,
        meter: query.meter ?? null,
        name: 'all',
      },
      peaks?.current.all ?? null,
      peaks?.previous.all ?? null,
    );
    const movers = data
      .map((m): EnergyMover => {
        const value = sumBetween(m.hourly, range.start, range.end);
        return {
          meter: m.meter.id,
          site: m.meter.site,
          building: m.meter.building,
          site_name: m.meter.site_name ?? m.meter.site,
          building_name: m.meter.building_name ?? m.meter.building,
          ...totalOf(
            value,
            sumBetween(m.hourly, previous.start, previous.end),
            sumProrated(m.hourly, previous.start, previousSameTimeEnd),
          ),
        };
      })
      .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.meter.localeCompare(b.meter))
      .slice(0, MOVERS);
    const report: EnergyReport = {
      utility: query.utility,
      unit: utility.unit,
      demand_unit: utility.power ? 'kW' : null,
      interval: query.interval,
      group_by: query.group_by,
      tz: zone,
      from: range.start,
      to: range.end,
      previous_from: previous.start,
      previous_to: previous.end,
      as_of: asOf,
      overall,
      groups,
      movers,
    };
    this.recent.delete(key);
    this.recent.set(key, { at: now, report });
    // A Map keeps insertion order: the first key is the oldest.
    for (const old of this.recent.keys()) {
      if (this.recent.size <= CACHE_ENTRIES) break;
      this.recent.delete(old);
    }
    return report;
  }

  /** One row per group and period, in the report's time zone, for a spreadsheet. */
  csv(report: EnergyReport): string {
    const local = (ms: number | null) =>
      ms === null ? '' : DateTime.fromMillis(ms, { zone: report.tz }).toISO({ suppressMilliseconds: true });
    const rows = report.groups.flatMap((group) =>
      group.series.map((p) => [
        group.key,
        group.name,
        local(p.start),
        local(p.end),
        p.value ?? '',
        local(p.previous_start),
        p.previous ?? '',
        p.usual?.median ?? '',
        report.unit,
      ]),
    );
    return stringify(rows, {
      bom: true,
      header: true,
      columns: [
        'group',
        'name',
        'period_start',
        'period_end',
        'consumption',
        'previous_period_start',
        'previous_consumption',
        'usual',
        'unit',
      ],
    });
  }

  private metersInScope(actor: Actor, query: EnergyQuery, type: DeviceType): MeterInfo[] {
    const all = this.opts.meters().filter((m) => canSeeSite(actor, m.site));
    if (query.meter) {
      const meter = all.find((m) => m.id === query.meter);
      if (!meter || meter.type !== type)
        throw new EnergyError(404, `meter: ${query.meter} is not a ${query.utility} meter of your sites`);
    }
    return all
      .filter(
        (m) =>
          m.type === type &&
          (!query.site || m.site === query.site) &&
          (!query.building || m.building === query.building) &&
          (!query.meter || m.id === query.meter),
      )
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The query's zone, else the one zone of the sites in scope, else the default. */
  private async zoneFor(query: EnergyQuery, meters: readonly MeterInfo[]): Promise<string> {
    if (query.tz) {
      if (!IANAZone.isValidZone(query.tz)) throw new EnergyError(400, `tz: unknown time zone ${query.tz}`);
      return query.tz;
    }
    const sites = query.site ? [query.site] : [...new Set(meters.map((m) => m.site))];
    const zones = new Set(
      await Promise.all(sites.map(async (s) => (await this.opts.siteZone(s)) ?? DEFAULT_ZONE)),
    );
    const [only] = zones;
    return zones.size === 1 && only && IANAZone.isValidZone(only) ? only : DEFAULT_ZONE;
  }

  /**
   * Peak demand over [r.start, r.end) of each group and of all the meters: the store's own
   * answer where it has one (SQLite adds the summaries' means in SQL), else from every meter's
   * demand-window means read one query at a time. The same numbers either way.
   */
  private async peaks(
    groups: ReadonlyArray<[string, MeterData[]]>,
    all: readonly MeterData[],
    point: string,
    r: Range,
  ): Promise<Peaks> {
    if (r.end <= r.start) return { groups: groups.map(() => null), all: null };
    const { store } = this.opts;
    const window = { from: r.start, to: r.end - 1, bucketMs: DEMAND_WINDOW };
    const ref = (m: MeterData): SeriesRef => ({ device: m.meter.id, point });
    await turn();
    const answer = await store.peaks?.({
      ...window,
      groups: groups.map(([, members]) => members.map(ref)),
      all: all.map(ref),
    });
    if (answer) return { groups: answer.groups.map(roundedPeak), all: roundedPeak(answer.all) };
    const demand = new Map<MeterData, AggregateBucket[]>();
    for (const m of all) {
      await turn();
      demand.set(m, await store.aggregate({ ...ref(m), ...window }));
    }
    const of = (members: readonly MeterData[]) => peakDemand(members.map((m) => demand.get(m) ?? []));
    return { groups: groups.map(([, members]) => of(members)), all: of(all) };
  }

  private async load(
    meter: MeterInfo,
    utility: UtilitySource,
    fetchStart: number,
    range: Range,
  ): Promise<MeterData> {
    const { store } = this.opts;
    await turn();
    // One hour before the range gives the counter's step into its first hour.
    const counter = await store.counterBuckets({
      device: meter.id,
      point: utility.counter,
      from: fetchStart - HOUR,
      to: range.end - 1,
      bucketMs: HOUR,
    });
    return { meter, hourly: hourlyConsumption(counter, fetchStart) };
  }
}

/**
 * Lets the event loop poll for I/O (ingest, socket.io) before going on: an immediate queued
 * from another immediate runs in the next loop iteration, after the poll phase.
 */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function instant(when: When | undefined, zone: string, field: string): number | undefined {
  if (when === undefined || typeof when === 'number') return when;
  const day = DateTime.fromISO(when.date, { zone });
  if (!day.isValid) throw new EnergyError(400, `${field}: ${when.date} is not a date`);
  return day.toMillis();
}

function roundedPeak(peak: Peak | null): EnergyPeak | null {
  return peak && { value: round(peak.value), at: peak.ts };
}

function sumsOf(members: readonly MeterData[], periods: readonly Range[]): number[] {
  const sums = periods.map(() => 0);
  for (const member of members) {
    sumPerPeriod(member.hourly, periods).forEach((value, i) => {
      sums[i] = (sums[i] ?? 0) + value;
    });
  }
  return sums;
}

function totalOf(value: number, previous: number, sameTime: number): EnergyTotal {
  return {
    value: round(value),
    previous: round(previous),
    previous_same_time: round(sameTime),
    ...changeOf(value, sameTime),
  };
}

function groupsOf(data: readonly MeterData[], by: EnergyGroupBy): Map<string, MeterData[]> {
  const groups = new Map<string, MeterData[]>();
  for (const entry of data) {
    const { meter } = entry;
    const key =
      by === 'site' ? meter.site : by === 'building' ? `${meter.site}/${meter.building ?? '-'}` : meter.id;
    const list = groups.get(key) ?? [];
    list.push(entry);
    groups.set(key, list);
  }
  return groups;
}
