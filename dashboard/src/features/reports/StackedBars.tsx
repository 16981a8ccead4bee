import { useTranslation } from 'react-i18next';
import { DataTable } from '../../components/page-parts.js';
import { ReportFigure } from './ReportFigure.js';
import type { ReportFormat } from './report-format.js';
import type { Stacks } from './report-shape.js';

interface StackedBarsProps {
  id: string;
  title: string;
  data: Stacks;
  /** A series key as words ("pump" → "Pump"). */
  labelOf: (key: string) => string;
  format: ReportFormat;
}

/**
 * Stacked bars of counts per month, drawn with plain HTML boxes (they reflow on a phone and keep
 * their text readable), with the same figures as a table beside them: the table is what screen
 * readers get; the bars are decoration for the eye.
 */
export function StackedBars({ id, title, data, labelOf, format }: StackedBarsProps) {
  const { t } = useTranslation();
  const { keys, rows, max } = data;
  const colour = (key: string) => `series-${keys.indexOf(key) % 8}`;
  return (
    <ReportFigure
      id={id}
      title={title}
      chart={
        <>
          <div className="bars" aria-hidden="true">
            {rows.map((row) => (
              <div className="bar-col" key={row.label}>
                <span className="bar-total">{row.total > 0 ? format.count(row.total) : ''}</span>
                <div className="bar-area">
                  <div className="bar" style={{ height: max > 0 ? `${(row.total / max) * 100}%` : '0' }}>
                    {keys.map((key) =>
                      (row.values[key] ?? 0) > 0 ? (
                        <span
                          key={key}
                          className={`seg ${colour(key)}`}
                          style={{ flexGrow: row.values[key] }}
                          title={`${labelOf(key)}: ${format.count(row.values[key] ?? 0)}`}
                        />
                      ) : null,
                    )}
                  </div>
                </div>
                <span className="bar-label">{format.monthShort(row.label)}</span>
              </div>
            ))}
          </div>
          {keys.length > 0 ? (
            <ul className="legend" aria-hidden="true">
              {keys.map((key) => (
                <li key={key}>
                  <span className={`swatch ${colour(key)}`} /> {labelOf(key)}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      }
    >
      <DataTable
        rows={rows}
        wrapClassName="report-table"
        data={{ 'data-table': id }}
        caption={title}
        rowKey={(row) => row.label}
        rowData={(row) => ({ 'data-month': row.label })}
        columns={[
          {
            key: 'month',
            header: t('reports.table.month'),
            rowHeader: true,
            cell: (row) => format.month(row.label),
          },
          ...keys.map((key) => ({
            key,
            header: labelOf(key),
            num: true,
            dataKey: key,
            cell: (row: Stacks['rows'][number]) => format.count(row.values[key] ?? 0),
          })),
          {
            key: 'total',
            header: t('reports.table.total'),
            num: true,
            dataKey: 'total',
            cell: (row) => format.count(row.total),
          },
        ]}
      />
    </ReportFigure>
  );
}
