import { type Kysely, type Migration, sql } from 'kysely';
import { alarmAcknowledgementsMigration } from '../alarms/acknowledgement.service.js';
import { detectorStateMigration } from '../alarms/detector-state.js';
import { partsWebhooksMigration } from '../parts/migration.js';
import { peopleMigration } from '../people/migration.js';
import { preventiveMigration } from '../preventive/migration.js';
import { slaDispatchMigration } from '../sla/migration.js';
import { qrReportsMigration } from '../workorders/migration.js';
import { orderListIndexesMigration } from '../workorders/order-list.migration.js';

/**
 * Schema migrations, in order; applied at start by Kysely's migrator (which records them in
 * `kysely_migration`). Never edit a released migration: add the next one.
 */
export type DatabaseKind = 'sqlite' | 'postgres';

/** Column types that differ between the dialects; every migration uses these. */
export function columnTypes(kind: DatabaseKind) {
  return {
    id: kind === 'sqlite' ? 'integer primary key autoincrement' : 'bigserial primary key',
    // Epoch milliseconds need 64 bits; SQLite's integer is 64-bit already.
    time: kind === 'sqlite' ? 'integer' : 'bigint',
    ref: kind === 'sqlite' ? 'integer' : 'bigint',
    real: kind === 'sqlite' ? 'real' : 'double precision',
  };
}

/** Runs plain DDL statements in order (the same text for both dialects, built with columnTypes). */
export async function runStatements(db: Kysely<unknown>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/**
 * Every module adds its own migration here, in order (Kysely applies them sorted by name).
 * Names reserved for issue 7: 0002_order_lifecycle, 0003_people, 0004_sla_dispatch,
 * 0005_preventive, 0006_parts_webhooks, 0007_reports.
 */
export function migrations(kind: DatabaseKind): Record<string, Migration> {
  const { id, time, ref } = columnTypes(kind);
  return {
    '0001_alarms_and_work_orders': {
      async up(db: Kysely<unknown>) {
        const statements = [
          `create table alarms (
            id ${id},
            incident_key text not null,
            site text not null,
            device text,
            gateway text,
            rule_id text not null,
            title text not null,
            state text not null,
            severity text not null,
            pending_since ${time},
            first_raised_at ${time},
            raised_at ${time},
            clearing_since ${time},
            cleared_at ${time},
            closed_at ${time},
            occurrences integer not null default 0,
            flapping integer not null default 0,
            root_alarm_id ${ref},
            silenced text,
            evaluated_until ${time},
            detail text not null default '{}',
            updated_at ${time} not null
          )`,
          // One live alarm per incident: the database, not the code, is the guarantee.
          'create unique index alarms_one_open_per_incident on alarms (incident_key) where closed_at is null',
          'create index alarms_device on alarms (device, state)',
          `create table work_orders (
            id ${id},
            code text not null unique,
            incident_key text not null,
            status text not null,
            source text not null,
            kind text not null,
            site text not null,
            device text,
            rule_id text,
            title text not null,
            problem_type text not null,
            priority integer not null,
            severity text not null,
            alarm_id ${ref} references alarms (id),
            previous_order_id ${ref} references work_orders (id),
            occurrences integer not null default 1,
            reopen_count integer not null default 0,
            first_time_fix integer not null default 1,
            evidence text not null default '{}',
            created_at ${time} not null,
            acknowledged_at ${time},
            completed_at ${time},
            closed_at ${time},
            cancelled_at ${time},
            cancel_reason text,
            updated_at ${time} not null
          )`,
          // At most one open work order per incident key.
          `create unique index work_orders_one_open_per_incident on work_orders (incident_key)
            where status not in ('completed', 'closed', 'cancelled')`,
          'create index work_orders_device on work_orders (device, created_at)',
          'create index work_orders_status on work_orders (status)',
          `create table work_order_events (
            id ${id},
            order_id ${ref} not null references work_orders (id),
            ts ${time} not null,
            actor text not null,
            type text not null,
            from_status text,
            to_status text,
            detail text not null default '{}'
          )`,
          'create index work_order_events_order on work_order_events (order_id, ts)',
          `create table work_order_alarms (
            order_id ${ref} not null references work_orders (id),
            alarm_id ${ref} not null references alarms (id),
            role text not null,
            linked_at ${time} not null,
            primary key (order_id, alarm_id)
          )`,
          `create table maintenance_windows (
            id ${id},
            site text not null,
            device text,
            starts_at ${time} not null,
            ends_at ${time} not null,
            reason text not null,
            created_by text not null
          )`,
        ];
        for (const statement of statements) await sql.raw(statement).execute(db);
      },
    },
    // Issue 7: every field of an order the documents ask for, and its people. The modules fill
    // them: lifecycle (assignees, rejection, deferral), SLA (due times, pauses, escalation),
    // preventive plans (plan_id), completion (labour, fault category, resolution, rating).
    '0002_order_lifecycle': {
      async up(db: Kysely<unknown>) {
        const columns = [
          'building text',
          'location text',
          "description text not null default ''",
          'requester text',
          'assignee text',
          `response_due_at ${time}`,
          `completion_due_at ${time}`,
          `sla_paused_since ${time}`,
          `sla_paused_ms ${time} not null default 0`,
          'escalation_level integer not null default 0',
          `dispatched_at ${time}`,
          `started_at ${time}`,
          `check_requested_at ${time}`,
          `defer_requested_at ${time}`,
          'defer_reason text',
          `deferred_until ${time}`,
          `plan_id ${ref}`,
          'labour_minutes integer not null default 0',
          'fault_category text',
          'resolution text',
          'rating integer',
          'rating_comment text',
          'reject_count integer not null default 0',
        ];
        const statements = [
          ...columns.map((c) => `alter table work_orders add column ${c}`),
          'create index work_orders_assignee on work_orders (assignee, status)',
          'create index work_orders_site on work_orders (site, status)',
          `create table work_order_assignees (
            order_id ${ref} not null references work_orders (id),
            username text not null,
            role text not null,
            added_at ${time} not null,
            added_by text not null,
            primary key (order_id, username)
          )`,
          `create table work_order_attachments (
            id ${id},
            order_id ${ref} not null references work_orders (id),
            filename text not null,
            content_type text not null,
            size integer not null,
            sha256 text not null,
            storage_key text not null,
            uploaded_by text not null,
            uploaded_at ${time} not null
          )`,
        ];
        await runStatements(db, statements);
      },
    },
    '0003_people': peopleMigration(kind),
    '0004_sla_dispatch': slaDispatchMigration(kind),
    '0005_preventive': preventiveMigration(kind),
    '0006_parts_webhooks': partsWebhooksMigration(kind),
    '0008_detector_state': detectorStateMigration(kind),
    '0009_qr_reports': qrReportsMigration(kind),
    '0010_alarm_acknowledgements': alarmAcknowledgementsMigration(kind),
    '0011_order_list_indexes': orderListIndexesMigration(),
  };
}
