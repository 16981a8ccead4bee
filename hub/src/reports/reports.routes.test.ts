import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_NAMES } from '@caretaker/protocol';
import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type ApiTestServer, startApiTestServer } from '../parts/api-test-server.js';
import type { Actor } from '../people/actor.js';
import { FIXED_LOG_RANGE, fixedLogService, writeFixedLog } from './reports.contract.js';
import { reportsRoutes } from './reports.routes.js';

const ACTORS: Record<string, Actor> = {
  manager: { username: 'may', role: 'admin', sites: 'all' },
  viewer: { username: 'vic', role: 'viewer', sites: ['site-b'] },
  tech: { username: 'tom', role: 'technician', sites: ['site-a'] },
};

describe('reports over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-reports-http-'));
  let database: OpenDatabase;
  let api: ApiTestServer;
  const range = `from=${FIXED_LOG_RANGE.from}&to=${FIXED_LOG_RANGE.to}`;

  beforeAll(async () => {
    database = await openDatabase({ kind: 'sqlite', path: join(dir, 'reports.db') });
    await writeFixedLog(database);
    // A cause with a comma and quotes: CSV must quote it and give it back whole.
    await database.db
      .updateTable('work_orders')
      .set({ fault_category: 'wear, "heavy" \u78e8\u635f' })
      .where('code', '=', 'WO-FIX-13')
      .execute();
    api = await startApiTestServer([reportsRoutes({ reports: fixedLogService(database) })], ACTORS);
  });
  afterAll(async () => {
    await api.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every figure as JSON', async () => {
    const r = await api.call('manager', 'GET', `/api/reports/kpis?${range}&period=month&tz=Asia/Shanghai`);
    expect(r.status).toBe(200);
    expect(r.body.periods.map((p: { label: string }) => p.label)).toEqual(['2026-01', '2026-02']);
    expect(r.body.total.orders).toEqual({ created: 14, completed: 8, cancelled: 1 });
    expect(r.body.total.failures.by_cause['wear, "heavy" 磨损']).toBe(1);
  });

  it.each(REPORT_NAMES)('exports %s as CSV that parses back to the JSON table', async (name) => {
    const json = await api.call('manager', 'GET', `/api/reports/${name}?${range}&period=month`);
    expect(json.status).toBe(200);
    const csv = await api.call('manager', 'GET', `/api/reports/${name}?${range}&period=month&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="caretaker-${name}-2026-01_2026-02.csv"`,
    );
    const records = parse(csv.text, { bom: true, columns: true }) as Array<Record<string, string>>;
    const columns: string[] = json.body.columns ?? Object.keys(records[0] ?? {});
    expect(Object.keys(records[0] ?? {})).toEqual(columns);
    const expected =
      name === 'kpis'
        ? null
        : (json.body.rows as Array<Record<string, unknown>>).map((row) =>
            Object.fromEntries(columns.map((c) => [c, row[c] === null ? '' : String(row[c])])),
          );
    if (expected) expect(records).toEqual(expected);
    expect(records.length).toBeGreaterThan(0);
    // Every table ends with the whole range.
    expect(records.at(-1)?.period).toBe('total');
  });

  it('exports every table at once as a zip of the same CSV files', async () => {
    const res = await fetch(`${api.url}/api/reports/export?${range}&period=month`, {
      headers: { 'x-test-actor': 'manager' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="caretaker-reports-2026-01_2026-02.zip"',
    );
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(
      [...REPORT_NAMES].map((n) => `caretaker-${n}-2026-01_2026-02.csv`).sort(),
    );
    for (const name of REPORT_NAMES) {
      const one = await api.call('manager', 'GET', `/api/reports/${name}?${range}&period=month&format=csv`);
      const inZip = strFromU8(files[`caretaker-${name}-2026-01_2026-02.csv`] as Uint8Array);
      // Byte for byte the table's own download (the fixed log's service has a fixed clock).
      expect(inZip).toBe(one.text);
    }
    const bad = await api.call('manager', 'GET', `/api/reports/export?${range}&format=csv`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/format/);
    const tech = await api.call('tech', 'GET', `/api/reports/export?${range}`);
    expect(tech.status).toBe(403);
    // A viewer's zip holds only their site's orders.
    const viewer = await fetch(`${api.url}/api/reports/export?${range}&period=month`, {
      headers: { 'x-test-actor': 'viewer' },
    });
    const viewerKpis = strFromU8(
      unzipSync(new Uint8Array(await viewer.arrayBuffer()))[
        'caretaker-kpis-2026-01_2026-02.csv'
      ] as Uint8Array,
    );
    const total = (parse(viewerKpis, { bom: true, columns: true }) as Array<Record<string, string>>).at(-1);
    expect(total?.orders_created).toBe('3');
  });

  it('puts the hand-checked figures in the CSV', async () => {
    const csv = await api.call('manager', 'GET', `/api/reports/kpis?${range}&period=month&format=csv`);
    const rows = parse(csv.text, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.period)).toEqual(['2026-01', '2026-02', 'total']);
    const [january, february] = rows;
    // MTTA 114,350,000 ms = 31.764 h; MTTR 29 h / 3 = 9.667 h; FTF 2/3.
    expect(january).toMatchObject({
      start: '2026-01-01T00:00:00+08:00',
      orders_created: '8',
      mtta_hours: '31.764',
      mttr_hours: '9.667',
      response_on_time_rate: '0.5',
      first_time_fix_rate: '0.6667',
      pm_compliance_rate: '0.5',
      backlog_open: '2',
      mean_rating: '4',
    });
    // February: no PM order judged yet, so the cell is empty rather than 0.
    expect(february).toMatchObject({ pm_compliance_rate: '', backlog_open: '5', mttr_hours: '25' });
    const failures = await api.call(
      'manager',
      'GET',
      `/api/reports/failures?${range}&period=month&format=csv`,
    );
    expect(failures.text).toContain('"wear, ""heavy"" 磨损"');
    // Technicians by user name and by the name people know them by (ann left: her user name).
    const technicians = await api.call(
      'manager',
      'GET',
      `/api/reports/technicians?${range}&period=month&format=csv`,
    );
    const people = (parse(technicians.text, { bom: true, columns: true }) as Array<Record<string, string>>)
      .filter((r) => r.period === 'total')
      .map((r) => [r.technician, r.display_name, r.completed, r.open_now]);
    expect(people).toEqual([
      ['ann', 'ann', '3', '0'],
      ['tia', '李天爱', '2', '1'],
      ['tom', 'Tom Wang', '3', '2'],
    ]);
  });

  it('answers bad queries with the field, and only the actor’s sites', async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ['manager', '/api/reports/kpis?period=fortnight', 400, /^period: /],
      ['manager', '/api/reports/kpis?from=last-tuesday', 400, /^from: must be epoch milliseconds/],
      ['manager', '/api/reports/kpis?tz=Mars/Olympus', 400, /^tz: unknown time zone Mars\/Olympus/],
      [
        'manager',
        `/api/reports/kpis?from=${FIXED_LOG_RANGE.to}&to=${FIXED_LOG_RANGE.from}`,
        400,
        /^from: must be before to/,
      ],
      [
        'manager',
        `/api/reports/kpis?from=0&to=${FIXED_LOG_RANGE.to}&period=day`,
        400,
        /^from: at most 400 periods/,
      ],
      ['manager', '/api/reports/kpis?format=xlsx', 400, /^format: /],
      ['manager', '/api/reports/kpis?colour=red', 400, /colour/],
      ['manager', '/api/reports/energy', 404, /^name: no report energy/],
      ['tech', '/api/reports/kpis', 403, /^role: /],
      ['viewer', '/api/reports/kpis?site=site-a', 403, /^site: /],
      ['nobody', '/api/reports/kpis', 401, /authentication/],
    ];
    for (const [actor, path, status, error] of cases) {
      const r = await api.call(actor, 'GET', path);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.body.error).toMatch(error);
    }
    const viewer = await api.call('viewer', 'GET', `/api/reports/kpis?${range}`);
    expect(viewer.status).toBe(200);
    expect(viewer.body.sites).toEqual(['site-b']);
    expect(viewer.body.total.orders.created).toBe(3);
  });
});
