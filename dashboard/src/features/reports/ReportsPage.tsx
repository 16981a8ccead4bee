import type { KpiReport, KpiWindow, ReportName } from '@caretaker/protocol';
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { LoadState } from '../../components/page-parts.js';
import { useTitle } from '../../components/use-title.js';
import { useFormat } from '../../i18n/format.js';
import { LineChart } from './LineChart.js';
import { type ReportFormat, useReportFormat } from './report-format.js';
import {
  backlogStacks,
  type Change,
  change,
  type FailureDimension,
  failureStacks,
  type Limit,
  mtbfLines,
  mttrLines,
  onTimeLines,
  PRESETS,
  parsePreset,
  presetRanges,
  reportZone,
  type SortDirection,
  sortTechnicians,
  type TechnicianColumn,
  technicianRows,
} from './report-shape.js';
import { csvUrl, exportAllUrl, type ReportRequest, reportsApi, type SiteRow } from './reports-api.js';
import { StackedBars } from './StackedBars.js';
import './reports.css';

const HOUR = 3_600_000;
type Loaded =
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  | { status: 'ready'; report: KpiReport; previous: KpiReport | null };

/**
 * The managers' page: failures per month by device type, site and cause, MTBF and MTTR trends,
 * on-time rate per priority, backlog by age, technicians' load and ratings, and key figures with
 * their change against the previous period. Range and site live in the URL (?range=6m&site=x),
 * so a view can be bookmarked and shared.
 */
export function ReportsPage() {
  const { t } = useTranslation();
  const format = useReportFormat();
  const plain = useFormat();
  useTitle(t('reports.title'));
  const [params, setParams] = useSearchParams();
  const preset = parsePreset(params.get('range'));
  const site = params.get('site') ?? undefined;
  // null until known: the months are counted in the sites' zone, so the figures wait for it.
  const [sites, setSites] = useState<SiteRow[] | null>(null);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    reportsApi.sites(controller.signal).then(
      (res) => setSites(res.sites),
      () => {
        if (!controller.signal.aborted) setSites([]);
      },
    );
    return () => controller.abort();
  }, []);

  // The range is fixed when the filters change, so the links and the figures agree.
  const ranges = useMemo(
    () =>
      sites === null
        ? null
        : presetRanges(
            preset,
            Date.now(),
            reportZone(sites, site, Intl.DateTimeFormat().resolvedOptions().timeZone),
            site,
          ),
    [preset, site, sites],
  );

  useEffect(() => {
    if (!ranges) return;
    const controller = new AbortController();
    setLoaded({ status: 'loading' });
    Promise.all([
      reportsApi.kpis(ranges.current, controller.signal),
      // The comparison is an extra: the page stands without it.
      reportsApi.kpis(ranges.previous, controller.signal).catch(() => null),
    ]).then(
      ([report, previous]) => setLoaded({ status: 'ready', report, previous }),
      (err: Error) => {
        if (!controller.signal.aborted) setLoaded({ status: 'failed', error: err.message });
      },
    );
    return () => controller.abort();
  }, [ranges]);

  const setFilter = (key: 'range' | 'site', value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };

  const siteName = useCallback((id: string) => sites?.find((s) => s.id === id)?.name ?? id, [sites]);

  return (
    <section className="reports-page" aria-labelledby="reports-title">
      <div className="page-head">
        <h1 id="reports-title">{t('reports.title')}</h1>
        <p className="muted">{t('reports.intro')}</p>
      </div>
      <div className="toolbar report-filters">
        <fieldset className="segmented ranges">
          <legend className="visually-hidden">{t('reports.range.label')}</legend>
          {PRESETS.map((p) => (
            <button
              key={p}
              type="button"
              aria-pressed={preset === p}
              data-range={p}
              onClick={() => setFilter('range', p)}
            >
              {t(`reports.range.${p}`)}
            </button>
          ))}
        </fieldset>
        <label className="report-site">
          {t('reports.site.label')}{' '}
          <select
            data-testid="report-site"
            value={site ?? ''}
            onChange={(e) => setFilter('site', e.target.value || undefined)}
          >
            <option value="">{t('reports.site.all')}</option>
            {(sites ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {site && !sites?.some((s) => s.id === site) ? <option value={site}>{site}</option> : null}
          </select>
        </label>
        {ranges ? (
          <a className="button-link" href={exportAllUrl(ranges.current)} download data-testid="export-all">
            {t('reports.export.all')}
          </a>
        ) : null}
      </div>
      <LoadState
        loading={loaded.status === 'loading'}
        loadingText={t('reports.loading')}
        error={loaded.status === 'failed' ? t('reports.failed', { error: loaded.error }) : null}
      />
      {loaded.status === 'ready' && ranges ? (
        <ReportBody
          report={loaded.report}
          previous={loaded.previous}
          query={ranges.current}
          compare={
            preset === 'ytd'
              ? t('reports.compareYear')
              : t('reports.compareRolling', { months: plain.number(ranges.months) })
          }
          siteName={siteName}
          format={format}
          asOf={plain.dateTime(loaded.report.as_of)}
        />
      ) : null}
    </section>
  );
}

interface BodyProps {
  report: KpiReport;
  previous: KpiReport | null;
  query: ReportRequest;
  compare: string;
  siteName: (id: string) => string;
  format: ReportFormat;
  asOf: string;
}

function ReportBody({ report, previous, query, compare, siteName, format, asOf }: BodyProps) {
  const { t } = useTranslation();
  const periods = report.periods;
  const [limit, setLimit] = useState<Limit>('completion');
  const typeLabel = useCallback(
    (key: string) =>
      key === 'none' || key === 'unknown'
        ? t(`reports.deviceTypes.${key}`)
        : t(`types.${key}`, { defaultValue: key.replaceAll('_', ' ') }),
    [t],
  );
  const causeLabel = useCallback((key: string) => t(`reports.causes.${key}`, { defaultValue: key }), [t]);
  const labelOf: Record<FailureDimension, (key: string) => string> = {
    device_type: typeLabel,
    site: siteName,
    cause: causeLabel,
  };
  const mtbf = useMemo(() => mtbfLines(periods), [periods]);
  const mttr = useMemo(() => mttrLines(periods), [periods]);
  const onTime = useMemo(() => onTimeLines(periods, limit), [periods, limit]);
  const backlog = useMemo(() => backlogStacks(periods), [periods]);
  const hours = useCallback((v: number | null) => format.duration(v === null ? null : v * HOUR), [format]);
  const hourTick = useCallback((v: number) => format.duration(v * HOUR), [format]);
  const trendLabel = useCallback((key: string) => t(`reports.trends.${key}_series`), [t]);
  const priorityLabel = useCallback(
    (key: string) =>
      key === 'all' ? t('reports.onTime.all') : t('reports.onTime.priority', { priority: key }),
    [t],
  );
  const bandLabel = useCallback((key: string) => t(`reports.backlog.${key}`), [t]);
  const onTimeCell = useCallback(
    (key: string, i: number) => {
      const o = periods[i]?.on_time[limit][key as '1'];
      if (!o || o.on_time + o.late === 0) return '—';
      return t('reports.onTime.cell', {
        rate: format.percent(o.rate),
        onTime: format.count(o.on_time),
        judged: format.count(o.on_time + o.late),
      });
    },
    [periods, limit, format, t],
  );
  const last = periods[periods.length - 1];

  return (
    <>
      <p className="muted small" data-testid="report-as-of">
        {t('reports.asOf', { time: asOf, tz: report.tz })} {compare}
      </p>
      <KeyFigures total={report.total} previous={previous?.total ?? null} query={query} format={format} />

      <ReportSection
        id="failures"
        title={t('reports.failures.title')}
        intro={t('reports.failures.intro')}
        csv={csvUrl('failures', query)}
      >
        <div className="report-multiples">
          {(['device_type', 'site', 'cause'] as const).map((dimension) => (
            <StackedBars
              key={dimension}
              id={`failures-${dimension}`}
              title={t(`reports.failures.${dimension}`)}
              data={failureStacks(periods, dimension)}
              labelOf={labelOf[dimension]}
              format={format}
            />
          ))}
        </div>
      </ReportSection>

      <ReportSection
        id="trends"
        title={t('reports.trends.title')}
        intro={t('reports.trends.mtbfIntro')}
        csv={csvUrl('mtbf', query)}
      >
        {mtbf.series.length === 0 ? <p className="muted">{t('reports.trends.noMtbf')}</p> : null}
        <div className="report-multiples">
          {mtbf.series.length > 0 ? (
            <LineChart
              id="mtbf"
              title={t('reports.trends.mtbf')}
              lines={mtbf}
              labelOf={typeLabel}
              formatValue={hours}
              axisValue={hourTick}
              format={format}
            />
          ) : null}
          <LineChart
            id="mttr"
            title={t('reports.trends.mttr')}
            lines={mttr}
            labelOf={trendLabel}
            formatValue={hours}
            axisValue={hourTick}
            format={format}
          />
        </div>
      </ReportSection>

      <ReportSection
        id="on-time"
        title={t('reports.onTime.title')}
        intro={t('reports.onTime.intro')}
        csv={csvUrl('on-time', query)}
      >
        <fieldset className="segmented ranges">
          <legend>{t('reports.onTime.limit')}</legend>
          {(['completion', 'response'] as const).map((l) => (
            <button
              key={l}
              type="button"
              aria-pressed={limit === l}
              data-limit={l}
              onClick={() => setLimit(l)}
            >
              {t(`reports.onTime.${l}`)}
            </button>
          ))}
        </fieldset>
        <LineChart
          id="on-time"
          title={`${t('reports.onTime.title')} · ${t(`reports.onTime.${limit}`)}`}
          lines={onTime}
          labelOf={priorityLabel}
          formatValue={format.percent}
          axisValue={format.percent}
          format={format}
          range={[0, 1]}
          cell={onTimeCell}
        />
      </ReportSection>

      <ReportSection
        id="backlog"
        title={t('reports.backlog.title')}
        intro={t('reports.backlog.intro')}
        csv={csvUrl('backlog', query)}
      >
        {last ? (
          <p data-testid="backlog-now">
            {t('reports.backlog.now', {
              open: format.count(last.backlog.open),
              overdue: format.count(last.backlog.overdue),
              deferred: format.count(last.backlog.deferred),
            })}
          </p>
        ) : null}
        <StackedBars
          id="backlog"
          title={t('reports.backlog.title')}
          data={backlog}
          labelOf={bandLabel}
          format={format}
        />
      </ReportSection>

      <ReportSection
        id="technicians"
        title={t('reports.technicians.title')}
        intro={t('reports.technicians.intro')}
        csv={csvUrl('technicians', query)}
      >
        <TechniciansTable report={report} format={format} />
      </ReportSection>
    </>
  );
}

function ReportSection(props: {
  id: ReportName | 'trends';
  title: string;
  intro: string;
  csv: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const { id, title, intro, csv, children } = props;
  return (
    <section className="panel report-section" aria-labelledby={`section-${id}`} data-section={id}>
      <div className="section-head">
        <h2 id={`section-${id}`}>{title}</h2>
        <a
          className="button-link"
          href={csv}
          download
          data-csv={id}
          aria-label={t('reports.export.csvOf', { section: title })}
        >
          {t('reports.export.csv')}
        </a>
      </div>
      <p className="muted small">{intro}</p>
      {children}
    </section>
  );
}

interface FigureSpec {
  key: string;
  label: string;
  value: (w: KpiWindow) => number | null;
  show: (v: number | null) => string;
  /** The change in words ("12.5 points", "2 hr 5 min"), always positive: the word says which way. */
  delta: (d: number) => string;
  better: 'up' | 'down' | null;
  detail: (w: KpiWindow) => string;
}

interface KeyFiguresProps {
  total: KpiWindow;
  previous: KpiWindow | null;
  query: ReportRequest;
  format: ReportFormat;
}

function KeyFigures({ total, previous, query, format }: KeyFiguresProps) {
  const { t } = useTranslation();
  const points = (d: number) =>
    t('reports.figures.points', { value: format.signed(Math.abs(d) * 100, 1).replace(/^\+/, '') });
  const figures: FigureSpec[] = [
    {
      key: 'created',
      label: t('reports.figures.created'),
      value: (w) => w.orders.created,
      show: (v) => (v === null ? '—' : format.count(v)),
      delta: (d) => format.count(Math.abs(d)),
      better: null,
      detail: (w) =>
        t('reports.figures.createdDetail', {
          completed: format.count(w.orders.completed),
          cancelled: format.count(w.orders.cancelled),
        }),
    },
    {
      key: 'mtta',
      label: t('reports.figures.mtta'),
      value: (w) => w.mtta.mean_ms,
      show: format.duration,
      delta: (d) => format.duration(Math.abs(d)),
      better: 'down',
      detail: (w) => t('reports.figures.mttaDetail', { count: format.count(w.mtta.count) }),
    },
    {
      key: 'mttr',
      label: t('reports.figures.mttr'),
      value: (w) => w.mttr.mean_ms,
      show: format.duration,
      delta: (d) => format.duration(Math.abs(d)),
      better: 'down',
      detail: (w) => t('reports.figures.mttrDetail', { count: format.count(w.mttr.count) }),
    },
    {
      key: 'on-time',
      label: t('reports.figures.onTime'),
      value: (w) => w.on_time.completion.all.rate,
      show: format.percent,
      delta: points,
      better: 'up',
      detail: (w) =>
        t('reports.figures.onTimeDetail', {
          onTime: format.count(w.on_time.completion.all.on_time),
          late: format.count(w.on_time.completion.all.late),
        }),
    },
    {
      key: 'ftf',
      label: t('reports.figures.ftf'),
      value: (w) => w.first_time_fix.rate,
      show: format.percent,
      delta: points,
      better: 'up',
      detail: (w) =>
        t('reports.figures.ftfDetail', {
          first: format.count(w.first_time_fix.first_time),
          completed: format.count(w.first_time_fix.completed),
        }),
    },
    {
      key: 'pm',
      label: t('reports.figures.pm'),
      value: (w) => w.pm_compliance.rate,
      show: format.percent,
      delta: points,
      better: 'up',
      detail: (w) =>
        t('reports.figures.pmDetail', {
          onTime: format.count(w.pm_compliance.on_time),
          late: format.count(w.pm_compliance.late),
        }),
    },
  ];
  return (
    <section className="panel report-section" aria-labelledby="figures-title">
      <div className="section-head">
        <h2 id="figures-title">{t('reports.figures.title')}</h2>
        <a
          className="button-link"
          href={csvUrl('kpis', query)}
          download
          data-csv="kpis"
          aria-label={t('reports.export.csvOf', { section: t('reports.figures.title') })}
        >
          {t('reports.export.csv')}
        </a>
      </div>
      <ul className="figures">
        {figures.map((f) => {
          const now = f.value(total);
          const before = previous ? f.value(previous) : null;
          return (
            <li key={f.key} className="figure" data-figure={f.key}>
              <p className="figure-label">{f.label}</p>
              <p className="figure-value" data-testid={`figure-${f.key}`}>
                {f.show(now)}
              </p>
              <p className="muted small">{f.detail(total)}</p>
              <ChangeLine c={change(now, before, f.better)} spec={f} before={before} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const ARROWS = { up: '▲', down: '▼', same: '▬', none: '·' } as const;

function ChangeLine({ c, spec, before }: { c: Change; spec: FigureSpec; before: number | null }) {
  const { t } = useTranslation();
  const words =
    c.direction === 'none'
      ? t('reports.figures.none')
      : c.direction === 'same'
        ? t('reports.figures.same')
        : t(`reports.figures.${c.direction}`, { delta: spec.delta(c.delta ?? 0) });
  return (
    <p
      className={`change change-${c.verdict ?? 'neutral'}`}
      data-testid={`change-${spec.key}`}
      data-direction={c.direction}
    >
      <span aria-hidden="true">{ARROWS[c.direction]}</span> {words}
      {c.verdict ? ` (${t(`reports.figures.${c.verdict}`)})` : ''}
      {before !== null ? ` · ${t('reports.figures.previous', { value: spec.show(before) })}` : ''}
    </p>
  );
}

const COLUMNS: TechnicianColumn[] = [
  'display_name',
  'completed',
  'assisted',
  'ratings',
  'mean_rating',
  'low_ratings',
  'open_now',
];

function TechniciansTable({ report, format }: { report: KpiReport; format: ReportFormat }) {
  const { t } = useTranslation();
  const [sort, setSort] = useState<{ column: TechnicianColumn; direction: SortDirection }>({
    column: 'completed',
    direction: 'descending',
  });
  const rows = useMemo(
    () => sortTechnicians(technicianRows(report.total, report.load), sort.column, sort.direction),
    [report, sort],
  );
  if (rows.length === 0) return <p className="muted">{t('reports.technicians.none')}</p>;
  const cell = (row: (typeof rows)[number], column: TechnicianColumn) => {
    const v = row[column];
    if (column === 'mean_rating') return format.rating(v as number | null);
    return typeof v === 'number' ? format.count(v) : v;
  };
  return (
    <div className="table-wrap">
      <table className="table compact" data-table="technicians">
        <caption className="visually-hidden">{t('reports.technicians.title')}</caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const active = sort.column === column;
              const label = t(`reports.technicians.${column}`);
              return (
                <th
                  key={column}
                  scope="col"
                  className={column === 'display_name' ? '' : 'num'}
                  aria-sort={active ? sort.direction : 'none'}
                >
                  <button
                    type="button"
                    className="sort"
                    data-sort={column}
                    aria-label={t('reports.technicians.sortBy', { column: label })}
                    onClick={() =>
                      setSort({
                        column,
                        direction:
                          active && sort.direction === 'descending'
                            ? 'ascending'
                            : active
                              ? 'descending'
                              : column === 'display_name'
                                ? 'ascending'
                                : 'descending',
                      })
                    }
                  >
                    {label}
                    <span aria-hidden="true">
                      {active ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.username} data-technician={row.username}>
              {COLUMNS.map((column) =>
                column === 'display_name' ? (
                  <th scope="row" key={column}>
                    <span className="technician-name">{row.display_name}</span>
                    {/* The user name tells apart two people of one name; it is the name itself for
                        someone deleted since. */}
                    {row.display_name !== row.username ? (
                      <span className="technician-user">
                        <span className="visually-hidden">{t('reports.technicians.usernameHint')} </span>
                        {row.username}
                      </span>
                    ) : null}
                  </th>
                ) : (
                  <td className="num" key={column} data-key={column}>
                    {cell(row, column)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
