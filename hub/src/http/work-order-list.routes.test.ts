import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrderBoard, WorkOrderPage } from '@caretaker/protocol';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type Actor, setActor } from '../people/actor.js';
import { OrderLifecycle } from '../workorders/order-lifecycle.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { loadWorkflow } from '../workorders/workflow.js';
import { workOrderRoutes } from './work-order-routes.js';

/**
 * GET /api/work-orders's paging and GET /api/work-orders/board over HTTP, on a real express
 * server and SQLite file: what a client may ask (bad paging is a 400 naming the field), what it
 * gets back (the total, the instant it was judged at), and the board's true column counts.
 * The ordering itself is the contract suite's (order-list.contract.ts).
 */

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const ACTORS: Record<string, Actor> = {
  sam: { username: 'sam', role: 'supervisor', sites: ['site-a'] },
  sid: { username: 'sid', role: 'supervisor', sites: ['site-b'] },
};

const dir = mkdtempSync(join(tmpdir(), 'caretaker-wo-list-'));
let database: OpenDatabase;
let server: Server;
let url = '';
const clock = { now: T0 };

beforeAll(async () => {
  database = await openDatabase({ kind: 'sqlite', path: join(dir, 'caretaker.db') });
  const orders = new WorkOrderService(database.db, () => clock.now);
  const lifecycle = new OrderLifecycle({
    db: database.db,
    orders,
    workflow: loadWorkflow(),
    dataDir: dir,
    deviceSite: () => undefined,
    now: () => clock.now,
  });
  for (let i = 0; i < 120; i += 1) {
    await orders.create({
      source: 'manual',
      kind: 'corrective',
      site: i < 110 ? 'site-a' : 'site-b',
      title: `order ${i}`,
      problemType: 'pump_noise',
      priority: 1 + (i % 4),
      actor: 'sam',
      // Ten orders share each millisecond: the id has to break the ties.
      ts: T0 + Math.floor(i / 10),
    });
  }
  await database.db
    .updateTable('work_orders')
    .set({ status: 'closed' })
    .where('title', 'in', ['order 3', 'order 4', 'order 5'])
    .execute();
  await database.db
    .updateTable('work_orders')
    .set({ completion_due_at: T0 + 60_000 })
    .where('title', '=', 'order 7')
    .execute();
  const app = express();
  app.use((req, res, next) => {
    const actor = ACTORS[req.get('x-test-user') ?? ''];
    if (!actor) {
      res.status(401).json({ error: 'authentication required' });
      return;
    }
    setActor(req, actor);
    next();
  });
  app.use('/api', workOrderRoutes({ orders, lifecycle }));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, who = 'sam') => fetch(`${url}${path}`, { headers: { 'x-test-user': who } });
async function json<T>(path: string, who = 'sam'): Promise<T> {
  const res = await get(path, who);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

describe('GET /api/work-orders paging', () => {
  it('refuses bad paging and sorting with a 400 naming the field, and nothing else', async () => {
    const cases: Array<[string, RegExp]> = [
      ['limit=0', /^limit: /],
      ['limit=1001', /^limit: /],
      ['limit=ten', /^limit: /],
      ['limit=2.5', /^limit: /],
      ['offset=-1', /^offset: /],
      ['offset=x', /^offset: /],
      ['sort=oldest', /^sort: /],
      ['as_of=yesterday', /^as_of: /],
      ['page=2', /^page: not taken by this list$/],
    ];
    for (const [query, error] of cases) {
      const res = await get(`/api/work-orders?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error, query).toMatch(error);
    }
    const board = await get('/api/work-orders/board?per_column=0');
    expect(board.status).toBe(400);
    expect(((await board.json()) as { error: string }).error).toMatch(/^per_column: /);
    const boardPaging = await get('/api/work-orders/board?offset=5');
    expect(((await boardPaging.json()) as { error: string }).error).toBe('offset: not taken by the board');
  });

  it("pages the actor's orders: each once, the total, the sort and the instant in every answer", async () => {
    const seen: number[] = [];
    let asOf: number | undefined;
    for (let offset = 0; offset < 200; offset += 25) {
      const page = await json<WorkOrderPage>(
        `/api/work-orders?sort=urgent&limit=25&offset=${offset}${asOf ? `&as_of=${asOf}` : ''}`,
      );
      expect({ total: page.total, limit: page.limit, offset: page.offset, sort: page.sort }).toEqual({
        total: 110,
        limit: 25,
        offset,
        sort: 'urgent',
      });
      asOf ??= page.as_of;
      expect(page.as_of).toBe(T0);
      // The clock moves between pages; the answer keeps to the instant it was given.
      clock.now += 3_600_000;
      seen.push(...page.work_orders.map((o) => o.id));
      if (page.work_orders.length < 25) break;
    }
    expect(seen).toHaveLength(110);
    expect(new Set(seen).size).toBe(110);
    clock.now = T0;
    // Most urgent first: the one with a running deadline (priority 4), then priority 1 before
    // the rest, the closed ones last.
    const first = await json<WorkOrderPage>('/api/work-orders?sort=urgent&limit=110');
    expect(first.work_orders.map((o) => o.id)).toEqual(seen);
    expect(first.work_orders.slice(0, 2).map((o) => [o.title, o.priority])).toEqual([
      ['order 7', 4],
      ['order 108', 1],
    ]);
    expect(first.work_orders.slice(-3).map((o) => o.status)).toEqual(['closed', 'closed', 'closed']);
    // The default stays newest first, as before the desk paged.
    const newest = await json<WorkOrderPage>('/api/work-orders?limit=3');
    expect({ sort: newest.sort, titles: newest.work_orders.map((o) => o.title) }).toEqual({
      sort: 'newest',
      titles: ['order 109', 'order 108', 'order 107'],
    });
  });

  it('judges overdue at the instant given, so a later page agrees with the first', async () => {
    const before = await json<WorkOrderPage>(`/api/work-orders?overdue=true&as_of=${T0}`);
    const after = await json<WorkOrderPage>(`/api/work-orders?overdue=true&as_of=${T0 + 120_000}`);
    expect({ before: before.total, after: after.work_orders.map((o) => o.title) }).toEqual({
      before: 0,
      after: ['order 7'],
    });
  });

  it('gives the board true column counts, at most per_column cards, only of the actor sites', async () => {
    const board = await json<OrderBoard>('/api/work-orders/board?per_column=4');
    const columns = Object.fromEntries(board.columns.map((c) => [c.key, [c.total, c.work_orders.length]]));
    expect(columns).toEqual({
      pending_acceptance: [107, 4],
      to_dispatch: [0, 0],
      in_repair: [0, 0],
      awaiting_check: [0, 0],
      deferred: [0, 0],
      done: [3, 3],
    });
    expect(board.per_column).toBe(4);
    const pending = await json<WorkOrderPage>(
      '/api/work-orders?status=pending_acceptance&sort=urgent&limit=4',
    );
    expect(board.columns[0]?.work_orders.map((o) => o.id)).toEqual(pending.work_orders.map((o) => o.id));
    const other = await json<OrderBoard>('/api/work-orders/board', 'sid');
    expect(other.columns.find((c) => c.key === 'pending_acceptance')?.total).toBe(10);
    const refused = await get('/api/work-orders/board?site=site-a', 'sid');
    expect(refused.status).toBe(403);
  });
});
