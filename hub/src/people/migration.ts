import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';

/** People, sites, skills, sessions and API tokens (issue 7). */
export function peopleMigration(kind: DatabaseKind): Migration {
  const { id, time } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `create table users (
          username text primary key,
          display_name text not null,
          role text not null,
          password_hash text,
          email text,
          phone text,
          reports_to text,
          zone text,
          active integer not null default 1,
          created_at ${time} not null,
          updated_at ${time} not null
        )`,
        `create table user_sites (
          username text not null references users (username),
          site text not null,
          primary key (username, site)
        )`,
        `create table user_skills (
          username text not null references users (username),
          skill text not null,
          certificate_no text,
          expires_at ${time},
          primary key (username, skill)
        )`,
        `create table sessions (
          token_hash text primary key,
          username text not null references users (username),
          created_at ${time} not null,
          expires_at ${time} not null,
          last_seen_at ${time} not null
        )`,
        'create index sessions_user on sessions (username)',
        `create table api_tokens (
          id ${id},
          token_hash text not null unique,
          name text not null,
          username text not null references users (username),
          created_at ${time} not null,
          expires_at ${time},
          last_used_at ${time},
          revoked_at ${time}
        )`,
        `create table sites (
          id text primary key,
          name text not null,
          timezone text not null,
          created_at ${time} not null
        )`,
      ]);
    },
  };
}
