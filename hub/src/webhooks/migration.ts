import { columnTypes, type DatabaseKind } from '../db/migrations.js';

/** Webhook subscriptions and the delivery queue; part of migration 0006_parts_webhooks. */
export function webhookStatements(kind: DatabaseKind): string[] {
  const { id, time, ref } = columnTypes(kind);
  return [
    `create table webhooks (
      id ${id},
      name text not null,
      url text not null,
      events text not null,
      format text not null,
      secret text,
      site text,
      active integer not null default 1,
      created_by text not null,
      created_at ${time} not null,
      updated_at ${time} not null
    )`,
    `create table webhook_deliveries (
      id ${id},
      webhook_id ${ref} not null references webhooks (id),
      event text not null,
      order_id ${ref},
      body text not null,
      status text not null,
      attempts integer not null default 0,
      next_attempt_at ${time} not null,
      last_attempt_at ${time},
      response_status integer,
      last_error text,
      created_at ${time} not null,
      delivered_at ${time}
    )`,
    'create index webhook_deliveries_due on webhook_deliveries (status, next_attempt_at)',
    'create index webhook_deliveries_hook on webhook_deliveries (webhook_id, id)',
  ];
}
