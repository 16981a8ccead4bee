import { describe, expect, it } from 'vitest';
import { InputError, parseTime, readSensorTable } from './csv-table.js';

describe('readSensorTable', () => {
  it('drops label columns unread and keeps sensor columns in order', () => {
    const t = readSensorTable('datetime;a;anomaly;b;changepoint\n2020-01-01 00:00:00;1;x;2;y\n', ';');
    expect(t.columns).toEqual(['a', 'b']);
    expect(t.rows).toEqual([[1, 2]]);
    expect(t.times).toEqual([Date.parse('2020-01-01T00:00:00Z')]);
  });

  it.each([
    { name: 'empty file', csv: '', error: 'empty CSV' },
    { name: 'no sensor column', csv: 'time,label\n0,1\n', error: 'no sensor column' },
    { name: 'no data rows', csv: 'time,a\n', error: 'no data rows' },
    {
      name: 'non-numeric value',
      csv: 'time,a,b\n0,1,2\n1000,1,abc\n',
      error: 'line 3, column b: not a number: "abc"',
    },
    { name: 'empty cell', csv: 'time,a\n0,\n', error: 'line 2, column a: not a number' },
    { name: 'bad time', csv: 'time,a\nyesterday,1\n', error: 'line 2, column time: not a time' },
    {
      name: 'time going backwards',
      csv: 'time,a\n2000,1\n1000,1\n',
      error: 'line 3, column time: time goes backwards',
    },
    { name: 'row with too many cells', csv: 'time,a\n0,1\n1000,1,2\n', error: 'bad CSV at line 3' },
    { name: 'empty column name', csv: 'time,,b\n0,1,2\n', error: 'header cell 2 is empty' },
  ])('rejects $name', ({ csv, error }) => {
    expect(() => readSensorTable(csv, ',')).toThrow(InputError);
    expect(() => readSensorTable(csv, ',')).toThrow(error);
  });
});

describe('parseTime', () => {
  it.each([
    ['1700000000000', 1_700_000_000_000],
    ['2020-03-09 15:56:30', Date.parse('2020-03-09T15:56:30Z')],
    ['2020-03-09T15:56:30+08:00', Date.parse('2020-03-09T07:56:30Z')],
  ])('%s', (text, ms) => expect(parseTime(text)).toBe(ms));
});
