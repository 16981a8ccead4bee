import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type Actor, setActor } from '../people/actor.js';
import { ServiceLevels } from '../sla/service-levels.js';
import { TEST_LEVELS } from '../sla/sla.contract.js';
import { slaRoutes } from '../sla/sla.routes.js';
import { SlaService } from '../sla/sla.service.js';
import { move, seedPeople, systemPerform } from '../sla/test-support.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { T0, TEST_RULES } from './dispatch.contract.js';
import { dispatchRoutes } from './dispatch.routes.js';
import { DispatchService } from './dispatch.service.js';
import { DispatchRules } from './dispatch-rules.js';
import { ShiftService } from './shift.service.js';

/**
 * The SLA and dispatch endpoints on a real express server (loopback, free port) over a real
 * SQLite database. The actor of a request comes from a test header, standing in for the
 * hub's authentication middleware.
 */

const ACTORS: Record<string, Actor> = {
  admin: { username: 'admin', role: 'admin', sites: 'all' },
  sup: { username: 'sup-n', role: 'supervisor', sites: ['north'] },
  tech: { username: 't-a', role: 'technician', sites: ['north'] },
  south: { username: 'sup-s', role: 'supervisor', sites: ['south'] },
};
const MIN = 60_000;

let dir: string;
let database: OpenDatabase;
let server: Server;
let base: string;
let sla: SlaService;
let dispatch: DispatchService;
let orders: WorkOrderService;
const clock = { now: T0 };
let orderId: number;
let trappedId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'caretaker-sla-routes-'));
  database = await openDatabase({ kind: 'sqlite', path: join(dir, 'hub.db') });
  const db = database.db;
  const week = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '08:00', end: '17:00' }));
  await seedPeople(
    db,
    [
      { username: 't-a', zone: 'b1', sites: ['north'], skills: { elevator: {} }, shifts: week },
      { username: 't-b', zone: 'b2', sites: ['north'], skills: {}, shifts: week },
      { username: 'sup-n', role: 'supervisor', sites: ['north'] },
      { username: 't-s', sites: ['south'] },
    ],
    T0,
  );
  const now = () => clock.now;
  orders = new WorkOrderService(db, now);
  sla = new SlaService({ db, orders, levels: ServiceLevels.parse(TEST_LEVELS), now });
  dispatch = new DispatchService({
    db,
    orders,
    rules: DispatchRules.parse(TEST_RULES),
    now,
    perform: systemPerform(db, orders, now),
  });
  await sla.start();
  await dispatch.start();
  const app = express();
  app.use((req, _res, next) => {
    const who = req.header('x-test-actor');
    if (who && ACTORS[who]) setActor(req, ACTORS[who]);
    next();
  });
  app.use('/api', slaRoutes({ sla }), dispatchRoutes({ dispatch, shifts: new ShiftService(db) }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const create = async (problemType: string) => {
    const order = await orders.create({
      source: 'manual',
      kind: 'corrective',
      site: 'north',
      building: 'b1',
      title: problemType,
      problemType,
      priority: 1,
      actor: 'sup-n',
    });
    await sla.idle();
    await dispatch.idle();
    return order.id;
  };
  orderId = await create('elevator_fault');
  await move(orders, orderId, T0, 'accept', 'to_dispatch');
  await dispatch.idle();
  // Manual problem type: waits in to_dispatch.
  trappedId = await create('general');
  await move(orders, trappedId, T0, 'accept', 'to_dispatch');
  await dispatch.idle();
  clock.now = T0 + 7.5 * MIN;
  await sla.tick();
  await sla.idle();
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dispatch.stop();
  await sla.stop();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, actor: string | null, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(actor ? { 'x-test-actor': actor } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('GET /api/work-orders/:id/sla', () => {
  it('shows the countdown with the warnings recorded so far', async () => {
    const res = await call('GET', `/work-orders/${trappedId}/sla`, 'sup');
    expect(res.status).toBe(200);
    const sla = res.body.sla as Record<string, Record<string, unknown>>;
    expect(sla.response).toMatchObject({
      limit_ms: 10 * MIN,
      remaining_ms: 2.5 * MIN,
      percent: 75,
      breached: false,
    });
    expect(res.body.warnings).toEqual([
      { limit: 'response', percent: 50, ts: T0 + 7.5 * MIN },
      { limit: 'response', percent: 75, ts: T0 + 7.5 * MIN },
    ]);
    const later = await call('GET', `/work-orders/${trappedId}/sla?at=${T0 + 11 * MIN}`, 'sup');
    expect((later.body.sla as Record<string, Record<string, unknown>>).response).toMatchObject({
      remaining_ms: -MIN,
      breached: true,
    });
  });

  it('refuses bad input naming the field, strangers and other sites', async () => {
    expect(await call('GET', '/work-orders/abc/sla', 'sup')).toEqual({
      status: 400,
      body: { error: 'id: must be a positive integer' },
    });
    expect((await call('GET', `/work-orders/${orderId}/sla?at=soon`, 'sup')).body.error).toMatch(/^at: /);
    expect((await call('GET', `/work-orders/${orderId}/sla?when=1`, 'sup')).body.error).toBe(
      'when: unknown field',
    );
    expect((await call('GET', '/work-orders/9999/sla', 'sup')).status).toBe(404);
    expect((await call('GET', `/work-orders/${orderId}/sla`, null)).status).toBe(401);
    const south = await call('GET', `/work-orders/${orderId}/sla`, 'south');
    expect(south).toEqual({ status: 403, body: { error: "site: north is not one of sup-s's sites" } });
  });

  it('lists the service levels', async () => {
    const res = await call('GET', '/service-levels', 'tech');
    expect(res.status).toBe(200);
    expect(res.body.problem_types).toEqual([
      expect.objectContaining({ problem_type: 'elevator_trapped', priority: 1, response_ms: 10 * MIN }),
    ]);
    expect((res.body.priorities as unknown[]).length).toBe(4);
  });
});

describe('dispatch endpoints', () => {
  it('shows the ranking of an order for manual dispatch', async () => {
    const res = await call('GET', `/dispatch/candidates?order=${trappedId}`, 'sup');
    expect(res.status).toBe(200);
    const ranking = res.body.ranking as {
      chosen: string;
      candidates: Array<{ username: string; eligible: boolean }>;
    };
    // `general` needs no skill: both north technicians; t-a's zone is the order's building.
    expect(ranking.candidates.map((c) => [c.username, c.eligible])).toEqual([
      ['t-a', true],
      ['t-b', true],
    ]);
    expect((await call('GET', `/dispatch/candidates?order=${orderId}`, 'sup')).body.ranking).toMatchObject({
      skill: 'elevator',
      chosen: 't-a',
    });
  });

  it('refuses bad candidates queries naming the field', async () => {
    expect(await call('GET', '/dispatch/candidates', 'sup')).toEqual({
      status: 400,
      body: { error: 'order: must be an order id' },
    });
    expect((await call('GET', '/dispatch/candidates?order=x', 'sup')).body.error).toBe(
      'order: must be an order id',
    );
    expect((await call('GET', '/dispatch/candidates?order=9999', 'sup')).status).toBe(404);
    expect((await call('GET', `/dispatch/candidates?order=${orderId}`, 'south')).status).toBe(403);
  });

  it('dispatches by the rules on request, for dispatchers only', async () => {
    expect((await call('POST', '/dispatch/auto', 'sup', { order: 'x' })).body.error).toBe(
      'order: must be an order id',
    );
    expect((await call('POST', '/dispatch/auto', 'sup', { order: trappedId, force: true })).body.error).toBe(
      'force: unknown field',
    );
    expect(await call('POST', '/dispatch/auto', 'tech', { order: trappedId })).toEqual({
      status: 403,
      body: { error: 'role technician may not dispatch' },
    });
    const res = await call('POST', '/dispatch/auto', 'sup', { order: trappedId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'dispatched', assignee: 't-a' });
    const decision = (await orders.events(trappedId)).find((e) => e.type === 'auto_dispatch');
    expect(JSON.parse(decision?.detail ?? '{}')).toMatchObject({ requested_by: 'sup-n', assignee: 't-a' });
    // Already dispatched: nothing to do.
    expect((await call('POST', '/dispatch/auto', 'sup', { order: trappedId })).status).toBe(409);
  });

  it('plans weekly shifts and roster days, validating every field', async () => {
    const bad = await call('PUT', '/shifts/t-b', 'sup', {
      shifts: [{ weekday: 8, start: '08:00', end: '17:00' }],
    });
    expect(bad).toEqual({
      status: 400,
      body: { error: 'shifts.0.weekday: must be 1 (Monday) to 7 (Sunday)' },
    });
    expect(
      (await call('PUT', '/shifts/t-b', 'sup', { shifts: [{ weekday: 1, start: '8am', end: '17:00' }] })).body
        .error,
    ).toBe('shifts.0.start: must be a time HH:MM (00:00 to 23:59)');
    expect((await call('PUT', '/shifts/t-b', 'tech', { shifts: [] })).status).toBe(403);
    expect((await call('PUT', '/shifts/t-s', 'sup', { shifts: [] })).status).toBe(403);
    expect((await call('PUT', '/shifts/nobody', 'sup', { shifts: [] })).status).toBe(404);
    const ok = await call('PUT', '/shifts/t-b', 'sup', {
      shifts: [
        { weekday: 1, start: '22:00', end: '06:00' },
        { weekday: 2, start: '08:00', end: '24:00', site: 'north' },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.shifts).toEqual([
      { weekday: 1, start: '22:00', end: '06:00', site: null },
      { weekday: 2, start: '08:00', end: '24:00', site: 'north' },
    ]);
    expect(
      (
        await call('POST', '/roster-days', 'sup', {
          username: 't-b',
          day: '2026-01-06',
          on_duty: true,
          start: '09:00',
        })
      ).body.error,
    ).toBe('end: is required on duty');
    expect(
      (await call('POST', '/roster-days', 'sup', { username: 't-b', day: '6 Jan', on_duty: false })).body
        .error,
    ).toBe('day: must be a date YYYY-MM-DD');
    const added = await call('POST', '/roster-days', 'sup', {
      username: 't-b',
      day: '2026-01-06',
      on_duty: false,
      note: 'leave',
    });
    expect(added.status).toBe(201);
    const listed = await call('GET', '/shifts/t-b?from=2026-01-01', 'tech');
    expect(listed.body.roster_days).toEqual([
      {
        id: added.body.id,
        day: '2026-01-06',
        on_duty: false,
        start: null,
        end: null,
        site: null,
        note: 'leave',
      },
    ]);
    expect((await call('DELETE', `/roster-days/${added.body.id}`, 'sup')).status).toBe(204);
    expect((await call('DELETE', `/roster-days/${added.body.id}`, 'sup')).status).toBe(404);
  });
});
