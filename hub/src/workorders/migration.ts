import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';

/** Reports made by scanning a device's QR code, waiting for review (migration 0009_qr_reports). */
export function qrReportsMigration(kind: DatabaseKind): Migration {
  const { id, time, ref } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `create table qr_reports (
          id ${id},
          device text not null,
          site text not null,
          reporter_name text not null,
          reporter_phone text not null,
          description text not null,
          photo_key text,
          photo_type text,
          photo_size integer,
          photo_sha256 text,
          status text not null,
          created_at ${time} not null,
          reviewed_by text,
          reviewed_at ${time},
          review_reason text,
          order_id ${ref} references work_orders (id)
        )`,
        'create index qr_reports_review on qr_reports (site, status, created_at)',
      ]);
    },
  };
}
