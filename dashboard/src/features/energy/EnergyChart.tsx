import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EnergyGroup } from './energy.api.js';
import type { EnergyFormat } from './energy-format.js';
import { chartColumns } from './energy-shape.js';

export interface EnergyChartProps {
  group: EnergyGroup;
  /** Hourly views draw the usual for the hour as a band and a line. */
  hourly: boolean;
  format: EnergyFormat;
  unit: string;
  label: string;
}

const HEIGHT = 260;

/**
 * This period's consumption as bars, the period before as a dashed line at the same places, and
 * on hourly views the usual range (lowest to highest of the 4 weeks before) as a band with its
 * median dotted. Loaded lazily: uPlot is only fetched by those who open the energy page.
 */
export default function EnergyChart({ group, hourly, format, unit, label }: EnergyChartProps) {
  const { t } = useTranslation();
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue('--muted').trim() || '#4f5d6b';
    const grid = css.getPropertyValue('--border').trim() || '#d0d7de';
    const accent = css.getPropertyValue('--accent').trim() || '#1f5fbf';
    const columns = chartColumns(group.series);
    const value = (_u: uPlot, v: number | null) =>
      v === null || v === undefined ? '—' : t('energy.amount', { value: format.number(v), unit });
    const starts = group.series.map((p) => p.start);
    // Periods are placed by their index: a month's or a DST day's length does not move the bars.
    const bars = uPlot.paths.bars?.({ size: [0.7, 48] });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: HEIGHT,
      scales: {
        x: { time: false, range: [-0.5, Math.max(0.5, starts.length - 0.5)] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      legend: { show: true },
      series: [
        {
          label: t('energy.chart.period'),
          value: (_u, v) => {
            const start = v === null || v === undefined ? undefined : starts[Math.round(v)];
            return start === undefined ? '—' : format.period(start);
          },
        },
        {
          label: t('energy.chart.current'),
          stroke: accent,
          fill: `${accent}99`,
          width: 1,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
          value,
        },
        {
          label: t('energy.chart.previous'),
          stroke: '#b0541a',
          dash: [6, 4],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 5 },
          value,
        },
        ...(hourly
          ? [
              {
                label: t('energy.chart.usualLow'),
                stroke: '#1e7e3466',
                width: 1,
                points: { show: false },
                value,
              },
              {
                label: t('energy.chart.usualHigh'),
                stroke: '#1e7e3466',
                width: 1,
                points: { show: false },
                value,
              },
              {
                label: t('energy.chart.usual'),
                stroke: '#1e7e34',
                dash: [2, 3],
                width: 2,
                spanGaps: true,
                points: { show: false },
                value,
              },
            ]
          : []),
      ],
      ...(hourly ? { bands: [{ series: [4, 3] as [number, number], fill: '#1e7e3426' }] } : {}),
      axes: [
        {
          stroke: text,
          grid: { show: false },
          ticks: { stroke: grid, width: 1 },
          // A label every few periods, as many as fit (about 56 px each).
          splits: (u) => {
            const every = Math.max(
              1,
              Math.ceil(starts.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 56))),
            );
            return starts.map((_, i) => i).filter((i) => i % every === 0);
          },
          values: (_u, splits) =>
            splits.map((i) => (starts[i] === undefined ? '' : format.tick(starts[i] as number))),
        },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 64,
          values: (_u, splits) => splits.map((s) => format.number(s)),
        },
      ],
    };
    const data = (hourly ? columns : columns.slice(0, 3)) as uPlot.AlignedData;
    const chart = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(280, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [group, hourly, format, unit, t]);

  return (
    <div
      ref={box}
      className="energy-chart-box"
      role="img"
      aria-label={label}
      data-testid="energy-chart"
      data-periods={group.series.length}
    />
  );
}
