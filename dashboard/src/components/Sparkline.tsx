import { memo } from 'react';
import type { SparkSeries } from '../store/history.js';

const WIDTH = 100;
const HEIGHT = 20;

/**
 * A tile's few-minute trend as one SVG polyline (no chart library: a thousand of them redraw
 * every second). It spans the history there is, up to the store's window, so a board opened a
 * minute ago already shows a line. Decorative: the value beside it is what a screen reader gets.
 */
export const Sparkline = memo(function Sparkline({
  series,
  windowMs,
}: {
  series: SparkSeries;
  windowMs: number;
}) {
  const { ts, values } = series;
  let points = '';
  const end = ts[ts.length - 1];
  const start = ts[0];
  if (values.length > 1 && end !== undefined && start !== undefined) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const span = max - min || 1;
    const from = Math.max(start, end - windowMs);
    const width = end - from || 1;
    for (let i = 0; i < values.length; i += 1) {
      const x = (((ts[i] ?? from) - from) / width) * WIDTH;
      // A flat line sits mid-height; otherwise the range fills the box.
      const y = max === min ? HEIGHT / 2 : HEIGHT - 1.5 - (((values[i] ?? min) - min) / span) * (HEIGHT - 3);
      points += `${x.toFixed(1)},${y.toFixed(1)} `;
    }
  }
  return (
    <svg className="spark" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" aria-hidden="true">
      {points ? <polyline points={points} fill="none" vectorEffect="non-scaling-stroke" /> : null}
    </svg>
  );
});
