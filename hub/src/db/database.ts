import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.js';
import type { Database } from './schema.js';

/**
 * The relational database of alarms, work orders and (later) people, plans and parts. SQLite
 * in one file by default; PostgreSQL by configuration (`DATABASE_URL=postgres://...`), with
 * the same schema, migrations and queries: Kysely builds parameterised SQL for both dialects,
 * so no value is ever spliced into a statement.
 */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<OpenDatabase> {
  let db: Kysely<Database>;
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const sqlite = new SQLite(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  } else {
    // BIGINT columns hold epoch milliseconds: read them back as numbers, not strings.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: config.url, max: 5 });
    // An idle connection the server closes (restart, failover) must not crash the hub: the pool
    // drops it and the next query opens a new one.
    pool.on('error', () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(config.kind) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
  return { db, kind: config.kind, close: () => db.destroy() };
}

/** True when `err` is a unique-constraint violation in either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint/.test(e?.message ?? '')
  );
}
