import { randomUUID } from 'node:crypto';
import type { OrderParts, PartMovement, StockLevel } from '@caretaker/protocol';
import { type Kysely, sql, type Transaction } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import { CLOSED_ORDER_STATUSES, type Database, type WorkOrderRow } from '../db/schema.js';
import { type Actor, canSeeSite } from '../people/actor.js';
import { may } from '../people/permissions.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { fromMilli, toMilli } from './quantity.js';
import type { MovementKind, PartRow, StoreRow } from './schema.js';

type Trx = Transaction<Database>;
type Db = Kysely<Database> | Trx;

/** A refused request: `status` is the HTTP answer, the message starts with the field. */
export class PartsError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** A part or a store named by its id (a number) or its code (a string starting with a letter). */
export type Ref = number | string;

export interface NewPart {
  part_no: string;
  name: string;
  unit: string;
  category: string;
  device_types?: string[];
  description?: string;
}
export type PartPatch = Partial<Omit<NewPart, 'part_no'>> & { active?: boolean };

export interface NewStore {
  code: string;
  name: string;
  site: string;
  location?: string | null;
}

/** A stock below its minimum, announced once (after the commit) until restocked. */
export interface LowStockNotice {
  alert_id: number;
  ts: number;
  part: { id: number; part_no: string; name: string; unit: string };
  store: { id: number; code: string; name: string; site: string };
  quantity: number;
  min_quantity: number;
  movement_id: number | null;
}
export type LowStockListener = (notice: LowStockNotice) => void;

interface Move {
  part: PartRow;
  store: StoreRow;
  kind: MovementKind;
  /** Signed, thousandths. */
  delta: number;
  actor: string;
  ts: number;
  orderId?: number;
  transferId?: string;
  reason?: string | null;
  reference?: string | null;
}

/**
 * Spare parts: the catalogue, stores per site, stock per part and store, and the ledger. Every
 * change of a stock is one ledger row written in the same transaction as the stock update, and
 * the update is conditional (`quantity + delta >= 0`), so concurrent issues cannot overdraw a
 * store and the stock always equals the sum of its ledger (checked by `reconcile`). Going below
 * a minimum opens one low-stock alert (a partial unique index keeps it to one) that closes when
 * the stock is back at or above the minimum; listeners hear of new alerts after the commit.
 */
export class PartsService {
  private readonly listeners: LowStockListener[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly orders: WorkOrderService,
    private readonly now: () => number = Date.now,
  ) {}

  onLowStock(listener: LowStockListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // --- catalogue ---

  async createPart(actor: Actor, input: NewPart): Promise<PartRow> {
    this.require(actor, 'parts.manage');
    const ts = this.now();
    try {
      const row = await this.db
        .insertInto('parts')
        .values({
          part_no: input.part_no,
          name: input.name,
          unit: input.unit,
          category: input.category,
          device_types: JSON.stringify(input.device_types ?? []),
          description: input.description ?? '',
          created_at: ts,
          updated_at: ts,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return this.part(Number(row.id));
    } catch (err) {
      if (isUniqueViolation(err)) throw new PartsError(409, `part_no: ${input.part_no} exists already`);
      throw err;
    }
  }

  async updatePart(actor: Actor, ref: Ref, patch: PartPatch): Promise<PartRow> {
    this.require(actor, 'parts.manage');
    const part = await this.part(ref);
    const values: Record<string, unknown> = { updated_at: this.now() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.category !== undefined) values.category = patch.category;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.device_types !== undefined) values.device_types = JSON.stringify(patch.device_types);
    if (patch.active !== undefined) values.active = patch.active ? 1 : 0;
    if (patch.unit !== undefined && patch.unit !== part.unit) {
      // A new unit would silently rescale every quantity already in the ledger.
      const used = await this.db
        .selectFrom('stock_movements')
        .select('id')
        .where('part_id', '=', part.id)
        .limit(1)
        .executeTakeFirst();
      if (used)
        throw new PartsError(409, `unit: ${part.part_no} has movements in ${part.unit}; add a new part`);
      values.unit = patch.unit;
    }
    await this.db.updateTable('parts').set(values).where('id', '=', part.id).execute();
    return this.part(part.id);
  }

  async listParts(
    filter: { category?: string; device_type?: string; q?: string; active?: boolean } = {},
  ): Promise<PartRow[]> {
    let q = this.db.selectFrom('parts').selectAll().orderBy('part_no');
    if (filter.category) q = q.where('category', '=', filter.category);
    if (filter.active !== undefined) q = q.where('active', '=', filter.active ? 1 : 0);
    if (filter.q) {
      const like = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          eb(sql`lower(part_no)`, 'like', sql`${like} escape '\\'`),
          eb(sql`lower(name)`, 'like', sql`${like} escape '\\'`),
        ]),
      );
    }
    const rows = await q.execute();
    const type = filter.device_type;
    return type ? rows.filter((p) => (JSON.parse(p.device_types) as string[]).includes(type)) : rows;
  }

  async part(ref: Ref, db: Db = this.db): Promise<PartRow> {
    const q = db.selectFrom('parts').selectAll();
    const row = await (typeof ref === 'number'
      ? q.where('id', '=', ref)
      : q.where('part_no', '=', ref)
    ).executeTakeFirst();
    if (!row) throw new PartsError(404, `part: no part ${ref}`);
    return row;
  }

  // --- stores ---

  async createStore(actor: Actor, input: NewStore): Promise<StoreRow> {
    this.require(actor, 'parts.manage');
    this.requireSite(actor, input.site, 'site');
    try {
      const row = await this.db
        .insertInto('stores')
        .values({
          code: input.code,
          name: input.name,
          site: input.site,
          location: input.location ?? null,
          created_at: this.now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return this.store(Number(row.id));
    } catch (err) {
      if (isUniqueViolation(err)) throw new PartsError(409, `code: store ${input.code} exists already`);
      throw err;
    }
  }

  async listStores(actor: Actor, filter: { site?: string } = {}): Promise<StoreRow[]> {
    let q = this.db.selectFrom('stores').selectAll().orderBy('code');
    if (filter.site) q = q.where('site', '=', filter.site);
    if (actor.sites !== 'all') q = q.where('site', 'in', [...actor.sites, '']);
    return q.execute();
  }

  async store(ref: Ref, db: Db = this.db): Promise<StoreRow> {
    const q = db.selectFrom('stores').selectAll();
    const row = await (typeof ref === 'number'
      ? q.where('id', '=', ref)
      : q.where('code', '=', ref)
    ).executeTakeFirst();
    if (!row) throw new PartsError(404, `store: no store ${ref}`);
    return row;
  }

  /** A store the actor may see (a store of another site is "not found", as it is for them). */
  async visibleStore(actor: Actor, ref: Ref, db: Db = this.db): Promise<StoreRow> {
    const store = await this.store(ref, db);
    if (!canSeeSite(actor, store.site)) throw new PartsError(404, `store: no store ${ref}`);
    return store;
  }

  // --- stock ---

  async listStock(
    actor: Actor,
    filter: { part?: Ref; store?: Ref; site?: string; low?: boolean } = {},
  ): Promise<StockLevel[]> {
    let q = this.db
      .selectFrom('stock')
      .innerJoin('parts', 'parts.id', 'stock.part_id')
      .innerJoin('stores', 'stores.id', 'stock.store_id')
      .select([
        'stock.part_id',
        'parts.part_no',
        'parts.name',
        'parts.unit',
        'stock.store_id',
        'stores.code as store',
        'stores.site',
        'stock.quantity',
        'stock.min_quantity',
        'stock.updated_at',
      ])
      .orderBy('parts.part_no')
      .orderBy('stores.code');
    if (filter.part !== undefined) q = q.where('stock.part_id', '=', (await this.part(filter.part)).id);
    if (filter.store !== undefined)
      q = q.where('stock.store_id', '=', (await this.visibleStore(actor, filter.store)).id);
    if (filter.site) q = q.where('stores.site', '=', filter.site);
    if (actor.sites !== 'all') q = q.where('stores.site', 'in', [...actor.sites, '']);
    if (filter.low)
      q = q.where('stock.min_quantity', '>', 0).whereRef('stock.quantity', '<', 'stock.min_quantity');
    const rows = await q.execute();
    return rows.map((r) => ({
      ...r,
      part_id: Number(r.part_id),
      store_id: Number(r.store_id),
      quantity: fromMilli(r.quantity),
      min_quantity: fromMilli(r.min_quantity),
      low: r.min_quantity > 0 && r.quantity < r.min_quantity,
    }));
  }

  /**
   * Sets the minimum level of a part in a store (0: none). A stock already below the new minimum
   * raises its alert at once; one at or above it clears an open alert.
   */
  async setMinimum(
    actor: Actor,
    input: { part: Ref; store: Ref; min_quantity: number },
  ): Promise<StockLevel> {
    this.require(actor, 'parts.manage');
    const min = toMilli(input.min_quantity);
    await this.tx(async (trx, notices) => {
      const part = await this.part(input.part, trx);
      const store = await this.visibleStore(actor, input.store, trx);
      const ts = this.now();
      await this.ensureStock(trx, part.id, store.id, ts);
      const row = await trx
        .updateTable('stock')
        .set({ min_quantity: min, updated_at: ts })
        .where('part_id', '=', part.id)
        .where('store_id', '=', store.id)
        .returning(['quantity', 'min_quantity'])
        .executeTakeFirstOrThrow();
      await this.checkLow(trx, part, store, row.quantity, row.min_quantity, null, ts, notices);
    });
    return this.stockOf(actor, input.part, input.store);
  }

  async receive(
    actor: Actor,
    input: { part: Ref; store: Ref; quantity: number; reference?: string | null; reason?: string | null },
  ): Promise<PartMovement> {
    this.require(actor, 'parts.manage');
    return this.tx(async (trx, notices) => {
      const part = await this.part(input.part, trx);
      const store = await this.visibleStore(actor, input.store, trx);
      const move: Move = {
        part,
        store,
        kind: 'receive',
        delta: toMilli(input.quantity),
        actor: actor.username,
        ts: this.now(),
        reason: input.reason ?? null,
        reference: input.reference ?? null,
      };
      return this.move(trx, move, notices);
    });
  }

  /**
   * Corrects a stock (a count, a breakage, a find) by a signed `quantity` or to a `counted`
   * level; the reason is required, since an adjustment is the one movement nothing else explains.
   */
  async adjust(
    actor: Actor,
    input: {
      part: Ref;
      store: Ref;
      quantity?: number;
      counted?: number;
      reason: string;
      reference?: string | null;
    },
  ): Promise<PartMovement> {
    this.require(actor, 'parts.manage');
    return this.tx(async (trx, notices) => {
      const part = await this.part(input.part, trx);
      const store = await this.visibleStore(actor, input.store, trx);
      const ts = this.now();
      let delta: number;
      if (input.counted !== undefined) {
        const current = await this.ensureStock(trx, part.id, store.id, ts);
        delta = toMilli(input.counted) - current;
        if (delta === 0)
          throw new PartsError(409, `counted: ${store.code} already holds ${input.counted} ${part.unit}`);
      } else if (input.quantity !== undefined) {
        delta = toMilli(input.quantity);
      } else {
        throw new PartsError(400, 'quantity: give quantity (a signed change) or counted (the level found)');
      }
      return this.move(
        trx,
        {
          part,
          store,
          kind: 'adjust',
          delta,
          actor: actor.username,
          ts,
          reason: input.reason,
          reference: input.reference ?? null,
        },
        notices,
      );
    });
  }

  /** Moves stock between two stores: two ledger rows sharing a transfer id, one transaction. */
  async transfer(
    actor: Actor,
    input: { part: Ref; store: Ref; to_store: Ref; quantity: number; reason?: string | null },
  ): Promise<{ out: PartMovement; in: PartMovement }> {
    this.require(actor, 'parts.manage');
    return this.tx(async (trx, notices) => {
      const part = await this.part(input.part, trx);
      const from = await this.visibleStore(actor, input.store, trx);
      const to = await this.visibleStore(actor, input.to_store, trx);
      if (from.id === to.id) throw new PartsError(400, 'to_store: must differ from store');
      const ts = this.now();
      const transferId = randomUUID();
      const qty = toMilli(input.quantity);
      const common = { part, actor: actor.username, ts, transferId, reason: input.reason ?? null };
      const outMove = { ...common, store: from, kind: 'transfer_out' as const, delta: -qty };
      const inMove = { ...common, store: to, kind: 'transfer_in' as const, delta: qty };
      // Rows locked in store-id order, so two opposite transfers cannot deadlock (PostgreSQL).
      if (from.id < to.id) {
        const out = await this.move(trx, outMove, notices);
        return { out, in: await this.move(trx, inMove, notices) };
      }
      const inView = await this.move(trx, inMove, notices);
      return { out: await this.move(trx, outMove, notices), in: inView };
    });
  }

  // --- parts on work orders ---

  /** Parts taken from a store for an order: an `issue` movement and an order event, one transaction. */
  issueToOrder(
    actor: Actor,
    orderId: number,
    input: { part: Ref; store: Ref; quantity: number; note?: string },
  ) {
    return this.orderMovement(actor, orderId, 'issue', input);
  }

  /** Unused parts brought back (to any store the actor sees); never more than the order took. */
  returnFromOrder(
    actor: Actor,
    orderId: number,
    input: { part: Ref; store: Ref; quantity: number; note?: string },
  ) {
    return this.orderMovement(actor, orderId, 'return', input);
  }

  private async orderMovement(
    actor: Actor,
    orderId: number,
    kind: 'issue' | 'return',
    input: { part: Ref; store: Ref; quantity: number; note?: string },
  ): Promise<PartMovement> {
    if (!may(actor, 'parts.use')) throw new PartsError(403, 'role: your role may not use parts on orders');
    return this.tx(async (trx, notices) => {
      const order = await this.visibleOrder(actor, orderId, trx);
      if (order.status === 'cancelled' || order.status === 'closed') {
        throw new PartsError(409, `order: ${order.code} is ${order.status}`);
      }
      if (!may(actor, 'parts.manage')) {
        // Technicians: only on an open order they work on.
        if (CLOSED_ORDER_STATUSES.includes(order.status)) {
          throw new PartsError(409, `order: ${order.code} is ${order.status}`);
        }
        if (!(await this.worksOn(trx, actor.username, order))) {
          throw new PartsError(403, `order: you are not assigned to ${order.code}`);
        }
      }
      const part = await this.part(input.part, trx);
      const store = await this.visibleStore(actor, input.store, trx);
      const ts = this.now();
      // Takes the order's row lock first (PostgreSQL), so two returns cannot both pass the check below.
      await trx.updateTable('work_orders').set({ updated_at: ts }).where('id', '=', order.id).execute();
      const qty = toMilli(input.quantity);
      if (kind === 'return') {
        const net = await this.netIssued(trx, order.id, part.id);
        if (qty > net) {
          throw new PartsError(
            409,
            `quantity: ${order.code} took ${fromMilli(net)} ${part.unit} of ${part.part_no} net; ${input.quantity} cannot come back`,
          );
        }
      }
      const movement = await this.move(
        trx,
        {
          part,
          store,
          kind,
          delta: kind === 'issue' ? -qty : qty,
          actor: actor.username,
          ts,
          orderId: order.id,
          reason: input.note ?? null,
        },
        notices,
      );
      await this.orders.event(
        trx,
        order.id,
        ts,
        actor.username,
        kind === 'issue' ? 'parts_issued' : 'parts_returned',
        null,
        null,
        {
          part: part.part_no,
          store: store.code,
          quantity: input.quantity,
          unit: part.unit,
          movement_id: movement.id,
          ...(input.note ? { note: input.note } : {}),
        },
      );
      return movement;
    });
  }

  /** An order's parts: every movement and the net quantity per part. */
  async orderParts(actor: Actor, orderId: number): Promise<OrderParts> {
    const order = await this.visibleOrder(actor, orderId, this.db);
    const movements = await this.movementQuery(this.db)
      .where('stock_movements.order_id', '=', order.id)
      .orderBy('stock_movements.id')
      .execute();
    const views = movements.map(present);
    const totals = new Map<
      string,
      { part_id: number; part_no: string; name: string; unit: string; issued: number; returned: number }
    >();
    for (const m of movements) {
      const t = totals.get(m.part_no) ?? {
        part_id: Number(m.part_id),
        part_no: m.part_no,
        name: m.part_name,
        unit: m.unit,
        issued: 0,
        returned: 0,
      };
      if (m.kind === 'issue') t.issued -= m.quantity;
      else if (m.kind === 'return') t.returned += m.quantity;
      totals.set(m.part_no, t);
    }
    return {
      order_id: order.id,
      code: order.code,
      movements: views,
      parts: [...totals.values()].map((t) => ({
        ...t,
        issued: fromMilli(t.issued),
        returned: fromMilli(t.returned),
        used: fromMilli(t.issued - t.returned),
      })),
    };
  }

  /** A part's ledger in the stores the actor sees, newest first. */
  async movements(
    actor: Actor,
    ref: Ref,
    filter: { store?: Ref; from?: number; to?: number; limit?: number } = {},
  ): Promise<PartMovement[]> {
    const part = await this.part(ref);
    let q = this.movementQuery(this.db).where('stock_movements.part_id', '=', part.id);
    if (filter.store !== undefined)
      q = q.where('stock_movements.store_id', '=', (await this.visibleStore(actor, filter.store)).id);
    if (filter.from !== undefined) q = q.where('stock_movements.ts', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('stock_movements.ts', '<', filter.to);
    if (actor.sites !== 'all') q = q.where('stores.site', 'in', [...actor.sites, '']);
    const rows = await q
      .orderBy('stock_movements.id', 'desc')
      .limit(filter.limit ?? 500)
      .execute();
    return rows.map(present);
  }

  /** Open low-stock alerts (or every alert with `all`) in the stores the actor sees. */
  async lowStock(actor: Actor, opts: { all?: boolean; site?: string } = {}) {
    let q = this.db
      .selectFrom('low_stock_alerts')
      .innerJoin('parts', 'parts.id', 'low_stock_alerts.part_id')
      .innerJoin('stores', 'stores.id', 'low_stock_alerts.store_id')
      .innerJoin('stock', (join) =>
        join
          .onRef('stock.part_id', '=', 'low_stock_alerts.part_id')
          .onRef('stock.store_id', '=', 'low_stock_alerts.store_id'),
      )
      .select([
        'low_stock_alerts.id',
        'low_stock_alerts.raised_at',
        'low_stock_alerts.cleared_at',
        'low_stock_alerts.quantity as quantity_at_raise',
        'low_stock_alerts.min_quantity as min_at_raise',
        'low_stock_alerts.movement_id',
        'parts.id as part_id',
        'parts.part_no',
        'parts.name',
        'parts.unit',
        'stores.id as store_id',
        'stores.code as store',
        'stores.site',
        'stock.quantity',
        'stock.min_quantity',
      ])
      .orderBy('low_stock_alerts.id', 'desc');
    if (!opts.all) q = q.where('low_stock_alerts.cleared_at', 'is', null);
    if (opts.site) q = q.where('stores.site', '=', opts.site);
    if (actor.sites !== 'all') q = q.where('stores.site', 'in', [...actor.sites, '']);
    const rows = await q.limit(1000).execute();
    return rows.map((r) => ({
      ...r,
      id: Number(r.id),
      part_id: Number(r.part_id),
      store_id: Number(r.store_id),
      movement_id: r.movement_id === null ? null : Number(r.movement_id),
      quantity_at_raise: fromMilli(r.quantity_at_raise),
      min_at_raise: fromMilli(r.min_at_raise),
      quantity: fromMilli(r.quantity),
      min_quantity: fromMilli(r.min_quantity),
    }));
  }

  /**
   * Every stock whose quantity differs from the sum of its ledger, or whose last ledger row's
   * balance differs from it (empty when the books agree).
   */
  async reconcile(): Promise<
    Array<{
      part_id: number;
      store_id: number;
      stock: number;
      ledger_sum: number;
      last_balance: number | null;
    }>
  > {
    const sums = await this.db
      .selectFrom('stock_movements')
      .select([
        'part_id',
        'store_id',
        (eb) => eb.fn.sum<number>('quantity').as('total'),
        (eb) => eb.fn.max<number>('id').as('last_id'),
      ])
      .groupBy(['part_id', 'store_id'])
      .execute();
    const stock = await this.db.selectFrom('stock').select(['part_id', 'store_id', 'quantity']).execute();
    const lastIds = sums.map((s) => Number(s.last_id));
    const balances = new Map<number, number>();
    if (lastIds.length > 0) {
      for (const row of await this.db
        .selectFrom('stock_movements')
        .select(['id', 'balance_after'])
        .where('id', 'in', lastIds)
        .execute()) {
        balances.set(Number(row.id), Number(row.balance_after));
      }
    }
    const key = (p: number, s: number) => `${p}/${s}`;
    const ledger = new Map(sums.map((s) => [key(Number(s.part_id), Number(s.store_id)), s]));
    const out = [];
    for (const s of stock) {
      const l = ledger.get(key(Number(s.part_id), Number(s.store_id)));
      const sum = l ? Number(l.total) : 0;
      const last = l ? (balances.get(Number(l.last_id)) ?? null) : null;
      if (sum !== Number(s.quantity) || (last !== null && last !== Number(s.quantity))) {
        out.push({
          part_id: Number(s.part_id),
          store_id: Number(s.store_id),
          stock: fromMilli(s.quantity),
          ledger_sum: fromMilli(sum),
          last_balance: last === null ? null : fromMilli(last),
        });
      }
    }
    return out;
  }

  // --- internals ---

  /**
   * One transaction through the order service (so order events recorded in it reach their
   * listeners after the commit); new low-stock alerts are announced after the commit too.
   */
  private async tx<T>(fn: (trx: Trx, notices: LowStockNotice[]) => Promise<T>): Promise<T> {
    let notices: LowStockNotice[] = [];
    const result = await this.orders.inTransaction(async (trx) => {
      notices = [];
      return fn(trx, notices);
    });
    for (const notice of notices) {
      for (const listener of this.listeners) {
        try {
          listener(notice);
        } catch {
          // A listener's failure is its own; the movement is committed.
        }
      }
    }
    return result;
  }

  /** Creates the stock row at zero if missing; returns its quantity (thousandths). */
  private async ensureStock(trx: Trx, partId: number, storeId: number, ts: number): Promise<number> {
    await trx
      .insertInto('stock')
      .values({ part_id: partId, store_id: storeId, quantity: 0, min_quantity: 0, updated_at: ts })
      .onConflict((oc) => oc.columns(['part_id', 'store_id']).doNothing())
      .execute();
    const row = await trx
      .selectFrom('stock')
      .select('quantity')
      .where('part_id', '=', partId)
      .where('store_id', '=', storeId)
      .executeTakeFirstOrThrow();
    return Number(row.quantity);
  }

  private async move(trx: Trx, m: Move, notices: LowStockNotice[]): Promise<PartMovement> {
    await this.ensureStock(trx, m.part.id, m.store.id, m.ts);
    // Conditional: the database decides "enough in stock" against the row it locks.
    const updated = await trx
      .updateTable('stock')
      .set({ quantity: sql<number>`quantity + ${m.delta}`, updated_at: m.ts })
      .where('part_id', '=', m.part.id)
      .where('store_id', '=', m.store.id)
      .where(sql<number>`quantity + ${m.delta}`, '>=', 0)
      .returning(['quantity', 'min_quantity'])
      .executeTakeFirst();
    if (!updated) {
      const have = await this.ensureStock(trx, m.part.id, m.store.id, m.ts);
      throw new PartsError(
        409,
        `quantity: ${m.store.code} holds ${fromMilli(have)} ${m.part.unit} of ${m.part.part_no}; ` +
          `${fromMilli(-m.delta)} more cannot be taken (stock never goes below zero)`,
      );
    }
    const inserted = await trx
      .insertInto('stock_movements')
      .values({
        ts: m.ts,
        part_id: m.part.id,
        store_id: m.store.id,
        kind: m.kind,
        quantity: m.delta,
        balance_after: updated.quantity,
        order_id: m.orderId ?? null,
        transfer_id: m.transferId ?? null,
        reason: m.reason ?? null,
        reference: m.reference ?? null,
        actor: m.actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const id = Number(inserted.id);
    await this.checkLow(
      trx,
      m.part,
      m.store,
      Number(updated.quantity),
      Number(updated.min_quantity),
      id,
      m.ts,
      notices,
    );
    return {
      id,
      ts: m.ts,
      kind: m.kind,
      part_id: m.part.id,
      part_no: m.part.part_no,
      store_id: m.store.id,
      store: m.store.code,
      site: m.store.site,
      quantity: fromMilli(m.delta),
      balance_after: fromMilli(updated.quantity),
      unit: m.part.unit,
      order_id: m.orderId ?? null,
      transfer_id: m.transferId ?? null,
      reason: m.reason ?? null,
      reference: m.reference ?? null,
      actor: m.actor,
    };
  }

  /** Opens the alert when below the minimum (once: the unique index), closes it at or above. */
  private async checkLow(
    trx: Trx,
    part: PartRow,
    store: StoreRow,
    quantity: number,
    min: number,
    movementId: number | null,
    ts: number,
    notices: LowStockNotice[],
  ): Promise<void> {
    if (min > 0 && quantity < min) {
      const opened = await trx
        .insertInto('low_stock_alerts')
        .values({
          part_id: part.id,
          store_id: store.id,
          raised_at: ts,
          quantity,
          min_quantity: min,
          movement_id: movementId,
        })
        .onConflict((oc) => oc.columns(['part_id', 'store_id']).where('cleared_at', 'is', null).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (opened) {
        notices.push({
          alert_id: Number(opened.id),
          ts,
          part: { id: part.id, part_no: part.part_no, name: part.name, unit: part.unit },
          store: { id: store.id, code: store.code, name: store.name, site: store.site },
          quantity: fromMilli(quantity),
          min_quantity: fromMilli(min),
          movement_id: movementId,
        });
      }
      return;
    }
    await trx
      .updateTable('low_stock_alerts')
      .set({ cleared_at: ts })
      .where('part_id', '=', part.id)
      .where('store_id', '=', store.id)
      .where('cleared_at', 'is', null)
      .execute();
  }

  private async netIssued(trx: Trx, orderId: number, partId: number): Promise<number> {
    const row = await trx
      .selectFrom('stock_movements')
      .select((eb) => eb.fn.sum<number>('quantity').as('total'))
      .where('order_id', '=', orderId)
      .where('part_id', '=', partId)
      .where('kind', 'in', ['issue', 'return'])
      .executeTakeFirst();
    // Issues are negative in the ledger: the order holds minus their sum.
    return -Number(row?.total ?? 0);
  }

  private async worksOn(trx: Trx, username: string, order: WorkOrderRow): Promise<boolean> {
    if (order.assignee === username) return true;
    const helper = await trx
      .selectFrom('work_order_assignees')
      .select('username')
      .where('order_id', '=', order.id)
      .where('username', '=', username)
      .executeTakeFirst();
    return helper !== undefined;
  }

  private async visibleOrder(actor: Actor, orderId: number, db: Db): Promise<WorkOrderRow> {
    const order = await db.selectFrom('work_orders').selectAll().where('id', '=', orderId).executeTakeFirst();
    if (!order || !canSeeSite(actor, order.site)) throw new PartsError(404, `id: no work order ${orderId}`);
    return order;
  }

  private async stockOf(actor: Actor, part: Ref, store: Ref): Promise<StockLevel> {
    const [row] = await this.listStock(actor, { part, store });
    if (!row) throw new PartsError(404, 'stock: none');
    return row;
  }

  private movementQuery(db: Db) {
    return db
      .selectFrom('stock_movements')
      .innerJoin('parts', 'parts.id', 'stock_movements.part_id')
      .innerJoin('stores', 'stores.id', 'stock_movements.store_id')
      .select([
        'stock_movements.id',
        'stock_movements.ts',
        'stock_movements.kind',
        'stock_movements.part_id',
        'parts.part_no',
        'parts.name as part_name',
        'parts.unit',
        'stock_movements.store_id',
        'stores.code as store',
        'stores.site',
        'stock_movements.quantity',
        'stock_movements.balance_after',
        'stock_movements.order_id',
        'stock_movements.transfer_id',
        'stock_movements.reason',
        'stock_movements.reference',
        'stock_movements.actor',
      ]);
  }

  private require(actor: Actor, permission: 'parts.manage' | 'parts.use'): void {
    if (!may(actor, permission)) {
      throw new PartsError(
        403,
        `role: a ${actor.role} may not ${permission === 'parts.manage' ? 'manage parts and stores' : 'use parts'}`,
      );
    }
  }

  private requireSite(actor: Actor, site: string, field: string): void {
    if (!canSeeSite(actor, site)) throw new PartsError(403, `${field}: you do not work at site ${site}`);
  }
}

function present(r: {
  id: number;
  ts: number;
  kind: MovementKind;
  part_id: number;
  part_no: string;
  unit: string;
  store_id: number;
  store: string;
  site: string;
  quantity: number;
  balance_after: number;
  order_id: number | null;
  transfer_id: string | null;
  reason: string | null;
  reference: string | null;
  actor: string;
}): PartMovement {
  return {
    id: Number(r.id),
    ts: Number(r.ts),
    kind: r.kind,
    part_id: Number(r.part_id),
    part_no: r.part_no,
    store_id: Number(r.store_id),
    store: r.store,
    site: r.site,
    quantity: fromMilli(r.quantity),
    balance_after: fromMilli(r.balance_after),
    unit: r.unit,
    order_id: r.order_id === null ? null : Number(r.order_id),
    transfer_id: r.transfer_id,
    reason: r.reason,
    reference: r.reference,
    actor: r.actor,
  };
}
