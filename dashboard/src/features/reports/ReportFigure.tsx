import type { ReactNode } from 'react';

/**
 * A report's chart with its title and, beside or below it, the same figures as a table: the
 * chart is for the eye, the table for screen readers and exact values.
 */
export function ReportFigure({
  id,
  title,
  chart,
  children,
}: {
  id: string;
  title: string;
  chart: ReactNode;
  /** The table of the chart's figures. */
  children: ReactNode;
}) {
  return (
    <figure className="report-block" data-chart={id} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="report-chart-title">
        {title}
      </figcaption>
      <div className="report-chart">{chart}</div>
      {children}
    </figure>
  );
}
