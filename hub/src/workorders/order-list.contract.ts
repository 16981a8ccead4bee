import type { OrderListSort } from '@caretaker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import type { WorkOrderStatus } from '../db/schema.js';
import { orderBoard } from './order-list.js';
import { type OrderSearch, WorkOrderService } from './work-order.service.js';

/**
 * The order list's paging contract (GET /api/work-orders and the desk's board), on a real
 * database: SQLite in a temp dir and PostgreSQL on a throwaway server run the same cases.
 * Every order must appear exactly once however the list is paged, in the same order as one
 * long read, and the totals must count every match.
 */

export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

type Patch = Partial<{
  status: WorkOrderStatus;
  priority: number;
  response_due_at: number | null;
  completion_due_at: number | null;
  response_limit_ms: number | null;
  completion_limit_ms: number | null;
  dispatched_at: number | null;
  sla_paused_since: number | null;
  updated_at: number;
  assignee: string | null;
}>;

export function describeOrderListContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`order list paging contract: ${dialect}`, () => {
    const open: OpenDatabase[] = [];
    let databases = 0;
    afterEach(async () => {
      for (const db of open.splice(0)) await db.close();
    });

    async function rig() {
      databases += 1;
      const database = await openDb(`order_list_${databases}`);
      open.push(database);
      const orders = new WorkOrderService(database.db, () => T0);
      /** An order created at `ts` (orders created in the same millisecond tie on time). */
      const order = async (label: string, ts: number, patch: Patch = {}, site = 'site-a') => {
        const row = await orders.create({
          source: 'manual',
          kind: 'corrective',
          site,
          title: label,
          problemType: 'pump_noise',
          priority: patch.priority ?? 3,
          actor: 'sam',
          ts,
        });
        // The lifecycle's states are set directly: this suite is about reading them back.
        await database.db
          .updateTable('work_orders')
          .set({ updated_at: ts, ...patch })
          .where('id', '=', row.id)
          .execute();
        return row.id;
      };
      /** Every page of a list, read `size` at a time, and the totals each page reported. */
      const pages = async (
        filter: OrderSearch,
        size: number,
        now: number,
        sites: string[] | 'all' = 'all',
      ) => {
        const ids: number[] = [];
        const totals = new Set<number>();
        for (let offset = 0; ; offset += size) {
          const page = await orders.search({ ...filter, limit: size, offset }, sites, now);
          totals.add(page.total);
          ids.push(...page.orders.map((o) => o.id));
          if (page.orders.length < size) break;
        }
        return { ids, totals: [...totals] };
      };
      const titles = async (filter: OrderSearch, now: number) =>
        (await orders.search({ ...filter, limit: 1000 }, 'all', now)).orders.map((o) => o.title);
      return { db: database.db, orders, order, pages, titles };
    }

    it('pages through every order exactly once, in the order of one long read, whatever the sort', async () => {
      const r = await rig();
      // 53 orders, many sharing a creation time, priority and deadline: only the id can
      // break those ties, and a page boundary falls inside them.
      for (let i = 0; i < 53; i += 1) {
        await r.order(`o${i}`, T0 + Math.floor(i / 7) * MIN, {
          priority: 1 + (i % 3),
          completion_due_at: i % 4 === 0 ? null : T0 + (i % 5) * HOUR,
          completion_limit_ms: 8 * HOUR,
          updated_at: T0 + (i % 6) * MIN,
        });
      }
      const sorts: OrderListSort[] = ['newest', 'urgent', 'updated'];
      for (const sort of sorts) {
        const whole = (await r.orders.search({ sort, limit: 1000 }, 'all', T0 + HOUR)).orders.map(
          (o) => o.id,
        );
        expect(new Set(whole).size, sort).toBe(53);
        for (const size of [1, 10, 50]) {
          const paged = await r.pages({ sort }, size, T0 + HOUR);
          expect(paged.ids, `${sort} by ${size}`).toEqual(whole);
          expect(paged.totals, `${sort} by ${size}`).toEqual([53]);
        }
      }
      // Newest: creation time, then the id (a later order created in the same minute first).
      const newest = (await r.orders.search({ sort: 'newest', limit: 9 }, 'all', T0)).orders;
      expect(newest.map((o) => o.title)).toEqual([
        'o52',
        'o51',
        'o50',
        'o49',
        'o48',
        'o47',
        'o46',
        'o45',
        'o44',
      ]);
      // Past the end: an empty page, the total still right.
      const beyond = await r.orders.search({ limit: 10, offset: 60 }, 'all', T0);
      expect({ ids: beyond.orders.length, total: beyond.total }).toEqual({ ids: 0, total: 53 });
    });

    it('puts the most urgent first, judged at the instant it is given', async () => {
      const r = await rig();
      const at = (h: number) => T0 + h * HOUR;
      await r.order('done-new', at(5), { status: 'closed', priority: 1 });
      await r.order('overdue-p3', at(0), { completion_due_at: at(2), completion_limit_ms: 4 * HOUR });
      await r.order('on-track-p1', at(0), {
        priority: 1,
        completion_due_at: at(20),
        completion_limit_ms: 24 * HOUR,
      });
      await r.order('at-risk-p2', at(0), {
        priority: 2,
        completion_due_at: at(4),
        completion_limit_ms: 8 * HOUR,
      });
      await r.order('paused-p1', at(0), { priority: 1, status: 'deferred', completion_due_at: at(1) });
      await r.order('no-limit-p1', at(1), { priority: 1 });
      await r.order('on-track-p1-sooner', at(0), {
        priority: 1,
        completion_due_at: at(10),
        completion_limit_ms: 24 * HOUR,
      });
      // The response limit counts until dispatch: this one answered in time, so it is on track.
      await r.order('dispatched-p2', at(0), {
        priority: 2,
        status: 'in_repair',
        response_due_at: at(1),
        response_limit_ms: HOUR,
        dispatched_at: at(0.5),
        completion_due_at: at(30),
        completion_limit_ms: 48 * HOUR,
      });
      // Not dispatched and past its response limit: overdue though its completion is far off.
      await r.order('response-late-p4', at(0), {
        priority: 4,
        response_due_at: at(2),
        response_limit_ms: 2 * HOUR,
        completion_due_at: at(40),
        completion_limit_ms: 48 * HOUR,
      });
      await r.order('done-old', at(0), { status: 'completed', priority: 1 });

      expect(await r.titles({ sort: 'urgent' }, at(3))).toEqual([
        'overdue-p3',
        'response-late-p4',
        'at-risk-p2',
        'on-track-p1-sooner',
        'on-track-p1',
        'dispatched-p2',
        'paused-p1',
        'no-limit-p1',
        'done-new',
        'done-old',
      ]);
      // Earlier, only the nearest deadline was in its last quarter, nothing late yet.
      expect(await r.titles({ sort: 'urgent' }, at(1))).toEqual([
        'overdue-p3',
        'on-track-p1-sooner',
        'on-track-p1',
        'at-risk-p2',
        'dispatched-p2',
        'response-late-p4',
        'paused-p1',
        'no-limit-p1',
        'done-new',
        'done-old',
      ]);
      // The overdue filter is judged at the same instant.
      expect(await r.titles({ sort: 'urgent', overdue: true }, at(3))).toEqual(['overdue-p3']);
      expect(await r.titles({ sort: 'urgent', overdue: true }, at(1))).toEqual([]);
    });

    it('keeps each page to the filters and the actor sites, the total counting every match', async () => {
      const r = await rig();
      for (let i = 0; i < 30; i += 1) {
        await r.order(`a${i}`, T0 + i, { status: i % 3 === 0 ? 'closed' : 'to_dispatch' }, 'site-a');
      }
      for (let i = 0; i < 12; i += 1) await r.order(`b${i}`, T0 + i, {}, 'site-b');
      const open = await r.pages({ status: ['to_dispatch'], sort: 'urgent' }, 7, T0, ['site-a']);
      expect(open.totals).toEqual([20]);
      expect(new Set(open.ids).size).toBe(20);
      const everything = await r.pages({ sort: 'newest' }, 7, T0, ['site-a', 'site-b']);
      expect({
        n: everything.ids.length,
        unique: new Set(everything.ids).size,
        totals: everything.totals,
      }).toEqual({
        n: 42,
        unique: 42,
        totals: [42],
      });
      expect((await r.pages({}, 5, T0, ['site-b'])).totals).toEqual([12]);
    });

    it("gives the board each column's true count, its first cards, the done column most recently finished first", async () => {
      const r = await rig();
      for (let i = 0; i < 25; i += 1) await r.order(`pending${i}`, T0 + i);
      for (let i = 0; i < 3; i += 1)
        await r.order(`repair${i}`, T0 + i, { status: 'in_repair', assignee: 'tom' });
      await r.order('deferred', T0, { status: 'deferred' });
      for (let i = 0; i < 15; i += 1) {
        // Finished in an order unlike their creation's.
        await r.order(`done${i}`, T0 + i, {
          status: i % 2 === 0 ? 'closed' : 'completed',
          updated_at: T0 + HOUR + ((i * 7) % 15) * MIN,
        });
      }
      await r.order('cancelled', T0, { status: 'cancelled' });
      await r.order('other-site', T0, {}, 'site-b');

      const board = await orderBoard(r.orders, { perColumn: 10, sort: 'urgent' }, ['site-a'], T0);
      const view = Object.fromEntries(
        board.map((c) => [c.key, { total: c.total, cards: c.work_orders.length }]),
      );
      expect(view).toEqual({
        pending_acceptance: { total: 25, cards: 10 },
        to_dispatch: { total: 0, cards: 0 },
        in_repair: { total: 3, cards: 3 },
        awaiting_check: { total: 0, cards: 0 },
        deferred: { total: 1, cards: 1 },
        done: { total: 15, cards: 10 },
      });
      const done = board.find((c) => c.key === 'done');
      expect(done?.sort).toBe('updated');
      const finished = done?.work_orders.map((o) => o.updated_at) ?? [];
      expect(finished).toEqual([...finished].sort((a, b) => b - a));
      expect(finished[0]).toBe(T0 + HOUR + 14 * MIN);
      // A column's count is the list's total for its statuses, so "open as list" shows them all.
      const list = await r.orders.search({ status: ['completed', 'closed'], limit: 1 }, ['site-a'], T0);
      expect(list.total).toBe(done?.total);

      // Filters narrow every column; a status filter empties the columns it leaves out.
      const mine = await orderBoard(
        r.orders,
        { perColumn: 10, status: ['in_repair', 'closed'], assignee: 'tom' },
        ['site-a'],
        T0,
      );
      expect(Object.fromEntries(mine.map((c) => [c.key, [c.statuses, c.total]]))).toEqual({
        pending_acceptance: [[], 0],
        to_dispatch: [[], 0],
        in_repair: [['in_repair'], 3],
        awaiting_check: [[], 0],
        deferred: [[], 0],
        done: [['closed'], 0],
      });
    });
  });
}
