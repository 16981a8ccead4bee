import type { Generated } from 'kysely';
import type { PersonRole } from './actor.js';

/** People, their sites and skills, and how they sign in (migration 0003_people). */
export interface UsersTable {
  username: string;
  display_name: string;
  role: PersonRole;
  /** scrypt hash (hub/src/auth/passwords.ts); null: may not sign in with a password. */
  password_hash: string | null;
  email: string | null;
  phone: string | null;
  /** The next person up the escalation chain (a supervisor, a manager). */
  reports_to: string | null;
  /** Where a technician usually works (a building or area id), for dispatch. */
  zone: string | null;
  /** 0: disabled (cannot sign in, is not dispatched to). */
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface UserSitesTable {
  username: string;
  site: string;
}

/** Skills and certificates (refrigeration, elevator, high_voltage, ...), for dispatch. */
export interface UserSkillsTable {
  username: string;
  skill: string;
  certificate_no: string | null;
  /** A certificate past this time no longer counts. */
  expires_at: number | null;
}

export interface SessionsTable {
  /** sha256 of the session token (the cookie holds the token itself). */
  token_hash: string;
  username: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  /** sha256 of the token; the token is shown once, at creation. */
  token_hash: string;
  name: string;
  username: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SitesTable {
  id: string;
  name: string;
  timezone: string;
  created_at: number;
}

export interface PeopleTables {
  users: UsersTable;
  user_sites: UserSitesTable;
  user_skills: UserSkillsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  sites: SitesTable;
}
