import type uPlot from 'uplot';

/**
 * The chart colours, read from the page's CSS variables when a chart is built so that charts
 * follow the light and dark themes; the fallbacks are the light theme's values.
 */
export interface ChartTheme {
  text: string;
  grid: string;
  accent: string;
  alarm: string;
  shade: string;
  limit: string;
}

export function chartTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: color('--muted', '#4f5d6b'),
    grid: color('--border', '#d0d7de'),
    accent: color('--accent', '#1f5fbf'),
    alarm: color('--alarm', '#b02a37'),
    shade: color('--alarm-shade', 'rgba(176,42,55,0.14)'),
    limit: color('--offline', '#4a5568'),
  };
}

/** A legend value: a dash where a bucket has no reading, else the formatted number. */
export function legendValue(format: (value: number) => string) {
  return (_u: uPlot, v: number | null | undefined) => (v === null || v === undefined ? '—' : format(v));
}

/** The value (y) axis: gridlines across, labels in the dashboard's number format. */
export function valueAxis(
  theme: ChartTheme,
  format: (value: number) => string,
  options: { size?: number; ticks?: boolean } = {},
): uPlot.Axis {
  return {
    stroke: theme.text,
    grid: { stroke: theme.grid, width: 1 },
    ...(options.ticks === false ? {} : { ticks: { stroke: theme.grid, width: 1 } }),
    size: options.size ?? 56,
    values: (_u, splits) => splits.map((s) => format(s)),
  };
}

/** A time (x) axis in seconds, its ticks as precise as their spacing needs (`Formatters.axis`). */
export function timeAxis(
  theme: ChartTheme,
  axis: (ms: number, stepMs: number) => string,
  options: { space?: number; ticks?: boolean } = {},
): uPlot.Axis {
  return {
    stroke: theme.text,
    grid: { stroke: theme.grid, width: 1 },
    ...(options.ticks === false ? {} : { ticks: { stroke: theme.grid, width: 1 } }),
    ...(options.space === undefined ? {} : { space: options.space }),
    values: (_u, splits, _axis, _space, step) => splits.map((s) => axis(s * 1000, step * 1000)),
  };
}

/**
 * An axis of periods placed by their index (months, days, hours): no vertical grid, a label at
 * the splits chosen by `splits` (as many as fit the width), each from `label`.
 */
export function indexAxis(
  theme: ChartTheme,
  splits: (widthPx: number) => number[],
  label: (index: number) => string,
): uPlot.Axis {
  return {
    stroke: theme.text,
    grid: { show: false },
    ticks: { stroke: theme.grid, width: 1 },
    splits: (u) => splits(u.bbox.width / devicePixelRatio),
    values: (_u, values) => values.map((i) => label(i)),
  };
}

/** An x scale for periods placed by their index, half a slot of room at either end. */
export function indexScale(count: number): uPlot.Scale {
  return { time: false, range: [-0.5, Math.max(0.5, count - 0.5)] };
}

/**
 * A sensor's buckets as a mean line inside a min–max band (columns x, mean, min, max), as on the
 * device page and an order's evidence.
 */
export function meanBand(
  theme: ChartTheme,
  labels: { mean: string; min: string; max: string },
  format: { number: (value: number) => string; dateTime: (ms: number) => string },
): Pick<uPlot.Options, 'series' | 'bands'> {
  const number = legendValue(format.number);
  const line = theme.accent;
  return {
    series: [
      { value: legendValue((s) => format.dateTime(s * 1000)) },
      { label: labels.mean, stroke: line, width: 1.5, value: number, spanGaps: false },
      { label: labels.min, stroke: `${line}66`, width: 1, value: number },
      { label: labels.max, stroke: `${line}66`, width: 1, value: number },
    ],
    bands: [{ series: [3, 2], fill: `${line}22` }],
  };
}
