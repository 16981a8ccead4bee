import { type RefObject, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** uPlot's options without the width, which follows the box; `minWidth` keeps a phone's chart legible. */
export type ChartOptions = Omit<uPlot.Options, 'width'> & { minWidth?: number };

/**
 * One uPlot chart in `box`: built when `opts` change (keep them memoised), given new `data` in
 * place when only the data change, sized to the box's width as it changes, destroyed on
 * unmount. No chart while `opts` or `data` is null (loading, nothing to draw). The returned ref
 * holds the chart for callers that append data or redraw between renders.
 */
export function useUplot(
  box: RefObject<HTMLDivElement | null>,
  opts: ChartOptions | null,
  data: uPlot.AlignedData | null,
): RefObject<uPlot | null> {
  const plot = useRef<uPlot | null>(null);
  const shown = useRef<uPlot.AlignedData | null>(null);
  const latest = useRef(data);
  latest.current = data;
  const drawable = data !== null;

  useEffect(() => {
    const el = box.current;
    const initial = latest.current;
    if (!el || !opts || !drawable || initial === null) return;
    const { minWidth = 240, ...rest } = opts;
    const width = () => Math.max(minWidth, el.clientWidth);
    const chart = new uPlot({ ...rest, width: width() }, initial, el);
    plot.current = chart;
    shown.current = initial;
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: rest.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
      shown.current = null;
    };
  }, [box, opts, drawable]);

  useEffect(() => {
    const chart = plot.current;
    // Data the caller already gave the chart between renders (live appends) are not drawn twice.
    if (!chart || data === null || data === shown.current || data === chart.data) return;
    shown.current = data;
    chart.setData(data);
  }, [data]);

  return plot;
}
