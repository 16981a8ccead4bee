import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { InputError, readSensorTable } from './csv-table.js';
import { detectTable } from './detect.command.js';

/** The SKAB protocol: the first 400 rows of each file are normal operation (warm-up). */
export const SKAB_TRAIN_ROWS = 400;
export const SKAB_FILES = [
  'other/1.csv',
  'other/2.csv',
  'other/3.csv',
  'other/4.csv',
  'valve2/0.csv',
  'valve2/1.csv',
  'valve2/2.csv',
  'valve2/3.csv',
];
const DEFAULT_DIR = new URL('../../../../shared/data/skab-dev/', import.meta.url).pathname;

export interface Counts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  segments: number;
  segmentsDetected: number;
  falseAlarmEpisodes: number;
}

/** Row-wise confusion counts plus event counts over the scored part of one file. */
export function scoreRows(truth: ArrayLike<number>, alarm: ArrayLike<number>, from: number): Counts {
  const c: Counts = { tp: 0, fp: 0, tn: 0, fn: 0, segments: 0, segmentsDetected: 0, falseAlarmEpisodes: 0 };
  let segHit = false;
  let inSeg = false;
  let episodeStart = -1;
  let episodeTouchesFault = false;
  const closeEpisode = () => {
    if (episodeStart >= 0 && !episodeTouchesFault) c.falseAlarmEpisodes += 1;
    episodeStart = -1;
    episodeTouchesFault = false;
  };
  for (let i = from; i < truth.length; i += 1) {
    const t = truth[i] === 1;
    const a = alarm[i] === 1;
    if (t && a) c.tp += 1;
    else if (!t && a) c.fp += 1;
    else if (!t && !a) c.tn += 1;
    else c.fn += 1;
    if (t && !inSeg) {
      c.segments += 1;
      segHit = false;
    }
    if (!t && inSeg && segHit) c.segmentsDetected += 1;
    inSeg = t;
    if (t && a) segHit = true;
    if (a) {
      if (episodeStart < 0) episodeStart = i;
      if (t) episodeTouchesFault = true;
    } else closeEpisode();
  }
  if (inSeg && segHit) c.segmentsDetected += 1;
  closeEpisode();
  return c;
}

export function metrics(c: Counts) {
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const round = (x: number) => Number(x.toFixed(4));
  return {
    f1: round(f1),
    false_alarm_rate: round(c.fp + c.tn ? c.fp / (c.fp + c.tn) : 0),
    missing_alarm_rate: round(c.fn + c.tp ? c.fn / (c.fn + c.tp) : 0),
    precision: round(precision),
    recall: round(recall),
    rows: c.tp + c.fp + c.tn + c.fn,
    tp: c.tp,
    fp: c.fp,
    tn: c.tn,
    fn: c.fn,
    fault_segments: c.segments,
    fault_segments_detected: c.segmentsDetected,
    false_alarm_episodes: c.falseAlarmEpisodes,
  };
}

/** Reads the `anomaly` column: only the evaluator may, never the detector. */
function readLabels(text: string, file: string): number[] {
  const records = parse(text, { delimiter: ';', skip_empty_lines: true, trim: true }) as string[][];
  const idx = (records[0] ?? []).indexOf('anomaly');
  if (idx < 0) throw new InputError(`${file}: missing column anomaly`);
  return records.slice(1).map((r, k) => {
    const v = Number(r[idx]);
    if (v !== 0 && v !== 1) throw new InputError(`${file} line ${k + 2}, column anomaly: expected 0 or 1`);
    return v;
  });
}

export function evaluateSkab(dir: string) {
  const total: Counts = {
    tp: 0,
    fp: 0,
    tn: 0,
    fn: 0,
    segments: 0,
    segmentsDetected: 0,
    falseAlarmEpisodes: 0,
  };
  const files: Record<string, ReturnType<typeof metrics>> = {};
  for (const f of SKAB_FILES) {
    const path = join(dir, f);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
    }
    const table = readSensorTable(text, ';');
    const truth = readLabels(text, f);
    const result = detectTable(table, SKAB_TRAIN_ROWS);
    const c = scoreRows(truth, result.anomaly, SKAB_TRAIN_ROWS);
    files[f] = metrics(c);
    for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += c[k];
  }
  return { train_rows: SKAB_TRAIN_ROWS, ...metrics(total), files };
}

export function evaluateSkabCommand(argv: string[], out: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, 'per-file': { type: 'boolean', default: false } },
    strict: true,
  });
  const report = evaluateSkab(values.dir ?? DEFAULT_DIR);
  const { files, ...summary } = report;
  out(`${JSON.stringify(values['per-file'] ? report : summary, null, 2)}\n`);
  return 0;
}
