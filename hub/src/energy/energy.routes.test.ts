import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiTestServer, startApiTestServer } from '../parts/api-test-server.js';
import { SqliteStore } from '../storage/sqlite.store.js';
import { ACTORS, AFTER_DAYS, DAYS, FIXTURE, METERS, ZONES } from './energy.contract.js';
import { energyRoutes } from './energy.routes.js';
import { EnergyService } from './energy.service.js';

describe('GET /api/energy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-energy-http-'));
  const store = new SqliteStore(join(dir, 'readings.db'), 'normal');
  let api: ApiTestServer;
  const range = `from=${DAYS.from}&to=${DAYS.to}`;

  beforeAll(async () => {
    await store.init();
    await store.write(FIXTURE);
    const energy = new EnergyService({
      store,
      meters: () => METERS,
      siteZone: async (site) => ZONES[site],
      now: () => AFTER_DAYS,
    });
    api = await startApiTestServer([energyRoutes({ energy })], ACTORS);
  });
  afterAll(async () => {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the figures of the caller’s sites', async () => {
    const r = await api.call('manager', 'GET', `/api/energy?${range}&site=site-a&group_by=building`);
    expect(r.status).toBe(200);
    expect(r.body.groups.map((g: { key: string }) => g.key)).toEqual(['site-a/b1', 'site-a/b2']);
    expect(r.body.overall.total.value).toBe(128);
    const b = await api.call('siteB', 'GET', `/api/energy?${range}`);
    expect(b.body.groups.map((g: { key: string }) => g.key)).toEqual(['site-b']);
  });

  it('reads calendar dates as midnight in the report’s time zone', async () => {
    const byDate = await api.call('manager', 'GET', '/api/energy?from=2026-03-10&to=2026-03-12&site=site-a');
    expect([byDate.body.from, byDate.body.to]).toEqual([DAYS.from, DAYS.to]);
    expect(byDate.body.overall.total.value).toBe(128);
  });

  it('exports CSV as a download named after the range', async () => {
    const r = await api.call('manager', 'GET', `/api/energy?${range}&site=site-a&format=csv`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe(
      'attachment; filename="caretaker-energy-electricity-day-2026-03-10_2026-03-11.csv"',
    );
    const rows = parse(r.text, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => [row.group, row.consumption, row.previous_consumption])).toEqual([
      ['site-a', '105', '10'],
      ['site-a', '23', '50'],
    ]);
  });

  it.each([
    ['utility=steam', /^utility: /],
    ['interval=minute', /^interval: /],
    ['group_by=floor', /^group_by: /],
    ['from=yesterday', 'from: must be a date (YYYY-MM-DD), epoch milliseconds or an ISO 8601 time'],
    ['to=2026-02-30', 'to: 2026-02-30 is not a date'],
    ['site=no%20spaces', /^site: must be 1-64 characters/],
    ['tz=Mars/Olympus', 'tz: unknown time zone Mars/Olympus'],
    [`from=${DAYS.to}&to=${DAYS.from}`, 'from: must be before to'],
    ['format=xlsx', /^format: /],
    ['colour=red', /Unrecognized key/],
  ])('refuses %s with a 400 naming the field', async (query, error) => {
    const r = await api.call('manager', 'GET', `/api/energy?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(error);
  });

  it('refuses strangers, roles without reports and sites not theirs', async () => {
    expect((await api.call('nobody', 'GET', `/api/energy?${range}`)).status).toBe(401);
    const tech = await api.call('tech', 'GET', `/api/energy?${range}`);
    expect(tech.status).toBe(403);
    expect(tech.body.error).toBe('role: a technician may not read energy figures');
    const other = await api.call('siteB', 'GET', `/api/energy?${range}&site=site-a`);
    expect([other.status, other.body.error]).toEqual([403, 'site: you do not work at site site-a']);
    expect((await api.call('siteB', 'GET', `/api/energy?${range}&meter=m1`)).status).toBe(404);
  });
});
