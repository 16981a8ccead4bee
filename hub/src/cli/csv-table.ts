import { parse } from 'csv-parse/sync';

/** A CSV input the user must fix: the CLI prints the message and exits with code 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Columns that carry ground truth, never sensor data: the detector must not see them. */
const LABEL_COLUMNS = new Set(['anomaly', 'changepoint', 'label']);

export interface SensorTable {
  readonly timeColumn: string;
  /** Sensor column names, in file order (label columns removed). */
  readonly columns: readonly string[];
  /** The time cell of each row as written (echoed to the output). */
  readonly timeText: readonly string[];
  /** Epoch ms of each row. */
  readonly times: readonly number[];
  /** rows[r][c] is sensor column c of data row r. */
  readonly rows: readonly (readonly number[])[];
}

/**
 * Parses a time cell: epoch milliseconds, or an ISO 8601 date-time. A date-time without a
 * zone (as SKAB writes it) is read as UTC: only differences between rows matter here.
 */
export function parseTime(text: string): number {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const iso = t.replace(' ', 'T');
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
  return Date.parse(withZone);
}

function parseRecords(text: string, separator: string): string[][] {
  try {
    return parse(text, { delimiter: separator, skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new InputError(
      `bad CSV${e.lines === undefined ? '' : ` at line ${e.lines}`}: ${e.message ?? String(err)}`,
    );
  }
}

/**
 * Reads a sensor CSV: a header, a time column first, then numeric sensor columns. Label
 * columns (anomaly, changepoint, label) are dropped unread. Errors name the line and column.
 */
export function readSensorTable(text: string, separator = ','): SensorTable {
  const records = parseRecords(text, separator);
  const header = records[0];
  if (!header || header.length === 0 || header.every((h) => h === ''))
    throw new InputError('empty CSV: no header row');
  const timeColumn = header[0] ?? '';
  if (timeColumn === '')
    throw new InputError('missing column: the first header cell (the time column) is empty');
  const sensorIdx: number[] = [];
  for (let c = 1; c < header.length; c += 1) {
    const name = header[c] ?? '';
    if (name === '') throw new InputError(`missing column name: header cell ${c + 1} is empty`);
    if (!LABEL_COLUMNS.has(name.toLowerCase())) sensorIdx.push(c);
  }
  if (sensorIdx.length === 0) throw new InputError('missing column: no sensor column after the time column');
  if (records.length < 2) throw new InputError('no data rows after the header');
  const timeText: string[] = [];
  const times: number[] = [];
  const rows: number[][] = [];
  let prev = Number.NEGATIVE_INFINITY;
  for (let r = 1; r < records.length; r += 1) {
    const rec = records[r] as string[];
    const line = r + 1;
    const cell0 = rec[0] ?? '';
    const ts = parseTime(cell0);
    if (!Number.isFinite(ts))
      throw new InputError(`line ${line}, column ${timeColumn}: not a time: "${cell0}"`);
    if (ts < prev)
      throw new InputError(`line ${line}, column ${timeColumn}: time goes backwards ("${cell0}")`);
    prev = ts;
    const values: number[] = [];
    for (const c of sensorIdx) {
      const cell = rec[c] ?? '';
      const v = cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(v)) {
        throw new InputError(`line ${line}, column ${header[c]}: not a number: "${cell}"`);
      }
      values.push(v);
    }
    timeText.push(cell0);
    times.push(ts);
    rows.push(values);
  }
  return { timeColumn, columns: sensorIdx.map((c) => header[c] ?? ''), timeText, times, rows };
}
