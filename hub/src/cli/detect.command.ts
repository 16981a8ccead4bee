import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createDeviceDetector } from '../detectors/device-detector.js';
import { InputError, readSensorTable, type SensorTable } from './csv-table.js';

export interface DetectResult {
  readonly anomaly: Uint8Array;
  readonly score: Float64Array;
}

/** Runs the default device detection over the table's rows in order, as if live. */
export function detectTable(table: SensorTable, trainRows: number): DetectResult {
  const detector = createDeviceDetector({ trainRows });
  const n = table.rows.length;
  const anomaly = new Uint8Array(n);
  const score = new Float64Array(n);
  for (let r = 0; r < n; r += 1) {
    const v = detector.update(table.times[r] ?? 0, table.rows[r] ?? []);
    anomaly[r] = v.active ? 1 : 0;
    score[r] = v.score;
  }
  return { anomaly, score };
}

export function formatResult(table: SensorTable, result: DetectResult): string {
  const lines = ['datetime,anomaly,score'];
  for (let r = 0; r < table.rows.length; r += 1) {
    const t = table.timeText[r] ?? '';
    const cell = /[",\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
    lines.push(`${cell},${result.anomaly[r]},${Number((result.score[r] ?? 0).toPrecision(6))}`);
  }
  return `${lines.join('\n')}\n`;
}

export const DETECT_USAGE =
  'usage: caretaker detect --input FILE.csv --train-rows N [--separator ;] [--output OUT.csv]';

/** `caretaker detect`: returns the process exit code. */
export function detectCommand(argv: string[], out: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      output: { type: 'string' },
      'train-rows': { type: 'string' },
      separator: { type: 'string', default: ',' },
    },
    strict: true,
  });
  if (!values.input) throw new InputError(`missing option --input\n${DETECT_USAGE}`);
  const trainText = values['train-rows'];
  if (trainText === undefined) throw new InputError(`missing option --train-rows\n${DETECT_USAGE}`);
  if (!/^\d+$/.test(trainText))
    throw new InputError(`--train-rows: expected a whole number >= 0, got "${trainText}"`);
  const sep = values.separator ?? ',';
  if (sep.length !== 1) throw new InputError(`--separator: expected one character, got "${sep}"`);
  let text: string;
  try {
    text = readFileSync(values.input, 'utf8');
  } catch (err) {
    throw new InputError(`--input: cannot read ${values.input}: ${(err as Error).message}`);
  }
  const table = readSensorTable(text, sep);
  const csv = formatResult(table, detectTable(table, Number(trainText)));
  if (values.output) writeFileSync(values.output, csv);
  else out(csv);
  return 0;
}
