import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';

/** Inspection objects, templates, plans, inspections and their item results (issue 7). */
export function preventiveMigration(kind: DatabaseKind): Migration {
  const { id, time, ref, real } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `create table inspection_objects (
          id ${id},
          key text unique,
          site text not null,
          name text not null,
          device text,
          building text,
          location text,
          problem_type text not null,
          items text not null,
          created_by text not null,
          created_at ${time} not null,
          updated_at ${time} not null,
          archived_at ${time}
        )`,
        'create index inspection_objects_site on inspection_objects (site)',
        `create table inspection_templates (
          id ${id},
          key text unique,
          site text not null,
          name text not null,
          description text not null default '',
          created_by text not null,
          created_at ${time} not null,
          updated_at ${time} not null,
          archived_at ${time}
        )`,
        `create table inspection_template_objects (
          template_id ${ref} not null references inspection_templates (id),
          object_id ${ref} not null references inspection_objects (id),
          position integer not null,
          primary key (template_id, object_id)
        )`,
        `create table preventive_plans (
          id ${id},
          key text unique,
          site text not null,
          name text not null,
          description text not null default '',
          template_id ${ref} references inspection_templates (id),
          schedule_kind text not null,
          schedule text not null,
          window_ms ${time} not null,
          priority integer not null,
          problem_type text not null,
          assign_kind text,
          assign_to text,
          active integer not null default 1,
          next_due_at ${time},
          usage_last_raw ${real},
          usage_total ${real} not null default 0,
          usage_at_last ${real} not null default 0,
          usage_count integer not null default 0,
          last_generated_at ${time},
          created_by text not null,
          created_at ${time} not null,
          updated_at ${time} not null,
          archived_at ${time}
        )`,
        'create index preventive_plans_site on preventive_plans (site)',
        `create table preventive_plan_objects (
          plan_id ${ref} not null references preventive_plans (id),
          object_id ${ref} not null references inspection_objects (id),
          position integer not null,
          primary key (plan_id, object_id)
        )`,
        `create table inspections (
          id ${id},
          plan_id ${ref} not null references preventive_plans (id),
          occurrence text not null,
          occurrence_at ${time} not null,
          due_at ${time} not null,
          site text not null,
          order_id ${ref} unique references work_orders (id),
          missed_reason text,
          item_count integer not null,
          answered_count integer not null default 0,
          failed_count integer not null default 0,
          completed_at ${time},
          created_at ${time} not null,
          updated_at ${time} not null
        )`,
        // One inspection per plan occurrence, even after its order closed: generation is
        // idempotent across restarts and across hubs because the database refuses a second.
        'create unique index inspections_one_per_occurrence on inspections (plan_id, occurrence)',
        'create index inspections_site_due on inspections (site, due_at)',
        'create index inspections_plan_time on inspections (plan_id, occurrence_at)',
        `create table inspection_results (
          id ${id},
          inspection_id ${ref} not null references inspections (id),
          object_id ${ref} not null references inspection_objects (id),
          object_name text not null,
          device text,
          position integer not null,
          item_key text not null,
          label text not null,
          type text not null,
          spec text not null,
          status text not null default 'pending',
          value ${real},
          attachment_id ${ref},
          live_value ${real},
          note text,
          recorded_at ${time},
          recorded_by text,
          repair_order_id ${ref} references work_orders (id)
        )`,
        'create unique index inspection_results_item on inspection_results (inspection_id, object_id, item_key)',
      ]);
    },
  };
}
