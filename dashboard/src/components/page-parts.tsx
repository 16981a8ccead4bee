import type { ReactNode } from 'react';

/*
 * Small pieces every page repeats: a data table, the loading and failure lines, a form's outcome,
 * a labelled select. One module so that the pages that use them share one small chunk.
 */

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

/**
 * What a view shows while its data load and when loading failed: the loading line is a polite
 * status, the failure an alert (screen readers announce both). Nothing once the data are there.
 */
export function LoadState({
  loading,
  loadingText,
  error,
  errorClassName = 'error',
  errorTestId,
}: {
  loading: boolean;
  loadingText: ReactNode;
  /** The failure in words (already translated), or nothing. */
  error?: ReactNode;
  /** `error` (a line) or `banner` (a box across the page). */
  errorClassName?: 'error' | 'banner';
  errorTestId?: string;
}) {
  return (
    <>
      {error ? (
        <p role="alert" className={errorClassName} data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      {loading && !error ? (
        <p role="status" className="muted">
          {loadingText}
        </p>
      ) : null}
    </>
  );
}

/** What became of a form's submission: its failure as an alert, its success as a status line. */
export function FormOutcome({
  error,
  done,
  errorTestId,
}: {
  error: ReactNode;
  done?: ReactNode;
  errorTestId?: string;
}) {
  return (
    <>
      {error ? (
        <p className="banner" role="alert" data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      {done ? (
        <p className="ok" role="status">
          {done}
        </p>
      ) : null}
    </>
  );
}

export interface SelectOption {
  value: string | number;
  label: string;
}

/**
 * A select inside its label (the label's text is the select's accessible name), its options
 * from a list, after any fixed ones given as children ("any site", "mine").
 */
export function SelectField({
  id,
  label,
  value,
  onChange,
  options,
  children,
  className,
  disabled,
  required,
  testId,
}: {
  /** Ties label and select by id; without it the label's wrapping alone names the select. */
  id?: string;
  label: ReactNode;
  value: string | number;
  onChange: (value: string) => void;
  options: readonly SelectOption[];
  children?: ReactNode;
  className?: string;
  disabled?: boolean;
  required?: boolean;
  testId?: string;
}) {
  return (
    <label htmlFor={id} className={className}>
      {label}
      <select
        id={id}
        data-testid={testId}
        value={value}
        disabled={disabled}
        required={required}
        onChange={(e) => onChange(e.target.value)}
      >
        {children}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
