import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';
import { webhookStatements } from '../webhooks/migration.js';

/** Spare parts (catalogue, stores, stock, ledger, low-stock alerts) and webhooks (issue 7). */
export function partsWebhooksMigration(kind: DatabaseKind): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [...partsStatements(kind), ...webhookStatements(kind)]);
    },
  };
}

function partsStatements(kind: DatabaseKind): string[] {
  const { id, time, ref } = columnTypes(kind);
  // Quantities in thousandths of a unit can pass 2^31: 64-bit like the times.
  const qty = time;
  return [
    `create table parts (
      id ${id},
      part_no text not null unique,
      name text not null,
      unit text not null,
      category text not null,
      device_types text not null default '[]',
      description text not null default '',
      active integer not null default 1,
      created_at ${time} not null,
      updated_at ${time} not null
    )`,
    `create table stores (
      id ${id},
      code text not null unique,
      name text not null,
      site text not null,
      location text,
      active integer not null default 1,
      created_at ${time} not null
    )`,
    'create index stores_site on stores (site)',
    // The database itself refuses a negative stock, whatever the code does.
    `create table stock (
      part_id ${ref} not null references parts (id),
      store_id ${ref} not null references stores (id),
      quantity ${qty} not null default 0 check (quantity >= 0),
      min_quantity ${qty} not null default 0 check (min_quantity >= 0),
      updated_at ${time} not null,
      primary key (part_id, store_id)
    )`,
    'create index stock_store on stock (store_id)',
    `create table stock_movements (
      id ${id},
      ts ${time} not null,
      part_id ${ref} not null references parts (id),
      store_id ${ref} not null references stores (id),
      kind text not null,
      quantity ${qty} not null,
      balance_after ${qty} not null,
      order_id ${ref} references work_orders (id),
      transfer_id text,
      reason text,
      reference text,
      actor text not null
    )`,
    'create index stock_movements_part on stock_movements (part_id, store_id, id)',
    'create index stock_movements_order on stock_movements (order_id)',
    `create table low_stock_alerts (
      id ${id},
      part_id ${ref} not null references parts (id),
      store_id ${ref} not null references stores (id),
      raised_at ${time} not null,
      quantity ${qty} not null,
      min_quantity ${qty} not null,
      movement_id ${ref} references stock_movements (id),
      cleared_at ${time}
    )`,
    // Recorded once until restocked: at most one open alert per part and store.
    'create unique index low_stock_alerts_one_open on low_stock_alerts (part_id, store_id) where cleared_at is null',
  ];
}
