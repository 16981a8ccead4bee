import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { formattersFor } from '../../i18n/format.js';
import {
  type ChartTheme,
  indexAxis,
  indexScale,
  legendValue,
  meanBand,
  timeAxis,
  valueAxis,
} from './theme.js';

const theme: ChartTheme = {
  text: '#111111',
  grid: '#222222',
  accent: '#333333',
  alarm: '#444444',
  shade: 'rgba(0,0,0,0.1)',
  limit: '#555555',
};
// The builders' callbacks read nothing of the chart but its plot box.
const chart = { bbox: { width: 600 } } as unknown as uPlot;
const en = formattersFor('en');
const zh = formattersFor('zh-CN');

describe('chart options builders', () => {
  it('puts a dash in the legend where a bucket is empty, else the formatted value', () => {
    const value = legendValue(en.number);
    expect(value(chart, null)).toBe('—');
    expect(value(chart, undefined)).toBe('—');
    expect(value(chart, 12345.6)).toBe(en.number(12345.6));
  });

  it('labels the value axis in the locale and keeps its width', () => {
    const axis = valueAxis(theme, zh.number, { size: 84 });
    const values = axis.values as (u: uPlot, splits: number[]) => string[];
    expect(values(chart, [0, 1500, 25000])).toEqual([zh.number(0), zh.number(1500), zh.number(25000)]);
    expect(axis.size).toBe(84);
    expect(axis.stroke).toBe(theme.text);
    expect(axis.grid).toEqual({ stroke: theme.grid, width: 1 });
    expect(valueAxis(theme, en.number, { ticks: false }).ticks).toBeUndefined();
  });

  it('labels a time axis from seconds with the step in milliseconds', () => {
    const axis = timeAxis(theme, en.axis, { space: 100 });
    const values = axis.values as (
      u: uPlot,
      splits: number[],
      a: number,
      s: number,
      step: number,
    ) => string[];
    const t = Date.UTC(2026, 0, 5, 10, 30) / 1000;
    expect(values(chart, [t], 0, 0, 60)).toEqual([en.axis(t * 1000, 60_000)]);
    expect(axis.space).toBe(100);
  });

  it('places periods by index with half a slot either side, splits from the width in CSS pixels', () => {
    expect(indexScale(12).range).toEqual([-0.5, 11.5]);
    expect(indexScale(0).range).toEqual([-0.5, 0.5]);
    const widths: number[] = [];
    const axis = indexAxis(
      theme,
      (width) => {
        widths.push(width);
        return [0, 2];
      },
      (i) => `p${i}`,
    );
    const splits = axis.splits as (u: uPlot) => number[];
    const values = axis.values as (u: uPlot, splits: number[]) => string[];
    globalThis.devicePixelRatio = 2;
    expect(splits(chart)).toEqual([0, 2]);
    expect(widths).toEqual([300]);
    expect(values(chart, [0, 2])).toEqual(['p0', 'p2']);
  });

  it('draws a mean inside its min–max band, the legend naming each', () => {
    const { series, bands } = meanBand(theme, { mean: 'Mean', min: 'Min', max: 'Max' }, en);
    expect(series?.map((s) => s.label)).toEqual([undefined, 'Mean', 'Min', 'Max']);
    expect(series?.[2]?.stroke).toBe(`${theme.accent}66`);
    expect(bands).toEqual([{ series: [3, 2], fill: `${theme.accent}22` }]);
    const time = series?.[0]?.value as (u: uPlot, v: number | null) => string;
    expect(time(chart, 1_700_000_000)).toBe(en.dateTime(1_700_000_000_000));
  });
});
