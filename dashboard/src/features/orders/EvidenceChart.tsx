import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type uPlot from 'uplot';
import { api } from '../../api/client.js';
import { chartTheme, meanBand, timeAxis, valueAxis } from '../../components/charts/theme.js';
import { type ChartOptions, useUplot } from '../../components/charts/use-uplot.js';
import { pointLabel } from '../../components/point-label.js';
import { useFormat } from '../../i18n/format.js';
import { bucketsToColumns, type ChartColumns } from '../../pages/device-chart.js';

/** Before and after the alarm: enough to see what led up to it and whether it recovered. */
const BEFORE_MS = 30 * 60_000;
const AFTER_MS = 30 * 60_000;
const HEIGHT = 150;

/**
 * What the sensors saw around the alarm of a sensor order: each point the rule names, from the
 * store (GET /api/devices/:id/series, mean with a min–max band), the alarm's moment marked.
 * Loaded lazily with uPlot, only on the pages of such orders.
 */
export default function EvidenceChart({
  device,
  points,
  alarmAt,
}: {
  device: string;
  points: readonly string[];
  alarmAt: number;
}) {
  return (
    <div className="charts evidence" data-testid="evidence">
      {points.map((point) => (
        <PointEvidence key={point} device={device} point={point} alarmAt={alarmAt} />
      ))}
    </div>
  );
}

function PointEvidence({ device, point, alarmAt }: { device: string; point: string; alarmAt: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const box = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState<ChartColumns | null>(null);
  const [error, setError] = useState<string | null>(null);
  const label = pointLabel(t, point);

  // Fixed once per chart (the window does not slide while the page is open), narrowed once to
  // where readings begin for a device that started reporting shortly before its alarm.
  const [span, setSpan] = useState(() => ({
    from: alarmAt - BEFORE_MS,
    to: Math.min(Date.now(), alarmAt + AFTER_MS),
    narrowed: false,
  }));
  useEffect(() => {
    const controller = new AbortController();
    const { from, to } = span;
    api.series(device, { point, from, to, buckets: 120 }, controller.signal).then(
      (res) => {
        const first = res.buckets.find((b) => b.count > 0)?.ts;
        if (!span.narrowed && first !== undefined && first > from + (to - from) / 10) {
          setSpan({ from: Math.min(first, alarmAt) - 1_000, to, narrowed: true });
        } else setColumns(bucketsToColumns(res.buckets));
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => controller.abort();
  }, [device, point, span, alarmAt]);

  const empty = columns?.[1].every((v) => v === null) ?? false;
  const opts = useMemo((): ChartOptions => {
    const theme = chartTheme();
    return {
      height: HEIGHT,
      // The whole window, however little of it has readings (a lone bucket would otherwise
      // stretch the axis over years).
      scales: { x: { time: true, range: () => [span.from / 1000, span.to / 1000] } },
      ...meanBand(theme, { mean: t('device.mean'), min: t('device.min'), max: t('device.max') }, format),
      axes: [
        // Room for a time with seconds and AM/PM between ticks.
        timeAxis(theme, format.axis, { space: 100, ticks: false }),
        valueAxis(theme, format.number, { ticks: false }),
      ],
      hooks: {
        draw: [
          (u) => {
            // The alarm's moment, dashed: the reading that raised it is at this line.
            const x = u.valToPos(alarmAt / 1000, 'x', true);
            const { ctx, bbox } = u;
            if (x < bbox.left || x > bbox.left + bbox.width) return;
            ctx.save();
            ctx.strokeStyle = theme.alarm;
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
  }, [format, t, alarmAt, span]);
  useUplot(box, empty ? null : opts, columns as uPlot.AlignedData | null);

  return (
    <figure className="chart" data-chart={point}>
      <figcaption>
        {label}
        {columns === null && !error ? (
          <span className="muted small"> · {t('orders.page.evidenceLoading')}</span>
        ) : null}
        {empty ? <span className="muted small"> · {t('orders.page.evidenceNone')}</span> : null}
        {error ? <span className="error small"> · {error}</span> : null}
      </figcaption>
      <div
        ref={box}
        className="chart-box"
        role="img"
        aria-label={`${label}: ${t('orders.page.evidenceIntro', { device, time: format.dateTime(alarmAt) })}`}
      />
    </figure>
  );
}
