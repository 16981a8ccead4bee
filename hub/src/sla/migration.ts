import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';

/** Service levels, escalation records, shifts and rosters for dispatch (issue 7). */
export function slaDispatchMigration(kind: DatabaseKind): Migration {
  const { id, time, ref } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `alter table work_orders add column response_limit_ms ${time}`,
        `alter table work_orders add column completion_limit_ms ${time}`,
        `alter table work_orders add column sla_applied_pause_ms ${time} not null default 0`,
        `alter table work_orders add column sla_next_check_at ${time}`,
        // The sweep reads only the orders with something due: a range scan on this index.
        'create index work_orders_sla_next_check on work_orders (sla_next_check_at)',
        `create table sla_warnings (
          order_id ${ref} not null references work_orders (id),
          limit_kind text not null,
          percent integer not null,
          ts ${time} not null,
          primary key (order_id, limit_kind, percent)
        )`,
        `create table sla_escalations (
          order_id ${ref} not null references work_orders (id),
          limit_kind text not null,
          level integer not null,
          ts ${time} not null,
          notified text not null,
          reason text not null,
          primary key (order_id, limit_kind, level)
        )`,
        `create table shifts (
          id ${id},
          username text not null references users (username),
          weekday integer not null check (weekday between 1 and 7),
          start_minute integer not null check (start_minute between 0 and 1439),
          end_minute integer not null check (end_minute between 1 and 1440),
          site text
        )`,
        'create index shifts_user on shifts (username, weekday)',
        `create table roster_days (
          id ${id},
          username text not null references users (username),
          day text not null,
          start_minute integer check (start_minute between 0 and 1439),
          end_minute integer check (end_minute between 1 and 1440),
          site text,
          on_duty integer not null default 1,
          note text
        )`,
        'create index roster_days_user on roster_days (username, day)',
      ]);
    },
  };
}
