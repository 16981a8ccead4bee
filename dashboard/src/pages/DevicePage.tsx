import type { AlarmSummary, RuleSummary } from '@caretaker/protocol';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type uPlot from 'uplot';
import { api } from '../api/client.js';
import { AlarmList } from '../components/AlarmList.js';
import { chartTheme, meanBand, timeAxis, valueAxis } from '../components/charts/theme.js';
import { type ChartOptions, useUplot } from '../components/charts/use-uplot.js';
import { pointLabel } from '../components/point-label.js';
import { StateBadge } from '../components/StateBadge.js';
import { useTitle } from '../components/use-title.js';
import { type Formatters, formatLatest, useFormat } from '../i18n/format.js';
import { useAlarms, useDevice, useLiveStore } from '../store/hooks.js';
import { DevicePanels } from './DevicePanels.js';
import { useRules } from './device-api.js';
import {
  alarmPeriods,
  appendLive,
  bucketsToColumns,
  type ChartColumns,
  LIVE_SPAN_MS,
  RANGES,
  type RangeKey,
  thresholds,
} from './device-chart.js';

const CHART_HEIGHT = 170;

/**
 * One device: its values now, and a chart of every point over a chosen range (15 minutes to a
 * year), downsampled by the hub's store to about one bucket per pixel, live readings appended
 * on short ranges, alarm periods shaded and the alarm limits drawn.
 */
export default function DevicePage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const format = useFormat();
  const view = useDevice(id);
  const alarms = useAlarms();
  const [range, setRange] = useState<RangeKey>('1h');
  useTitle(id);
  const deviceAlarms = useMemo(() => alarms.filter((a) => a.device === id), [alarms, id]);
  const rules = useRules(view?.summary.type);
  // Only a new point (not a new value) changes the list of charts.
  const pointNames = view ? Object.keys(view.summary.latest).join('\u0000') : '';
  const keys = view?.keys;
  const points = useMemo(() => {
    const all = pointNames.split('\u0000').filter(Boolean);
    return [...(keys ?? []), ...all.filter((p) => !keys?.includes(p)).sort()];
  }, [pointNames, keys]);

  if (!view) {
    return (
      <section>
        <p>
          <Link to="/">{t('device.back')}</Link>
        </p>
        <p role="status">{t('device.notFound', { device: id })}</p>
      </section>
    );
  }
  const { summary } = view;
  return (
    <section aria-labelledby="device-title" className="device-page" data-device-page={id}>
      <p className="small">
        <Link to="/">← {t('device.back')}</Link>
      </p>
      <div className="page-head">
        <h1 id="device-title">{id}</h1>
        <StateBadge state={view.state} t={t} />
        <p className="muted">
          {t(`types.${summary.type}`)} · {view.site.name}
          {view.building ? ` · ${view.building.name}` : ''}
          {view.room ? ` · ${view.room.name}` : ''} · {summary.gateway}
          {summary.last_seen !== null
            ? ` · ${t('device.lastSeen', { time: format.time(summary.last_seen) })}`
            : ''}
        </p>
      </div>
      <div className="device-top">
        <section aria-labelledby="values-title" className="panel">
          <h2 id="values-title">{t('device.valuesNow')}</h2>
          <table className="table compact">
            <tbody>
              {points.map((point) => {
                const latest = summary.latest[point];
                if (!latest) return null;
                return (
                  <tr key={point}>
                    <th scope="row">{pointLabel(t, point)}</th>
                    <td className="num" data-testid={`now-${point}`}>
                      {formatLatest(latest, format, t('values.on'), t('values.off'))}
                      {latest.unit && typeof latest.value === 'number' ? ` ${latest.unit}` : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="device-alarms-title" className="panel">
          <h2 id="device-alarms-title">{t('device.openAlarms')}</h2>
          <AlarmList device={id} />
        </section>
      </div>
      <DevicePanels view={view} />
      <section aria-labelledby="charts-title">
        <div className="page-head">
          <h2 id="charts-title">{t('device.charts')}</h2>
          <fieldset className="segmented ranges">
            <legend className="visually-hidden">{t('device.range')}</legend>
            {(Object.keys(RANGES) as RangeKey[]).map((key) => (
              <button
                key={key}
                type="button"
                aria-pressed={range === key}
                data-range={key}
                onClick={() => setRange(key)}
              >
                {t(`ranges.${key}`)}
              </button>
            ))}
          </fieldset>
        </div>
        <p className="muted small">
          <span className="legend-shade" aria-hidden="true" /> {t('device.alarmPeriods')} ·{' '}
          <span className="legend-dash" aria-hidden="true" /> {t('device.thresholds')}
        </p>
        <div className="charts">
          {points
            .filter((p) => typeof summary.latest[p]?.value !== 'string')
            .map((point) => (
              <PointChart
                key={point}
                device={id}
                point={point}
                unit={summary.latest[point]?.unit}
                range={range}
                alarms={deviceAlarms}
                rules={rules}
                format={format}
              />
            ))}
        </div>
      </section>
    </section>
  );
}

interface PointChartProps {
  device: string;
  point: string;
  unit: string | undefined;
  range: RangeKey;
  alarms: readonly AlarmSummary[];
  rules: readonly RuleSummary[];
  format: Formatters;
}

const PointChart = memo(function PointChart({
  device,
  point,
  unit,
  range,
  alarms,
  rules,
  format,
}: PointChartProps) {
  const { t } = useTranslation();
  const store = useLiveStore();
  const box = useRef<HTMLDivElement>(null);
  const columns = useRef<ChartColumns>([[], [], [], []]);
  const overlay = useRef({ periods: [] as Array<[number, number]>, limits: [] as number[] });
  const [status, setStatus] = useState<'loading' | 'ready' | 'empty' | { error: string }>('loading');
  const [extent, setExtent] = useState<{ min: number; max: number } | null>(null);
  const spanMs = RANGES[range];
  const label = pointLabel(t, point);

  overlay.current = {
    periods: alarmPeriods(alarms, device, Date.now()),
    limits: thresholds(alarms, device, point, rules),
  };

  // One uPlot per chart and range; language and theme are read when it is built.
  const opts = useMemo((): ChartOptions => {
    const theme = chartTheme();
    return {
      height: CHART_HEIGHT,
      // The chosen range up to now, also while live readings are appended.
      scales: {
        x: {
          time: true,
          range: () => {
            const to = Date.now() / 1000;
            return [to - spanMs / 1000, to];
          },
        },
      },
      ...meanBand(theme, { mean: t('device.mean'), min: t('device.min'), max: t('device.max') }, format),
      axes: [timeAxis(theme, format.axis), valueAxis(theme, format.number)],
      hooks: {
        drawClear: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.fillStyle = theme.shade;
            for (const [start, end] of overlay.current.periods) {
              const x0 = Math.max(bbox.left, u.valToPos(start / 1000, 'x', true));
              const x1 = Math.min(bbox.left + bbox.width, u.valToPos(end / 1000, 'x', true));
              if (x1 > x0) ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
            }
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.strokeStyle = theme.limit;
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1.5;
            for (const limit of overlay.current.limits) {
              const y = u.valToPos(limit, 'y', true);
              if (y < bbox.top || y > bbox.top + bbox.height) continue;
              ctx.beginPath();
              ctx.moveTo(bbox.left, y);
              ctx.lineTo(bbox.left + bbox.width, y);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
  }, [format, t, spanMs]);
  // The data live in a ref (appended to between renders); the chart is given them in place.
  const plot = useUplot(box, opts, columns.current as uPlot.AlignedData);

  // History from the store, about one bucket per pixel.
  useEffect(() => {
    const controller = new AbortController();
    const to = Date.now();
    const from = to - spanMs;
    const buckets = Math.min(1000, Math.max(100, Math.round(box.current?.clientWidth ?? 600)));
    setStatus('loading');
    api.series(device, { point, from, to, buckets }, controller.signal).then(
      (res) => {
        columns.current = bucketsToColumns(res.buckets);
        plot.current?.setData(columns.current as uPlot.AlignedData);
        const present = res.buckets.filter((b) => b.count > 0);
        setExtent(
          present.length > 0
            ? { min: Math.min(...present.map((b) => b.min)), max: Math.max(...present.map((b) => b.max)) }
            : null,
        );
        setStatus(present.length > 0 ? 'ready' : 'empty');
      },
      (err: Error) => {
        if (!controller.signal.aborted) setStatus({ error: err.message });
      },
    );
    return () => controller.abort();
  }, [device, point, spanMs, plot]);

  // Live readings on short ranges: appended as they reach the store.
  useEffect(() => {
    if (spanMs > LIVE_SPAN_MS) return;
    return store.subscribeDevice(device, () => {
      const latest = store.device(device)?.summary.latest[point];
      if (!latest || latest.value === null || status === 'loading') return;
      const value = typeof latest.value === 'boolean' ? Number(latest.value) : latest.value;
      const next = appendLive(columns.current, latest.ts, value, Date.now() - spanMs);
      if (next === columns.current) return;
      columns.current = next;
      plot.current?.setData(next as uPlot.AlignedData);
    });
  }, [store, device, point, spanMs, status, plot]);

  // Alarms change the shading and limits without new data.
  // biome-ignore lint/correctness/useExhaustiveDependencies: redraw when the alarms change
  useEffect(() => {
    plot.current?.redraw(false);
  }, [alarms]);

  const title = unit ? `${label} (${unit})` : label;
  return (
    <figure className="chart panel" data-chart={point} data-limits={overlay.current.limits.join(' ')}>
      <figcaption>
        {title}
        {overlay.current.limits.length > 0 ? (
          <span className="muted small">
            {' '}
            · {t('device.limits', { values: overlay.current.limits.map((v) => format.number(v)).join(', ') })}
          </span>
        ) : null}
        {status === 'loading' ? <span className="muted small"> · {t('device.loading')}</span> : null}
        {status === 'empty' ? <span className="muted small"> · {t('device.noData')}</span> : null}
        {typeof status === 'object' ? (
          <span className="error small"> · {t('device.failed', { error: status.error })}</span>
        ) : null}
      </figcaption>
      <div
        ref={box}
        className="chart-box"
        role="img"
        aria-label={
          extent
            ? t('device.chartOf', {
                point: label,
                range: t(`ranges.${range}`),
                min: format.number(extent.min),
                max: format.number(extent.max),
              })
            : title
        }
      />
    </figure>
  );
});
