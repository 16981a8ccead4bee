import type { ReactNode } from 'react';

/** `data-*` attributes, by which the browser tests and the CSS find rows and cells. */
export type DataAttributes = Record<`data-${string}`, string | number | undefined>;

export interface Column<Row> {
  key: string;
  header: ReactNode;
  cell: (row: Row, index: number) => ReactNode;
  /** Figures: right-aligned (header too) so that digits line up. */
  num?: boolean;
  /** Classes on the column's header and cells (e.g. one hidden on a phone). */
  className?: string;
  /** The cell that names its row (`<th scope="row">`), read out before each of the row's cells. */
  rowHeader?: boolean;
  /** `data-key` on each cell, for a series' column. */
  dataKey?: string;
}

interface DataTableProps<Row> {
  rows: readonly Row[];
  columns: readonly Column<Row>[];
  rowKey: (row: Row, index: number) => string | number;
  rowData?: (row: Row, index: number) => DataAttributes;
  /** The table's name; hidden when the heading or figure above already shows it. */
  caption?: string;
  /** Extra classes after `table`; `compact` by default. */
  className?: string;
  wrapClassName?: string;
  testId?: string;
  data?: DataAttributes;
}

const classes = (...names: Array<string | false | undefined>) => names.filter(Boolean).join(' ') || undefined;

/**
 * A data table in a box that scrolls sideways by itself (not the page) on a phone: column
 * headers scoped to their columns, an optional row header, figures right-aligned.
 */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const {
    rows,
    columns,
    rowKey,
    rowData,
    caption,
    className = 'compact',
    wrapClassName,
    testId,
    data,
  } = props;
  return (
    <div className={classes('table-wrap', wrapClassName)}>
      <table className={classes('table', className)} data-testid={testId} {...data}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.key} className={classes(c.num && 'num', c.className)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)} {...rowData?.(row, i)}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th scope="row" key={c.key} className={classes(c.num && 'num', c.className)}>
                    {c.cell(row, i)}
                  </th>
                ) : (
                  <td key={c.key} className={classes(c.num && 'num', c.className)} data-key={c.dataKey}>
                    {c.cell(row, i)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
