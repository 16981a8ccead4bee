import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type uPlot from 'uplot';
import { chartTheme, indexAxis, indexScale, legendValue, valueAxis } from '../../components/charts/theme.js';
import { type ChartOptions, useUplot } from '../../components/charts/use-uplot.js';
import { DataTable } from '../../components/page-parts.js';
import { ReportFigure } from './ReportFigure.js';
import type { ReportFormat } from './report-format.js';
import type { Lines } from './report-shape.js';

interface LineChartProps {
  id: string;
  title: string;
  lines: Lines;
  labelOf: (key: string) => string;
  /** A value in the table and the chart's legend. */
  formatValue: (value: number | null) => string;
  /** A tick on the value axis. */
  axisValue: (value: number) => string;
  format: ReportFormat;
  /** Fixed value range (rates: 0–1); the data's own when absent. */
  range?: [number, number];
  /** A table cell's text when it says more than the value (counts behind a rate). */
  cell?: (key: string, index: number) => string;
}

const HEIGHT = 200;
/** Eight series colours that differ in lightness too, not only in hue. */
const COLOURS = ['#1f5fbf', '#b0541a', '#1e7e34', '#8a3ffc', '#b02a37', '#00727a', '#6b5d00', '#4a5568'];
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3], [], [6, 3], [2, 3], [8, 3, 2, 3]];

/**
 * Monthly trend lines (uPlot), one per series, each with its own colour and dash pattern and
 * its points marked; the same figures in a table beside it for screen readers and for reading
 * exact values.
 */
export function LineChart(props: LineChartProps) {
  const { id, title, lines, labelOf, formatValue, axisValue, format, range, cell } = props;
  const { t } = useTranslation();
  const box = useRef<HTMLDivElement>(null);

  const chart = useMemo(() => {
    const theme = chartTheme();
    const labels = lines.labels;
    const opts: ChartOptions = {
      height: HEIGHT,
      scales: { x: indexScale(labels.length), ...(range ? { y: { range } } : {}) },
      // Markers and names only: the values are in the table beside the chart.
      legend: { show: true, live: false },
      series: [
        { label: t('reports.table.month'), value: legendValue((v) => format.month(labels[v] ?? '')) },
        ...lines.series.map((s, i) => ({
          label: labelOf(s.key),
          stroke: COLOURS[i % COLOURS.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6 },
          value: (_u: uPlot, v: number | null) => formatValue(v ?? null),
        })),
      ],
      axes: [
        indexAxis(
          theme,
          // Every month while there is room (about 2.4 rem a label), else every second or third.
          (width) => {
            const step = Math.max(1, Math.ceil((labels.length * 38) / Math.max(1, width)));
            return labels.map((_, i) => i).filter((i) => (labels.length - 1 - i) % step === 0);
          },
          (i) => format.monthShort(labels[i] ?? ''),
        ),
        // Room for "1,000 hr" and "1,000小时".
        valueAxis(theme, axisValue, { size: 84 }),
      ],
    };
    const data = [labels.map((_, i) => i), ...lines.series.map((s) => s.values)] as uPlot.AlignedData;
    return { opts, data };
  }, [lines, labelOf, formatValue, axisValue, format, range, t]);
  useUplot(box, chart.opts, chart.data);

  return (
    <ReportFigure
      id={id}
      title={title}
      chart={
        <div
          ref={box}
          className="line-box"
          role="img"
          aria-label={t('reports.chart.summary', { title, months: lines.labels.length })}
        />
      }
    >
      <DataTable
        rows={lines.labels}
        wrapClassName="report-table"
        data={{ 'data-table': id }}
        caption={title}
        rowKey={(label) => label}
        rowData={(label) => ({ 'data-month': label })}
        columns={[
          {
            key: 'month',
            header: t('reports.table.month'),
            rowHeader: true,
            cell: (label) => format.month(label),
          },
          ...lines.series.map((s) => ({
            key: s.key,
            header: labelOf(s.key),
            num: true,
            dataKey: s.key,
            cell: (_label: string, i: number) => (cell ? cell(s.key, i) : formatValue(s.values[i] ?? null)),
          })),
        ]}
      />
    </ReportFigure>
  );
}
