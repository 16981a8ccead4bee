import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import type { Actor } from '../people/actor.js';
import { type OrderEventNotice, WorkOrderService } from '../workorders/work-order.service.js';
import { type LowStockNotice, PartsError, PartsService } from './parts.service.js';

/**
 * The spare-parts store's contract, on a real database: the same suite for SQLite and
 * PostgreSQL. Time comes from a controlled clock.
 */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0);
const ADMIN: Actor = { username: 'ada', role: 'admin', sites: 'all' };
const SUPERVISOR_A: Actor = { username: 'sam', role: 'supervisor', sites: ['site-a'] };
const TECH_A: Actor = { username: 'tom', role: 'technician', sites: ['site-a'] };
const OTHER_TECH_A: Actor = { username: 'tia', role: 'technician', sites: ['site-a'] };
const VIEWER_A: Actor = { username: 'vic', role: 'viewer', sites: ['site-a'] };
const SUPERVISOR_B: Actor = { username: 'bob', role: 'supervisor', sites: ['site-b'] };

interface Rig {
  database: OpenDatabase;
  orders: WorkOrderService;
  parts: PartsService;
  clock: { now: number };
  lowStock: LowStockNotice[];
  orderEvents: OrderEventNotice[];
  /** A manual order at site-a (assigned to tom) and its id. */
  order(site?: string, assignee?: string | null): Promise<number>;
}

export function describePartsContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`spare parts contract: ${dialect}`, () => {
    const open: OpenDatabase[] = [];
    let n = 0;
    afterEach(async () => {
      for (const db of open.splice(0)) await db.close();
    });

    async function rig(): Promise<Rig> {
      n += 1;
      const database = await openDb(`parts_${n}`);
      open.push(database);
      const clock = { now: T0 };
      const orders = new WorkOrderService(database.db, () => clock.now);
      const parts = new PartsService(database.db, orders, () => clock.now);
      const lowStock: LowStockNotice[] = [];
      const orderEvents: OrderEventNotice[] = [];
      parts.onLowStock((notice) => lowStock.push(notice));
      orders.onEvent((event) => orderEvents.push(event));
      await parts.createPart(ADMIN, {
        part_no: 'BRG-6205',
        name: 'Deep groove ball bearing 6205',
        unit: 'pcs',
        category: 'bearing',
        device_types: ['pump'],
      });
      await parts.createPart(ADMIN, {
        part_no: 'CBL-2.5',
        name: 'Cable 2.5 mm2',
        unit: 'm',
        category: 'electrical',
      });
      await parts.createStore(ADMIN, { code: 'A-MAIN', name: 'Site A main store', site: 'site-a' });
      await parts.createStore(ADMIN, { code: 'A-B1', name: 'Tower 1 cabinet', site: 'site-a' });
      await parts.createStore(ADMIN, { code: 'B-MAIN', name: 'Site B main store', site: 'site-b' });
      return {
        database,
        orders,
        parts,
        clock,
        lowStock,
        orderEvents,
        async order(site = 'site-a', assignee: string | null = 'tom') {
          const order = await orders.create({
            source: 'manual',
            kind: 'corrective',
            site,
            device: 'b1-pump-1',
            title: 'Bearing noise',
            problemType: 'pump_bearing',
            priority: 2,
            actor: 'sam',
          });
          if (assignee) {
            await database.db
              .updateTable('work_orders')
              .set({ assignee, status: 'in_repair' })
              .where('id', '=', order.id)
              .execute();
          }
          return order.id;
        },
      };
    }

    async function refused(promise: Promise<unknown>, status: number, pattern: RegExp): Promise<void> {
      const err = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PartsError);
      expect((err as PartsError).status).toBe(status);
      expect((err as PartsError).message).toMatch(pattern);
    }

    it('goes low and alerts once, then again only after a restock above the minimum', async () => {
      const r = await rig();
      const orderId = await r.order();
      await r.parts.receive(SUPERVISOR_A, {
        part: 'BRG-6205',
        store: 'A-MAIN',
        quantity: 10,
        reference: 'PO-1',
      });
      await r.parts.setMinimum(SUPERVISOR_A, { part: 'BRG-6205', store: 'A-MAIN', min_quantity: 5 });
      await r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 4 }); // 6 left
      expect(r.lowStock).toHaveLength(0);
      r.clock.now += 60_000;
      await r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 2 }); // 4 < 5
      expect(r.lowStock).toHaveLength(1);
      expect(r.lowStock[0]).toMatchObject({
        ts: T0 + 60_000,
        part: { part_no: 'BRG-6205' },
        store: { code: 'A-MAIN', site: 'site-a' },
        quantity: 4,
        min_quantity: 5,
      });
      await r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }); // 3
      await r.parts.receive(SUPERVISOR_A, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }); // 4, still low
      expect(r.lowStock).toHaveLength(1);
      const open = await r.parts.lowStock(VIEWER_A);
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({
        part_no: 'BRG-6205',
        store: 'A-MAIN',
        quantity: 4,
        quantity_at_raise: 4,
      });
      expect(await r.parts.lowStock(SUPERVISOR_B)).toHaveLength(0);

      await r.parts.receive(SUPERVISOR_A, { part: 'BRG-6205', store: 'A-MAIN', quantity: 6 }); // 10: restocked
      expect(await r.parts.lowStock(ADMIN)).toHaveLength(0);
      await r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 5 }); // 5: at the minimum
      expect(r.lowStock).toHaveLength(1);
      await r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }); // 4: low again
      expect(r.lowStock).toHaveLength(2);
      const history = await r.parts.lowStock(ADMIN, { all: true });
      expect(history).toHaveLength(2);
      expect(history.filter((a) => a.cleared_at === null)).toHaveLength(1);
    });

    it('raises the alert when a new minimum is above the stock already there', async () => {
      const r = await rig();
      await r.parts.receive(ADMIN, { part: 'CBL-2.5', store: 'A-B1', quantity: 3 });
      const view = await r.parts.setMinimum(ADMIN, { part: 'CBL-2.5', store: 'A-B1', min_quantity: 20 });
      expect(view).toMatchObject({ quantity: 3, min_quantity: 20, low: true });
      expect(r.lowStock).toHaveLength(1);
      expect(r.lowStock[0]?.movement_id).toBeNull();
      await r.parts.setMinimum(ADMIN, { part: 'CBL-2.5', store: 'A-B1', min_quantity: 25 });
      expect(r.lowStock).toHaveLength(1);
      await r.parts.setMinimum(ADMIN, { part: 'CBL-2.5', store: 'A-B1', min_quantity: 0 });
      expect(await r.parts.lowStock(ADMIN)).toHaveLength(0);
    });

    it('refuses to take stock below zero and leaves no trace of the attempt', async () => {
      const r = await rig();
      const orderId = await r.order();
      await r.parts.receive(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', quantity: 2 });
      const eventsBefore = (await r.orders.events(orderId)).length;
      await refused(
        r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 3 }),
        409,
        /^quantity: A-MAIN holds 2 pcs of BRG-6205; 3 more cannot be taken/,
      );
      await refused(
        r.parts.adjust(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', quantity: -2.5, reason: 'broken' }),
        409,
        /below zero/,
      );
      await refused(
        r.parts.transfer(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', to_store: 'A-B1', quantity: 5 }),
        409,
        /below zero/,
      );
      const [stock] = await r.parts.listStock(ADMIN, { part: 'BRG-6205', store: 'A-MAIN' });
      expect(stock?.quantity).toBe(2);
      expect(await r.parts.movements(ADMIN, 'BRG-6205')).toHaveLength(1);
      expect(await r.orders.events(orderId)).toHaveLength(eventsBefore);
      expect(await r.parts.listStock(ADMIN, { part: 'BRG-6205', store: 'A-B1' })).toEqual([]);
      // The database refuses it too, whatever code writes to it.
      await expect(
        r.database.db
          .updateTable('stock')
          .set({ quantity: -1000 })
          .where('part_id', '=', stock?.part_id ?? 0)
          .execute(),
      ).rejects.toThrow(/check/i);
    });

    it('keeps stock equal to its ledger through every kind of movement, exactly, in decimals', async () => {
      const r = await rig();
      const orderId = await r.order();
      const cable = { part: 'CBL-2.5' };
      await r.parts.receive(ADMIN, { ...cable, store: 'A-MAIN', quantity: 100.1 });
      await r.parts.receive(ADMIN, { ...cable, store: 'A-MAIN', quantity: 0.2 });
      await r.parts.issueToOrder(TECH_A, orderId, { ...cable, store: 'A-MAIN', quantity: 12.345 });
      await r.parts.returnFromOrder(TECH_A, orderId, { ...cable, store: 'A-B1', quantity: 2.345 });
      const t = await r.parts.transfer(SUPERVISOR_A, {
        ...cable,
        store: 'A-MAIN',
        to_store: 'A-B1',
        quantity: 30,
      });
      expect(t.out.transfer_id).toBe(t.in.transfer_id);
      expect([t.out.kind, t.out.quantity, t.in.kind, t.in.quantity]).toEqual([
        'transfer_out',
        -30,
        'transfer_in',
        30,
      ]);
      await r.parts.adjust(SUPERVISOR_A, {
        ...cable,
        store: 'A-B1',
        counted: 31.5,
        reason: 'stock count 2026-03',
      });
      await r.parts.adjust(ADMIN, { ...cable, store: 'A-MAIN', quantity: -0.955, reason: 'offcut' });
      // A-MAIN: 100.1 + 0.2 - 12.345 - 30 - 0.955 = 57; A-B1: 2.345 + 30 = 32.345, counted 31.5 (-0.845).
      const stock = await r.parts.listStock(ADMIN, { part: 'CBL-2.5' });
      expect(stock.map((s) => [s.store, s.quantity])).toEqual([
        ['A-B1', 31.5],
        ['A-MAIN', 57],
      ]);
      const ledger = await r.parts.movements(ADMIN, 'CBL-2.5');
      expect(ledger.map((m) => m.kind)).toEqual([
        'adjust',
        'adjust',
        'transfer_in',
        'transfer_out',
        'return',
        'issue',
        'receive',
        'receive',
      ]);
      expect(ledger[1]).toMatchObject({
        quantity: -0.845,
        balance_after: 31.5,
        reason: 'stock count 2026-03',
      });
      for (const store of ['A-MAIN', 'A-B1']) {
        const rows = ledger.filter((m) => m.store === store);
        const sum = rows.reduce((s, m) => s + Math.round(m.quantity * 1000), 0) / 1000;
        expect(sum).toBe(stock.find((s) => s.store === store)?.quantity);
        expect(rows[0]?.balance_after).toBe(sum);
      }
      expect(await r.parts.reconcile()).toEqual([]);
      const used = await r.parts.orderParts(TECH_A, orderId);
      expect(used.parts).toEqual([
        expect.objectContaining({ part_no: 'CBL-2.5', issued: 12.345, returned: 2.345, used: 10 }),
      ]);
      // Tampering with the stock is what reconcile exists to find.
      await r.database.db
        .updateTable('stock')
        .set({ quantity: 1 })
        .where('store_id', '=', t.in.store_id)
        .execute();
      expect(await r.parts.reconcile()).toEqual([
        expect.objectContaining({
          store_id: t.in.store_id,
          stock: 0.001,
          ledger_sum: 31.5,
          last_balance: 31.5,
        }),
      ]);
    });

    it('never overdraws under concurrent issues', async () => {
      const r = await rig();
      const orderId = await r.order();
      await r.parts.receive(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', quantity: 10 });
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, () =>
          r.parts.issueToOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }),
        ),
      );
      expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(10);
      const failures = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
      expect(failures).toHaveLength(6);
      for (const f of failures) expect((f.reason as PartsError).status).toBe(409);
      const [stock] = await r.parts.listStock(ADMIN, { part: 'BRG-6205', store: 'A-MAIN' });
      expect(stock?.quantity).toBe(0);
      expect(await r.parts.reconcile()).toEqual([]);
    });

    it('records parts on the order: an event after the commit, returns capped at what it took', async () => {
      const r = await rig();
      const orderId = await r.order();
      await r.parts.receive(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', quantity: 5 });
      r.orderEvents.length = 0;
      const issued = await r.parts.issueToOrder(TECH_A, orderId, {
        part: 'BRG-6205',
        store: 'A-MAIN',
        quantity: 2,
        note: 'drive end and non-drive end',
      });
      expect(issued).toMatchObject({
        kind: 'issue',
        quantity: -2,
        balance_after: 3,
        order_id: orderId,
        actor: 'tom',
      });
      expect(r.orderEvents).toEqual([
        expect.objectContaining({
          orderId,
          type: 'parts_issued',
          actor: 'tom',
          detail: expect.objectContaining({
            part: 'BRG-6205',
            store: 'A-MAIN',
            quantity: 2,
            movement_id: issued.id,
          }),
        }),
      ]);
      await refused(
        r.parts.returnFromOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 3 }),
        409,
        /took 2 pcs of BRG-6205 net/,
      );
      await r.parts.returnFromOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-B1', quantity: 1 });
      await refused(
        r.parts.returnFromOrder(TECH_A, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1.5 }),
        409,
        /took 1 pcs/,
      );
      const events = await r.orders.events(orderId);
      expect(events.map((e) => e.type).slice(-2)).toEqual(['parts_issued', 'parts_returned']);
      await r.database.db
        .updateTable('work_orders')
        .set({ status: 'closed' })
        .where('id', '=', orderId)
        .execute();
      await refused(
        r.parts.issueToOrder(ADMIN, orderId, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }),
        409,
        /^order: WO-\d+ is closed/,
      );
    });

    it('checks roles and sites', async () => {
      const r = await rig();
      const mine = await r.order('site-a', 'tom');
      await r.parts.receive(ADMIN, { part: 'BRG-6205', store: 'A-MAIN', quantity: 5 });
      await refused(
        r.parts.receive(TECH_A, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }),
        403,
        /^role: /,
      );
      await refused(
        r.parts.createPart(TECH_A, { part_no: 'X-1', name: 'x', unit: 'pcs', category: 'misc' }),
        403,
        /^role: /,
      );
      await refused(
        r.parts.createStore(SUPERVISOR_A, { code: 'B-2', name: 'b', site: 'site-b' }),
        403,
        /^site: /,
      );
      await refused(
        r.parts.issueToOrder(OTHER_TECH_A, mine, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }),
        403,
        /not assigned/,
      );
      await r.database.db
        .insertInto('work_order_assignees')
        .values({ order_id: mine, username: 'tia', role: 'assistant', added_at: T0, added_by: 'sam' })
        .execute();
      await r.parts.issueToOrder(OTHER_TECH_A, mine, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 });
      await refused(
        r.parts.issueToOrder(VIEWER_A, mine, { part: 'BRG-6205', store: 'A-MAIN', quantity: 1 }),
        403,
        /^role: /,
      );
      // Another site's store and order do not exist for them.
      await refused(
        r.parts.receive(SUPERVISOR_A, { part: 'BRG-6205', store: 'B-MAIN', quantity: 1 }),
        404,
        /^store: /,
      );
      await refused(
        r.parts.issueToOrder(SUPERVISOR_B, mine, { part: 'BRG-6205', store: 'B-MAIN', quantity: 1 }),
        404,
        /^id: /,
      );
      await refused(
        r.parts.transfer(SUPERVISOR_A, {
          part: 'BRG-6205',
          store: 'A-MAIN',
          to_store: 'B-MAIN',
          quantity: 1,
        }),
        404,
        /^store: no store B-MAIN/,
      );
      expect((await r.parts.listStores(SUPERVISOR_B)).map((s) => s.code)).toEqual(['B-MAIN']);
      expect(await r.parts.listStock(SUPERVISOR_B)).toEqual([]);
      expect(await r.parts.movements(SUPERVISOR_B, 'BRG-6205')).toEqual([]);
      await refused(r.parts.orderParts(SUPERVISOR_B, mine), 404, /^id: /);
      await refused(
        r.parts.createPart(ADMIN, { part_no: 'BRG-6205', name: 'again', unit: 'pcs', category: 'bearing' }),
        409,
        /^part_no: BRG-6205 exists already/,
      );
      await refused(r.parts.updatePart(ADMIN, 'BRG-6205', { unit: 'box' }), 409, /^unit: /);
      const renamed = await r.parts.updatePart(SUPERVISOR_A, 'BRG-6205', {
        name: 'Bearing 6205-2RS',
        device_types: ['pump', 'other'],
      });
      expect(renamed.name).toBe('Bearing 6205-2RS');
      expect((await r.parts.listParts({ device_type: 'other' })).map((p) => p.part_no)).toEqual(['BRG-6205']);
      expect((await r.parts.listParts({ q: 'cable' })).map((p) => p.part_no)).toEqual(['CBL-2.5']);
      expect((await r.parts.listParts({ q: '%' })).map((p) => p.part_no)).toEqual([]);
    });
  });
}
