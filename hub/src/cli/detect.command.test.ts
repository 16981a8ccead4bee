import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { metrics, scoreRows } from './evaluate-skab.command.js';

const run = promisify(execFile);
const main = new URL('./main.ts', import.meta.url).pathname;
const tsx = new URL('../../../node_modules/.bin/tsx', import.meta.url).pathname;

/** A pump CSV at 1 row/s: flow falls by a tenth from row `faultFrom` while current stays. */
function pumpCsv(rows: number, faultFrom: number): string {
  let s = 12345;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const lines = ['datetime;current;flow;pressure;anomaly'];
  for (let i = 0; i < rows; i += 1) {
    const load = r() * 0.4;
    const flow = 30 + 3 * load + r() * 0.3 - (i >= faultFrom ? 3 : 0);
    const t = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString().slice(0, 19).replace('T', ' ');
    // The anomaly column is a trap: it says 1 everywhere and must never be read.
    lines.push(
      `${t};${(5 + load + r() * 0.1).toFixed(4)};${flow.toFixed(4)};${(2 + r() * 0.05).toFixed(4)};1`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(tsx, [main, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('caretaker detect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-detect-'));
  const input = join(dir, 'pump.csv');
  writeFileSync(input, pumpCsv(900, 600));

  it('writes one verdict per row, quiet before the fault and alarmed during it', async () => {
    const output = join(dir, 'out.csv');
    const res = await cli([
      'detect',
      '--input',
      input,
      '--train-rows',
      '300',
      '--separator',
      ';',
      '--output',
      output,
    ]);
    expect(res.code).toBe(0);
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('datetime,anomaly,score');
    expect(lines).toHaveLength(901);
    expect(lines[1]).toMatch(/^2024-01-01 00:00:00,0,/);
    const alarm = lines.slice(1).map((l) => Number(l.split(',')[1]));
    const truth = alarm.map((_, i) => (i >= 600 ? 1 : 0));
    const m = metrics(scoreRows(truth, alarm, 300));
    expect(m.false_alarm_rate).toBe(0);
    expect(m.recall).toBeGreaterThan(0.8);
  });

  it('with --train-rows 0 learns as it goes and is silent while learning', async () => {
    const res = await cli(['detect', '--input', input, '--train-rows', '0', '--separator', ';']);
    expect(res.code).toBe(0);
    const alarm = res.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    expect(alarm.slice(0, 300).every((a) => a === 0)).toBe(true);
  });

  it.each([
    { name: 'missing --train-rows', args: ['--input', 'x.csv'], error: 'missing option --train-rows' },
    {
      name: 'negative --train-rows',
      args: ['--input', 'x.csv', '--train-rows', '-1'],
      error: '--train-rows',
    },
    {
      name: 'unknown option',
      args: ['--input', 'x.csv', '--train-rows', '1', '--tune', '3'],
      error: "Unknown option '--tune'",
    },
    {
      name: 'unreadable file',
      args: ['--input', '/nonexistent.csv', '--train-rows', '1'],
      error: 'cannot read',
    },
  ])('exits 2 on $name', async ({ args, error }) => {
    const res = await cli(['detect', ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(error);
  });

  it('exits 2 naming the row and column of a non-numeric value', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'time,flow\n0,1\n1000,oops\n');
    const res = await cli(['detect', '--input', bad, '--train-rows', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('line 3, column flow: not a number: "oops"');
  });
});

describe('scoreRows', () => {
  it.each([
    {
      name: 'counts rows, segments and false alarm episodes from the scored row on',
      truth: [0, 0, 0, 1, 1, 0, 0, 1, 1, 0],
      alarm: [1, 0, 1, 0, 1, 1, 0, 0, 0, 1],
      from: 1,
      expected: { tp: 1, fp: 3, tn: 2, fn: 3, segments: 2, segmentsDetected: 1, falseAlarmEpisodes: 2 },
    },
  ])('$name', ({ truth, alarm, from, expected }) => {
    expect(scoreRows(truth, alarm, from)).toEqual(expected);
  });
});
