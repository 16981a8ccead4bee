import {
  type AssetsResponse,
  type DeviceSummary,
  ENERGY_INTERVALS,
  ENERGY_UTILITIES,
  type EnergyGroup,
  type EnergyPeak,
  type EnergyReport,
  type EnergyTotal,
} from '@caretaker/protocol';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.js';
import { DataTable, LoadState, SelectField } from '../../components/page-parts.js';
import { useTitle } from '../../components/use-title.js';
import { csvUrl, energyApi } from './energy.api.js';
import { type EnergyFormat, useEnergyFormat } from './energy-format.js';
import { directionOf, PRESETS, parseFilters, requestOf, scopeOptions } from './energy-shape.js';
import './energy.css';

const EnergyChart = lazy(() => import('./EnergyChart.js'));

type Loaded =
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  | { status: 'ready'; report: EnergyReport };

/**
 * The managers' energy page: pick a utility, a range and its interval, and a scope (site →
 * building → meter); see the total against the period before, peak demand, this period against
 * the last (and the usual for the hour on hourly views), the groups one level down and the
 * biggest movers; export the figures as CSV. Every filter lives in the URL.
 */
export function EnergyPage() {
  const { t } = useTranslation();
  useTitle(t('energy.title'));
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const query = useMemo(() => requestOf(filters, new Date()), [filters]);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [assets, setAssets] = useState<AssetsResponse>({ sites: [] });
  const [devices, setDevices] = useState<DeviceSummary[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([api.assets(controller.signal), api.devices(controller.signal)]).then(
      ([a, d]) => {
        setAssets(a);
        setDevices(d.devices);
      },
      () => undefined,
    );
    return () => controller.abort();
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ status: 'loading' });
    energyApi.report(query, controller.signal).then(
      (report) => setLoaded({ status: 'ready', report }),
      (err: Error) => {
        if (!controller.signal.aborted) setLoaded({ status: 'failed', error: err.message });
      },
    );
    return () => controller.abort();
  }, [query]);

  const set = (
    changes: Partial<
      Record<'utility' | 'range' | 'interval' | 'from' | 'to' | 'site' | 'building' | 'meter', string | null>
    >,
  ) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next);
  };
  const scope = scopeOptions(assets, devices, filters.utility, filters.site, filters.building);

  return (
    <section className="energy-page" aria-labelledby="energy-title">
      <div className="page-head">
        <h1 id="energy-title">{t('energy.title')}</h1>
        <p className="muted">{t('energy.intro')}</p>
      </div>
      <form className="energy-filters" aria-label={t('energy.filters')} onSubmit={(e) => e.preventDefault()}>
        <fieldset className="segmented energy-utilities">
          <legend>{t('energy.utility.label')}</legend>
          {ENERGY_UTILITIES.map((u) => (
            <button
              key={u}
              type="button"
              aria-pressed={filters.utility === u}
              data-utility={u}
              onClick={() => set({ utility: u, meter: null })}
            >
              {t(`energy.utility.${u}`)}
            </button>
          ))}
        </fieldset>
        <SelectField
          label={t('energy.range.label')}
          testId="energy-range"
          value={filters.preset}
          onChange={(range) => set({ range, interval: null })}
          options={PRESETS.map((p) => ({ value: p, label: t(`energy.range.${p}`) }))}
        />
        {filters.preset === 'custom' ? (
          <>
            <label>
              {t('energy.range.from')}
              <input type="date" value={query.from} onChange={(e) => set({ from: e.target.value })} />
            </label>
            <label>
              {t('energy.range.to')}
              <input
                type="date"
                value={filters.to ?? ''}
                min={query.from}
                onChange={(e) => set({ to: e.target.value })}
              />
            </label>
          </>
        ) : null}
        <SelectField
          label={t('energy.interval.label')}
          testId="energy-interval"
          value={filters.interval}
          onChange={(interval) => set({ interval })}
          options={ENERGY_INTERVALS.map((i) => ({ value: i, label: t(`energy.interval.${i}`) }))}
        />
        <SelectField
          label={t('energy.scope.site')}
          testId="energy-site"
          value={filters.site ?? ''}
          onChange={(site) => set({ site, building: null, meter: null })}
          options={scope.sites.map((s) => ({ value: s.id, label: s.name }))}
        >
          <option value="">{t('energy.scope.allSites')}</option>
        </SelectField>
        <SelectField
          label={t('energy.scope.building')}
          testId="energy-building"
          value={filters.building ?? ''}
          disabled={!filters.site}
          onChange={(building) => set({ building, meter: null })}
          options={scope.buildings.map((b) => ({ value: b.id, label: b.name }))}
        >
          <option value="">{t('energy.scope.allBuildings')}</option>
        </SelectField>
        <SelectField
          label={t('energy.scope.meter')}
          testId="energy-meter"
          value={filters.meter ?? ''}
          onChange={(meter) => set({ meter })}
          options={scope.meters.map((m) => ({ value: m.id, label: m.name }))}
        >
          <option value="">{t('energy.scope.allMeters')}</option>
        </SelectField>
        <a
          className="energy-export"
          href={csvUrl(query)}
          download
          data-testid="energy-export"
          aria-label={t('energy.exportLabel')}
        >
          {t('energy.export')}
        </a>
      </form>
      <LoadState
        loading={loaded.status === 'loading'}
        loadingText={t('energy.loading')}
        error={loaded.status === 'failed' ? t('energy.failed', { error: loaded.error }) : null}
        errorTestId="energy-error"
      />
      {loaded.status === 'ready' ? <EnergyBody report={loaded.report} /> : null}
    </section>
  );
}

function EnergyBody({ report }: { report: EnergyReport }) {
  const { t } = useTranslation();
  const format = useEnergyFormat(report.tz, report.interval);
  const unit = t(`energy.units.${report.unit}`, { defaultValue: report.unit });
  const demandUnit = report.demand_unit
    ? t(`energy.units.${report.demand_unit}`, { defaultValue: report.demand_unit })
    : '';
  const amount = (value: number, u = unit) => t('energy.amount', { value: format.number(value), unit: u });
  const ongoing = report.as_of < report.to;
  const { overall } = report;
  const hourly = report.interval === 'hour';
  const chartLabel = t('energy.chart.summary', {
    utility: t(`energy.utility.${report.utility}`),
    interval: t(`energy.interval.${report.interval}`),
    count: overall.series.length,
  });

  return (
    <>
      <p className="muted small" data-testid="energy-as-of">
        {t('energy.asOf', {
          tz: report.tz,
          from: format.day(report.previous_from),
          to: format.day(report.previous_to - 1),
        })}{' '}
        {ongoing ? t('energy.ongoing') : null}
      </p>
      <div className="energy-cards">
        <article
          className="panel energy-card"
          data-testid="energy-total"
          aria-labelledby="energy-total-title"
        >
          <h2 id="energy-total-title">{t('energy.total.title')}</h2>
          <p className="energy-figure">{amount(overall.total.value)}</p>
          <ChangeText total={overall.total} format={format} amount={amount} />
          <p className="muted small">
            {ongoing
              ? t('energy.total.sameTime', { value: amount(overall.total.previous_same_time) })
              : t('energy.total.previous', { value: amount(overall.total.previous) })}
          </p>
        </article>
        {report.demand_unit ? (
          <article
            className="panel energy-card"
            data-testid="energy-peak"
            aria-labelledby="energy-peak-title"
          >
            <h2 id="energy-peak-title">{t('energy.peak.title')}</h2>
            <PeakText
              peak={overall.peak}
              previous={overall.previous_peak}
              format={format}
              amount={(v) => amount(v, demandUnit)}
            />
          </article>
        ) : null}
      </div>
      <figure className="energy-block" aria-labelledby="energy-chart-title">
        <figcaption id="energy-chart-title">
          <h2>{t('energy.chart.title')}</h2>
        </figcaption>
        <Suspense fallback={<p className="muted">{t('energy.chart.loading')}</p>}>
          <EnergyChart group={overall} hourly={hourly} format={format} unit={unit} label={chartLabel} />
        </Suspense>
        <details className="energy-series">
          <summary>{t('energy.chart.table')}</summary>
          <DataTable
            rows={overall.series}
            rowKey={(p) => p.start}
            columns={[
              {
                key: 'period',
                header: t('energy.chart.period'),
                rowHeader: true,
                cell: (p) => format.period(p.start),
              },
              {
                key: 'current',
                header: t('energy.chart.current'),
                num: true,
                cell: (p) => (p.value === null ? '—' : amount(p.value)),
              },
              {
                key: 'previous',
                header: t('energy.chart.previous'),
                num: true,
                cell: (p) => (p.previous === null ? '—' : amount(p.previous)),
              },
              ...(hourly
                ? [
                    {
                      key: 'usual',
                      header: t('energy.chart.usual'),
                      num: true,
                      cell: (p: EnergyGroup['series'][number]) => (p.usual ? amount(p.usual.median) : '—'),
                    },
                  ]
                : []),
            ]}
          />
        </details>
      </figure>
      <GroupsTable report={report} format={format} amount={amount} demandUnit={demandUnit} />
      <section className="energy-block" aria-labelledby="energy-movers-title">
        <h2 id="energy-movers-title">{t('energy.movers.title')}</h2>
        <p className="muted small">{t('energy.movers.intro')}</p>
        {report.movers.length === 0 ? (
          <p className="muted">{t('energy.movers.none')}</p>
        ) : (
          <DataTable
            rows={report.movers}
            className="compact energy-table"
            testId="energy-movers"
            rowKey={(m) => m.meter}
            rowData={(m) => ({ 'data-meter': m.meter })}
            columns={[
              {
                key: 'meter',
                header: t('energy.movers.meter'),
                rowHeader: true,
                cell: (m) => (
                  <>
                    {m.meter}
                    <span className="muted small energy-where">
                      {[m.site_name, m.building_name].filter(Boolean).join(' / ')}
                    </span>
                  </>
                ),
              },
              { key: 'value', header: t('energy.groups.value'), num: true, cell: (m) => amount(m.value) },
              {
                key: 'previous',
                header: t('energy.groups.previous'),
                num: true,
                className: 'energy-wide',
                cell: (m) => amount(m.previous_same_time),
              },
              {
                key: 'change',
                header: t('energy.groups.change'),
                cell: (m) => <ChangeText total={m} format={format} amount={amount} short />,
              },
            ]}
          />
        )}
      </section>
    </>
  );
}

function GroupsTable(props: {
  report: EnergyReport;
  format: EnergyFormat;
  amount: (value: number, unit?: string) => string;
  demandUnit: string;
}) {
  const { report, format, amount, demandUnit } = props;
  const { t } = useTranslation();
  const by = t(`energy.groups.${report.group_by}`);
  return (
    <section className="energy-block" aria-labelledby="energy-groups-title">
      <h2 id="energy-groups-title">{t('energy.groups.title', { by })}</h2>
      {report.groups.length === 0 ? (
        <p className="muted" data-testid="energy-none">
          {t('energy.groups.none')}
        </p>
      ) : (
        <DataTable
          rows={report.groups}
          className="compact energy-table"
          testId="energy-groups"
          rowKey={(g) => g.key}
          rowData={(g) => ({ 'data-group': g.key })}
          columns={[
            { key: 'name', header: t('energy.groups.name'), rowHeader: true, cell: (g) => g.name },
            { key: 'value', header: t('energy.groups.value'), num: true, cell: (g) => amount(g.total.value) },
            {
              key: 'change',
              header: t('energy.groups.change'),
              cell: (g) => <ChangeText total={g.total} format={format} amount={amount} short />,
            },
            ...(report.demand_unit
              ? [
                  {
                    key: 'peak',
                    header: t('energy.groups.peak'),
                    num: true,
                    className: 'energy-wide',
                    cell: (g: EnergyGroup) => (g.peak ? amount(g.peak.value, demandUnit) : '—'),
                  },
                ]
              : []),
          ]}
        />
      )}
    </section>
  );
}

/** The change in words and an arrow, never by colour alone. */
function ChangeText(props: {
  total: EnergyTotal;
  format: EnergyFormat;
  amount: (v: number) => string;
  short?: boolean;
}) {
  const { total, format, amount, short } = props;
  const { t } = useTranslation();
  const direction = directionOf(total);
  const pct = total.change_pct === null ? '' : format.percent(total.change_pct);
  const key = direction === 'down' && total.change_pct === null ? 'downAll' : direction;
  const text = t(short ? `energy.change.short.${key}` : `energy.change.${key}`, {
    pct,
    amount: amount(Math.abs(total.change)),
  });
  return (
    <span className={`energy-change energy-change-${direction}`} data-direction={direction}>
      {text}
    </span>
  );
}

function PeakText(props: {
  peak: EnergyPeak | null;
  previous: EnergyPeak | null;
  format: EnergyFormat;
  amount: (v: number) => string;
}) {
  const { peak, previous, format, amount } = props;
  const { t } = useTranslation();
  if (!peak) return <p className="muted">{t('energy.peak.none')}</p>;
  return (
    <>
      <p className="energy-figure">{amount(peak.value)}</p>
      <p className="small">{t('energy.peak.detail', { time: format.moment(peak.at) })}</p>
      {previous ? (
        <p className="muted small">
          {t('energy.peak.previous', { value: amount(previous.value), time: format.moment(previous.at) })}
        </p>
      ) : null}
    </>
  );
}
