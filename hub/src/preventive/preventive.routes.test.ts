import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type Actor, setActor } from '../people/actor.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { preventivePaths } from './openapi.js';
import { preventiveRoutes } from './preventive.routes.js';
import { PreventiveService } from './preventive.service.js';

/** The preventive API on a real express server and SQLite file; the actor comes from a test header. */

const ACTORS: Record<string, Actor> = {
  ada: { username: 'ada', role: 'admin', sites: 'all' },
  sam: { username: 'sam', role: 'supervisor', sites: ['site-a'] },
  bob: { username: 'bob', role: 'supervisor', sites: ['site-b'] },
  tom: { username: 'tom', role: 'technician', sites: ['site-a'] },
  tina: { username: 'tina', role: 'technician', sites: ['site-a'] },
  vic: { username: 'vic', role: 'viewer', sites: ['site-a'] },
};

const dir = mkdtempSync(join(tmpdir(), 'caretaker-preventive-http-'));
const clock = { now: Date.UTC(2026, 0, 5, 0, 0) };
const counters = new Map<string, number>();
let database: OpenDatabase;
let service: PreventiveService;
let server: Server;
let base = '';

beforeAll(async () => {
  database = await openDatabase({ kind: 'sqlite', path: join(dir, 'http.db') });
  service = new PreventiveService({
    db: database.db,
    orders: new WorkOrderService(database.db, () => clock.now),
    now: () => clock.now,
    readCounter: (device, point) => counters.get(`${device}/${point}`) ?? null,
  });
  const router = preventiveRoutes({ preventive: service });
  routerUnderTest = router;
  const app = express();
  app.use((req, _res, next) => {
    const actor = ACTORS[req.header('x-user') ?? ''];
    if (actor) setActor(req, actor);
    next();
  });
  app.use('/api', router);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
let routerUnderTest: express.Router;

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(user: string | null, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(user ? { 'x-user': user } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
  return { status: res.status, body: json, type: res.headers.get('content-type') ?? '' };
}

const PUMP = {
  site: 'site-a',
  name: 'Pump 1',
  device: 'p1',
  location: 'B1 pump room',
  items: [
    { key: 'no_leaks', label: 'No leaks', type: 'pass_fail' },
    { key: 'vibration', label: 'Vibration', type: 'number', min: 0, max: 4.5, unit: 'mm/s' },
  ],
};

describe('preventive API', () => {
  let objectId = 0;
  let planId = 0;

  it('supervisors define objects, templates and plans; errors name the field', async () => {
    expect((await call(null, 'GET', '/plans')).status).toBe(401);
    const bad = await call('sam', 'POST', '/inspection-objects', {
      ...PUMP,
      items: [{ key: 'v', label: 'V', type: 'number', min: 5, max: 1 }],
    });
    expect(bad).toMatchObject({ status: 400, body: { error: 'items.0.max: must not be below min' } });
    const place = await call('sam', 'POST', '/inspection-objects', {
      ...PUMP,
      device: null,
      location: undefined,
    });
    expect(place).toMatchObject({
      status: 400,
      body: { error: 'device: give a device, or a location for a place' },
    });
    expect((await call('vic', 'POST', '/inspection-objects', PUMP)).status).toBe(403);
    expect((await call('bob', 'POST', '/inspection-objects', PUMP)).body).toEqual({
      error: "site: site-a is not one of bob's sites",
    });

    const object = await call('sam', 'POST', '/inspection-objects', PUMP);
    expect(object).toMatchObject({ status: 201, body: { site: 'site-a', device: 'p1', items: PUMP.items } });
    objectId = object.body.id;
    const template = await call('sam', 'POST', '/inspection-templates', {
      site: 'site-a',
      name: 'Pump room',
      object_ids: [objectId],
    });
    expect(template).toMatchObject({ status: 201, body: { object_ids: [objectId] } });

    const wrongSchedule = await call('sam', 'POST', '/plans', {
      site: 'site-a',
      name: 'Weekly',
      template_id: template.body.id,
      schedule: { type: 'calendar', frequency: 'fortnightly' },
    });
    expect(wrongSchedule.status).toBe(400);
    expect(wrongSchedule.body.error).toMatch(/^schedule\.frequency: /);
    const wrongWindow = await call('sam', 'POST', '/plans', {
      site: 'site-a',
      name: 'Weekly',
      template_id: template.body.id,
      schedule: { type: 'calendar', frequency: 'weekly' },
      window: '3 days',
    });
    expect(wrongWindow.body.error).toMatch(/^window: must be a duration/);

    const plan = await call('sam', 'POST', '/plans', {
      site: 'site-a',
      name: 'Pump hours',
      template_id: template.body.id,
      schedule: { type: 'usage', device: 'p1', point: 'running_hours', every: 2000, last_service_value: 0 },
      window: '2d',
      assign_to: { technician: 'tom' },
    });
    expect(plan).toMatchObject({
      status: 201,
      body: {
        assign_to: { technician: 'tom' },
        usage: { every: 2000, remaining: 2000 },
      },
    });
    planId = plan.body.id;

    // Reading: technicians and viewers on the site; nobody on another site.
    expect((await call('tom', 'GET', '/plans')).body.plans.map((p: { id: number }) => p.id)).toEqual([
      planId,
    ]);
    expect((await call('bob', 'GET', '/plans')).body.plans).toEqual([]);
    expect((await call('bob', 'GET', `/plans/${planId}`)).status).toBe(403);
    expect((await call('tom', 'PATCH', `/plans/${planId}`, { name: 'x' })).status).toBe(403);
    const renamed = await call('sam', 'PATCH', `/plans/${planId}`, { name: 'Pump bearings' });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Pump bearings', window: '2d' } });
    expect((await call('sam', 'GET', '/plans/abc')).body).toEqual({
      error: 'id: must be a positive integer',
    });
    expect((await call('sam', 'GET', '/plans/999')).status).toBe(404);
  });

  it('the assigned technician records results; a failure opens a repair order', async () => {
    counters.set('p1/running_hours', 2_000);
    clock.now += 1000;
    await service.tick(clock.now);
    const open = await call('tom', 'GET', `/inspections?status=open&plan=${planId}`);
    expect(open.body.inspections).toHaveLength(1);
    const inspection = open.body.inspections[0];
    expect(inspection).toMatchObject({ status: 'open', order: { assignee: 'tom' }, item_count: 2 });
    const detail = (await call('tom', 'GET', `/inspections/${inspection.id}`)).body;
    const [leaks, vibration] = detail.items;

    expect(
      (
        await call('tina', 'POST', `/inspections/${inspection.id}/results`, {
          results: [{ item_id: leaks.id, passed: true }],
        })
      ).body,
    ).toEqual({
      error: `id: ${inspection.order.code} is not assigned to tina`,
    });
    expect(
      (
        await call('vic', 'POST', `/inspections/${inspection.id}/results`, {
          results: [{ item_id: leaks.id, passed: true }],
        })
      ).status,
    ).toBe(403);
    const wrong = await call('tom', 'POST', `/inspections/${inspection.id}/results`, {
      results: [{ item_id: vibration.id, value: 'high' }],
    });
    expect(wrong).toMatchObject({ status: 400 });
    expect(wrong.body.error).toMatch(/^results\.0\.value: /);
    expect(
      (await call('tom', 'POST', `/inspections/${inspection.id}/results`, { results: [] })).body.error,
    ).toMatch(/^results: /);

    const recorded = await call('tom', 'POST', `/inspections/${inspection.id}/results`, {
      results: [
        { item_id: leaks.id, passed: true },
        { item_id: vibration.id, value: 6.3, note: 'rough bearing' },
      ],
    });
    expect(recorded).toMatchObject({ status: 200, body: { status: 'done', failed_count: 1 } });
    const failed = recorded.body.items.find((i: { item_key: string }) => i.item_key === 'vibration');
    expect(failed).toMatchObject({
      status: 'fail',
      value: 6.3,
      recorded_by: 'tom',
      repair_order_code: expect.stringMatching(/^WO-/),
    });
    const repair = await database.db
      .selectFrom('work_orders')
      .selectAll()
      .where('id', '=', failed.repair_order_id)
      .executeTakeFirst();
    expect(repair).toMatchObject({ source: 'preventive', kind: 'corrective', device: 'p1', plan_id: planId });

    expect(
      (await call('tom', 'GET', `/inspections?status=done`)).body.inspections.map(
        (i: { id: number }) => i.id,
      ),
    ).toEqual([inspection.id]);
    expect((await call('tom', 'GET', '/inspections?status=late')).body.error).toMatch(/^status: /);

    // A person's tasks and a device's history, as the dashboard asks for them.
    const ids = async (query: string) =>
      (await call('tom', 'GET', `/inspections?${query}`)).body.inspections.map((i: { id: number }) => i.id);
    expect(await ids('assignee=tom')).toEqual([inspection.id]);
    expect(await ids('assignee=tina')).toEqual([]);
    const history = (await call('tom', 'GET', '/inspections?device=p1')).body.inspections;
    expect(history.map((i: { id: number }) => i.id)).toEqual([inspection.id]);
    expect(
      history[0].device_items.map((i: { label: string; status: string }) => `${i.label}: ${i.status}`),
    ).toEqual(['No leaks: pass', 'Vibration: fail']);
    expect(await ids('device=p2')).toEqual([]);
    expect((await call('tom', 'GET', '/inspections?assignee=')).body.error).toMatch(/^assignee: /);
    const plan = (await call('tom', 'GET', `/plans/${planId}`)).body;
    expect(plan.stats).toMatchObject({ done: 1, open: 0, overdue: 0, skipped: 0, last_done_at: clock.now });
  });

  it('the report, as JSON and CSV', async () => {
    const json = await call(
      'vic',
      'GET',
      `/plans/${planId}/report?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
    );
    expect(json).toMatchObject({
      status: 200,
      body: {
        figures: { due: 1, done_on_time: 1, failed_items: 1, compliance: 1 },
        plan: { timezone: 'Asia/Shanghai' },
      },
    });
    const csv = await call(
      'vic',
      'GET',
      `/plans/${planId}/report?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&format=csv`,
    );
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = (csv.body as string).trim().split('\n');
    expect(lines[0]).toBe(
      'plan_id,plan,occurrence_at,due_at,order,status,completed_at,items,answered,failed,failed_items',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',done_on_time,');
    expect(lines[1]).toContain('2026-01-05T08:00:01+08:00');
    expect(lines[1]).toContain('Pump 1 / Vibration = 6.3 mm/s (min 0, max 4.5)');
    expect((await call('vic', 'GET', `/plans/${planId}/report?from=10&to=5`)).body).toEqual({
      error: 'to: must be after from',
    });
  });

  it('a helper on the order may record; supervisors cancel an occurrence, which is then skipped', async () => {
    counters.set('p1/running_hours', 4_000);
    clock.now += 1000;
    await service.tick(clock.now);
    const [next] = (await call('sam', 'GET', `/inspections?status=open&plan=${planId}`)).body.inspections;
    const detail = (await call('tina', 'GET', `/inspections/${next.id}`)).body;
    await database.db
      .insertInto('work_order_assignees')
      .values({
        order_id: next.order.id,
        username: 'tina',
        role: 'assistant',
        added_at: clock.now,
        added_by: 'tom',
      })
      .execute();
    const helped = await call('tina', 'POST', `/inspections/${next.id}/results`, {
      results: [{ item_id: detail.items[0].id, passed: true }],
    });
    expect(helped).toMatchObject({ status: 200, body: { answered_count: 1, status: 'open' } });
    expect((await call('tom', 'POST', `/inspections/${next.id}/cancel`, { reason: 'x' })).status).toBe(403);
    expect((await call('sam', 'POST', `/inspections/${next.id}/cancel`, {})).body).toEqual({
      error: 'reason: Invalid input: expected string, received undefined',
    });
    const cancelled = await call('sam', 'POST', `/inspections/${next.id}/cancel`, {
      reason: 'pump replaced',
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { status: 'skipped', order: { status: 'cancelled' } },
    });
    const skipped = (await call('vic', 'GET', '/inspections?status=skipped')).body.inspections;
    expect(
      skipped.map((i: { id: number; skipped_items: Array<{ label: string }> }) => [
        i.id,
        i.skipped_items.map((x) => x.label),
      ]),
    ).toEqual([[next.id, ['Vibration']]]);
    expect(
      (
        await call('sam', 'POST', `/inspections/${next.id}/results`, {
          results: [{ item_id: detail.items[1].id, value: 1 }],
        })
      ).status,
    ).toBe(409);
  });

  it('archiving: refused while in use, then allowed', async () => {
    expect((await call('sam', 'DELETE', `/inspection-objects/${objectId}`)).status).toBe(409);
    expect((await call('sam', 'DELETE', `/plans/${planId}`)).status).toBe(204);
    expect((await call('sam', 'GET', `/plans/${planId}`)).status).toBe(404);
  });

  it('documents every route it serves in OpenAPI', () => {
    const served: string[] = [];
    for (const layer of (
      routerUnderTest as unknown as {
        stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
      }
    ).stack) {
      if (!layer.route) continue;
      for (const method of Object.keys(layer.route.methods)) {
        served.push(`${method} /api${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      }
    }
    expect(served.length).toBeGreaterThan(15);
    const documented = Object.entries(preventivePaths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m} ${path}`),
    );
    expect(served.sort()).toEqual(documented.sort());
  });
});
