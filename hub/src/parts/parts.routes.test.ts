import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import type { Actor } from '../people/actor.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { type ApiTestServer, startApiTestServer } from './api-test-server.js';
import { partsRoutes } from './parts.routes.js';
import { PartsService } from './parts.service.js';

const ACTORS: Record<string, Actor> = {
  admin: { username: 'ada', role: 'admin', sites: 'all' },
  sup: { username: 'sam', role: 'supervisor', sites: ['site-a'] },
  tech: { username: 'tom', role: 'technician', sites: ['site-a'] },
  viewer: { username: 'vic', role: 'viewer', sites: ['site-a'] },
  outsider: { username: 'bob', role: 'supervisor', sites: ['site-b'] },
};

describe('spare parts over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-parts-http-'));
  let database: OpenDatabase;
  let api: ApiTestServer;
  let orderId: number;
  const clock = { now: Date.UTC(2026, 2, 2) };

  beforeAll(async () => {
    database = await openDatabase({ kind: 'sqlite', path: join(dir, 'parts.db') });
    const orders = new WorkOrderService(database.db, () => clock.now);
    const parts = new PartsService(database.db, orders, () => clock.now);
    api = await startApiTestServer([partsRoutes({ parts })], ACTORS);
    const order = await orders.create({
      source: 'manual',
      kind: 'corrective',
      site: 'site-a',
      title: 'Seal leak',
      problemType: 'pump_seal',
      priority: 2,
      actor: 'sam',
    });
    orderId = order.id;
    await database.db
      .updateTable('work_orders')
      .set({ assignee: 'tom', status: 'in_repair' })
      .where('id', '=', orderId)
      .execute();
  });
  afterAll(async () => {
    await api.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('walks a part from the catalogue through a store onto an order', async () => {
    let r = await api.call('sup', 'POST', '/api/parts', {
      part_no: '6205-2RS',
      name: 'Bearing 6205-2RS',
      unit: 'pcs',
      category: 'bearing',
      device_types: ['pump'],
    });
    expect(r.status).toBe(201);
    expect(r.body.part).toMatchObject({ part_no: '6205-2RS', device_types: ['pump'], active: true });
    const partId = r.body.part.id as number;
    r = await api.call('sup', 'POST', '/api/stores', { code: 'A-MAIN', name: 'Main store', site: 'site-a' });
    expect(r.status).toBe(201);
    expect(r.body.store).toMatchObject({ code: 'A-MAIN', site: 'site-a', active: true });
    r = await api.call('sup', 'POST', '/api/stock/movements', {
      kind: 'receive',
      part: '6205-2RS',
      store: 'A-MAIN',
      quantity: 6,
    });
    expect(r.status).toBe(201);
    expect(r.body.movements[0]).toMatchObject({ kind: 'receive', quantity: 6, balance_after: 6 });
    r = await api.call('sup', 'PUT', '/api/stock/minimum', {
      part: partId,
      store: 'A-MAIN',
      min_quantity: 4,
    });
    expect(r.status).toBe(200);
    expect(r.body.stock).toMatchObject({ quantity: 6, min_quantity: 4, low: false });

    r = await api.call('tech', 'POST', `/api/work-orders/${orderId}/parts`, {
      part: '6205-2RS',
      store: 'A-MAIN',
      quantity: 3,
    });
    expect(r.status).toBe(201);
    expect(r.body.movement).toMatchObject({
      kind: 'issue',
      quantity: -3,
      balance_after: 3,
      order_id: orderId,
    });
    r = await api.call('tech', 'POST', `/api/work-orders/${orderId}/parts`, {
      part: '6205-2RS',
      store: 'A-MAIN',
      quantity: 1,
      action: 'return',
    });
    expect(r.status).toBe(201);
    r = await api.call('viewer', 'GET', `/api/work-orders/${orderId}/parts`);
    expect(r.status).toBe(200);
    expect(r.body.parts).toEqual([
      expect.objectContaining({ part_no: '6205-2RS', issued: 3, returned: 1, used: 2 }),
    ]);

    // 3 < 4 raised the alert; the return brought the stock back to the minimum, which closed it.
    r = await api.call('viewer', 'GET', '/api/parts/low-stock');
    expect(r.body.alerts).toEqual([]);
    r = await api.call('viewer', 'GET', '/api/parts/low-stock?all=true');
    expect(r.body.alerts).toEqual([
      expect.objectContaining({
        part_no: '6205-2RS',
        store: 'A-MAIN',
        quantity_at_raise: 3,
        quantity: 4,
        cleared_at: clock.now,
      }),
    ]);
    r = await api.call('viewer', 'GET', `/api/parts/${partId}`);
    expect(r.body.stock).toEqual([expect.objectContaining({ store: 'A-MAIN', quantity: 4, low: false })]);
  });

  it('answers errors with a field and a status', async () => {
    const cases: Array<[string, string, string, unknown, number, RegExp]> = [
      [
        'sup',
        'POST',
        '/api/parts',
        { part_no: '123', name: 'x', unit: 'pcs', category: 'c' },
        400,
        /^part_no: .*not only digits/,
      ],
      [
        'sup',
        'POST',
        '/api/parts',
        { part_no: 'X-1', name: '', unit: 'pcs', category: 'c' },
        400,
        /^name: must not be empty/,
      ],
      [
        'sup',
        'POST',
        '/api/parts',
        { part_no: 'X-1', name: 'x', unit: 'pcs', category: 'c', colour: 'red' },
        400,
        /colour/,
      ],
      [
        'tech',
        'POST',
        '/api/parts',
        { part_no: 'X-1', name: 'x', unit: 'pcs', category: 'c' },
        403,
        /^role: /,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'receive', part: '6205-2RS', store: 'A-MAIN', quantity: 0.0001 },
        400,
        /^quantity: must have at most three decimals/,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'receive', part: '6205-2RS', store: 'A-MAIN', quantity: -1 },
        400,
        /^quantity: /,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'steal', part: '6205-2RS', store: 'A-MAIN', quantity: 1 },
        400,
        /^kind: /,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'adjust', part: '6205-2RS', store: 'A-MAIN', quantity: 1 },
        400,
        /^reason: /,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'adjust', part: '6205-2RS', store: 'A-MAIN', quantity: 1, counted: 2, reason: 'x' },
        400,
        /^quantity: give either/,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'adjust', part: '6205-2RS', store: 'A-MAIN', quantity: -100, reason: 'lost' },
        409,
        /^quantity: A-MAIN holds .* below zero/,
      ],
      [
        'sup',
        'POST',
        '/api/stock/movements',
        { kind: 'receive', part: 'NOPE', store: 'A-MAIN', quantity: 1 },
        404,
        /^part: no part NOPE/,
      ],
      [
        'outsider',
        'POST',
        '/api/stock/movements',
        { kind: 'receive', part: '6205-2RS', store: 'A-MAIN', quantity: 1 },
        404,
        /^store: /,
      ],
      [
        'tech',
        'POST',
        `/api/work-orders/${orderId}/parts`,
        { part: '6205-2RS', store: 'A-MAIN', quantity: 1, action: 'lend' },
        400,
        /^action: /,
      ],
      [
        'tech',
        'POST',
        '/api/work-orders/999999/parts',
        { part: '6205-2RS', store: 'A-MAIN', quantity: 1 },
        404,
        /^id: no work order/,
      ],
      ['viewer', 'GET', '/api/stock?low=maybe', undefined, 400, /^low: /],
      ['viewer', 'GET', '/api/parts/6205-2RS/movements?from=yesterday', undefined, 400, /^from: /],
      ['nobody', 'GET', '/api/parts', undefined, 401, /authentication/],
    ];
    for (const [actor, method, path, body, status, error] of cases) {
      const r = await api.call(actor, method, path, body);
      expect({ path, body, status: r.status }).toEqual({ path, body, status });
      expect(r.body.error).toMatch(error);
    }
    const bad = await api.call('sup', 'POST', '/api/parts', '{"part_no":');
    expect(bad.status).toBe(400);
  });

  it('shows each user only their sites', async () => {
    await api.call('admin', 'POST', '/api/stores', { code: 'B-MAIN', name: 'Site B', site: 'site-b' });
    await api.call('admin', 'POST', '/api/stock/movements', {
      kind: 'receive',
      part: '6205-2RS',
      store: 'B-MAIN',
      quantity: 2,
    });
    const mine = await api.call('viewer', 'GET', '/api/stock');
    expect(mine.body.stock.map((s: { store: string }) => s.store)).toEqual(['A-MAIN']);
    const theirs = await api.call('outsider', 'GET', '/api/stock');
    expect(theirs.body.stock.map((s: { store: string }) => s.store)).toEqual(['B-MAIN']);
    const ledger = await api.call('outsider', 'GET', '/api/parts/6205-2RS/movements');
    expect(ledger.body.movements.map((m: { store: string }) => m.store)).toEqual(['B-MAIN']);
    const stores = await api.call('admin', 'GET', '/api/stores');
    expect(stores.body.stores.map((s: { code: string }) => s.code)).toEqual(['A-MAIN', 'B-MAIN']);
  });
});
