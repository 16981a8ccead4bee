import type { EnergyGroup } from '@caretaker/protocol';
import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import { chartTheme, indexAxis, indexScale, legendValue, valueAxis } from '../../components/charts/theme.js';
import { type ChartOptions, useUplot } from '../../components/charts/use-uplot.js';
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

  const chart = useMemo(() => {
    const theme = chartTheme();
    const value = legendValue((v) => t('energy.amount', { value: format.number(v), unit }));
    const starts = group.series.map((p) => p.start);
    // Periods are placed by their index: a month's or a DST day's length does not move the bars.
    const bars = uPlot.paths.bars?.({ size: [0.7, 48] });
    const usual = '#1e7e34';
    const opts: ChartOptions = {
      minWidth: 280,
      height: HEIGHT,
      scales: {
        x: indexScale(starts.length),
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
          stroke: theme.accent,
          fill: `${theme.accent}99`,
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
                stroke: `${usual}66`,
                width: 1,
                points: { show: false },
                value,
              },
              {
                label: t('energy.chart.usualHigh'),
                stroke: `${usual}66`,
                width: 1,
                points: { show: false },
                value,
              },
              {
                label: t('energy.chart.usual'),
                stroke: usual,
                dash: [2, 3],
                width: 2,
                spanGaps: true,
                points: { show: false },
                value,
              },
            ]
          : []),
      ],
      ...(hourly ? { bands: [{ series: [4, 3] as [number, number], fill: `${usual}26` }] } : {}),
      axes: [
        indexAxis(
          theme,
          // A label every few periods, as many as fit (about 56 px each).
          (width) => {
            const every = Math.max(1, Math.ceil(starts.length / Math.max(1, Math.floor(width / 56))));
            return starts.map((_, i) => i).filter((i) => i % every === 0);
          },
          (i) => (starts[i] === undefined ? '' : format.tick(starts[i] as number)),
        ),
        valueAxis(theme, (v) => format.number(v), { size: 64 }),
      ],
    };
    const columns = chartColumns(group.series);
    const data = (hourly ? columns : columns.slice(0, 3)) as uPlot.AlignedData;
    return { opts, data };
  }, [group, hourly, format, unit, t]);
  useUplot(box, chart.opts, chart.data);

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
