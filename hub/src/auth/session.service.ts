import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Actor } from '../people/actor.js';
import type { PeopleService } from '../people/people.service.js';

/**
 * Dashboard sessions and integration tokens. Both are 32 random bytes handed out once and
 * stored only as their SHA-256 (a leaked database does not sign anyone in; the tokens carry
 * enough entropy that a slow hash adds nothing). Every use re-reads the user, so disabling a
 * user stops their sessions and tokens at the next request.
 */
export interface SessionPolicy {
  /** A session unused for this long ends (sliding). */
  idleMs: number;
  /** A session ends this long after sign-in, however busy. */
  absoluteMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 12 * HOUR, absoluteMs: 7 * DAY };
/** last_seen_at / last_used_at are written at most this often per session or token (not on every request). */
const TOUCH_EVERY_MS = 60_000;
export const TOKEN_PREFIX = 'ct_';
export const MAX_TOKEN_DAYS = 3650;

export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

export interface NewSession {
  token: string;
  expires_at: number;
}

export interface ApiTokenView {
  id: number;
  name: string;
  username: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export class SessionService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly people: PeopleService,
    private readonly now: () => number = Date.now,
    readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  async createSession(username: string): Promise<NewSession> {
    const ts = this.now();
    const token = secret();
    const expires_at = ts + this.policy.absoluteMs;
    // Sign-ins are rare: a good moment to drop sessions that can no longer be used.
    await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', ts), eb('last_seen_at', '<=', ts - this.policy.idleMs)]))
      .execute();
    await this.db
      .insertInto('sessions')
      .values({ token_hash: digest(token), username, created_at: ts, expires_at, last_seen_at: ts })
      .execute();
    return { token, expires_at };
  }

  /** The actor of a live session (sliding its idle expiry), or null. */
  async sessionActor(token: string): Promise<Actor | null> {
    const ts = this.now();
    const hash = digest(token);
    const session = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!session) return null;
    if (ts >= session.expires_at || ts - session.last_seen_at >= this.policy.idleMs) {
      await this.db.deleteFrom('sessions').where('token_hash', '=', hash).execute();
      return null;
    }
    const actor = await this.people.actorOf(session.username);
    if (!actor) return null;
    if (ts - session.last_seen_at >= TOUCH_EVERY_MS) {
      await this.db
        .updateTable('sessions')
        .set({ last_seen_at: ts })
        .where('token_hash', '=', hash)
        .execute();
    }
    return actor;
  }

  async endSession(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', digest(token)).execute();
  }

  /** Creates a token for `username`; the token itself is in the answer and nowhere else. */
  async createToken(
    username: string,
    name: string,
    expiresInDays?: number,
  ): Promise<ApiTokenView & { token: string }> {
    const ts = this.now();
    const token = `${TOKEN_PREFIX}${secret()}`;
    const expires_at = expiresInDays !== undefined ? ts + expiresInDays * DAY : null;
    const row = await this.db
      .insertInto('api_tokens')
      .values({ token_hash: digest(token), name, username, created_at: ts, expires_at })
      .returning('id')
      .executeTakeFirstOrThrow();
    return {
      id: Number(row.id),
      name,
      username,
      created_at: ts,
      expires_at,
      last_used_at: null,
      revoked_at: null,
      token,
    };
  }

  /** Tokens of one user, or of everyone (administrators); never the token or its hash. */
  async listTokens(username?: string): Promise<ApiTokenView[]> {
    let q = this.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'username', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
      .orderBy('id');
    if (username !== undefined) q = q.where('username', '=', username);
    return (await q.execute()).map((t) => ({ ...t, id: Number(t.id) }));
  }

  async getToken(id: number): Promise<ApiTokenView | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'username', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { ...row, id: Number(row.id) } : undefined;
  }

  /** Revokes a token for good (kept, with its revocation time, for the record). */
  async revokeToken(id: number): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: this.now() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** The actor of a live token (not revoked, not expired, its user active), or null. */
  async tokenActor(token: string): Promise<Actor | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const ts = this.now();
    const row = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'username', 'expires_at', 'last_used_at', 'revoked_at'])
      .where('token_hash', '=', digest(token))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && ts >= row.expires_at)) return null;
    const actor = await this.people.actorOf(row.username);
    if (!actor) return null;
    if (row.last_used_at === null || ts - row.last_used_at >= TOUCH_EVERY_MS) {
      await this.db.updateTable('api_tokens').set({ last_used_at: ts }).where('id', '=', row.id).execute();
    }
    return actor;
  }
}
