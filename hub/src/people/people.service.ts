import { createHash } from 'node:crypto';
import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { PersonSeed, SiteSeed } from '../auth/users.js';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Actor, PersonRole } from './actor.js';
import { ALL_SITES, type SiteInput, type SkillInput, siteMarkers, type UserSites } from './people.input.js';
import type { SitesTable, UsersTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;
type UserRow = Selectable<UsersTable>;

export interface Skill {
  skill: string;
  certificate_no: string | null;
  expires_at: number | null;
}

/** A user as the API shows it: never a password hash. */
export interface UserView {
  username: string;
  display_name: string;
  role: PersonRole;
  email: string | null;
  phone: string | null;
  reports_to: string | null;
  zone: string | null;
  active: boolean;
  sites: string[] | 'all';
  skills: Skill[];
  created_at: number;
  updated_at: number;
}

export interface NewUser {
  username: string;
  role: PersonRole;
  display_name?: string | undefined;
  /** Plain password (hashed here) ... */
  password?: string | undefined;
  /** ... or an existing scrypt hash (users file). Neither: the user signs in with tokens only. */
  password_hash?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  reports_to?: string | null | undefined;
  zone?: string | null | undefined;
  sites?: UserSites | undefined;
  skills?: SkillInput[] | undefined;
}

export interface UserPatch {
  display_name?: string | undefined;
  role?: PersonRole | undefined;
  password?: string | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  reports_to?: string | null | undefined;
  zone?: string | null | undefined;
  active?: boolean | undefined;
}

/** A refused change: `status` is the HTTP answer, the message names the field. */
export class PeopleError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const MAX_CHAIN = 50;

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword('not a password anyone has');
  return dummy;
}

/**
 * People, their sites and skills, and sites: the rules (one user name, a chain of reports_to
 * without loops, at least one active administrator) live here; routes only translate.
 * Disabling a user ends their sessions at once; their tokens stop working because every
 * authentication reads the user's `active` flag.
 */
export class PeopleService {
  /** Successful password checks, keyed by a digest of name and password, valid while the hash is unchanged. */
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(username: string, db: Db = this.db): Promise<UserView | undefined> {
    const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    if (!row) return undefined;
    const [view] = await this.present([row], db);
    return view;
  }

  /**
   * Users by name. `visibleTo`: an administrator sees everyone; anyone else only themselves and
   * the users who work at one of their sites (company-wide users included).
   */
  async list(
    filter: { visibleTo?: Actor; username?: string; role?: PersonRole; site?: string; active?: boolean } = {},
  ): Promise<UserView[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('username');
    if (filter.username) q = q.where('username', '=', filter.username);
    if (filter.role) q = q.where('role', '=', filter.role);
    if (filter.active !== undefined) q = q.where('active', '=', filter.active ? 1 : 0);
    if (filter.site) {
      const site = filter.site;
      q = q.where((eb) =>
        eb.or([
          eb('role', '=', 'admin'),
          eb(
            'username',
            'in',
            eb.selectFrom('user_sites').select('username').where('site', 'in', siteMarkers(site)),
          ),
        ]),
      );
    }
    const visibleTo = filter.visibleTo;
    if (visibleTo && visibleTo.sites !== 'all') {
      const sites = [...visibleTo.sites];
      q = q.where((eb) =>
        eb.or([
          eb('username', '=', visibleTo.username),
          ...(sites.length > 0
            ? [
                eb(
                  'username',
                  'in',
                  eb
                    .selectFrom('user_sites')
                    .select('username')
                    .where('site', 'in', siteMarkers(...sites)),
                ),
              ]
            : []),
        ]),
      );
    }
    return this.present(await q.execute(), this.db);
  }

  /** Active users who work at `site` (administrators and `all`-site users included), for dispatch and escalation. */
  async usersOfSite(site: string, role?: PersonRole): Promise<UserView[]> {
    return this.list({ site, active: true, ...(role ? { role } : {}) });
  }

  async create(input: NewUser): Promise<UserView> {
    const ts = this.now();
    const hash =
      input.password !== undefined ? await hashPassword(input.password) : (input.password_hash ?? null);
    try {
      await this.db.transaction().execute(async (trx) => {
        if (input.reports_to) await this.checkChain(trx, input.username, input.reports_to);
        await trx
          .insertInto('users')
          .values({
            username: input.username,
            display_name: input.display_name ?? input.username,
            role: input.role,
            password_hash: hash,
            email: input.email ?? null,
            phone: input.phone ?? null,
            reports_to: input.reports_to ?? null,
            zone: input.zone ?? null,
            active: 1,
            created_at: ts,
            updated_at: ts,
          })
          .execute();
        if (input.sites !== undefined) await this.writeSites(trx, input.username, input.sites, false);
        if (input.skills !== undefined) await this.writeSkills(trx, input.username, input.skills);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new PeopleError(409, `username: ${input.username} exists already`);
      throw err;
    }
    return (await this.get(input.username)) as UserView;
  }

  async update(username: string, patch: UserPatch): Promise<UserView> {
    const hash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
    await this.db.transaction().execute(async (trx) => {
      const current = await this.row(trx, username);
      const demoted = patch.role !== undefined && patch.role !== 'admin';
      const disabled = patch.active === false;
      if (current.role === 'admin' && current.active === 1 && (demoted || disabled)) {
        await this.keepAnAdmin(trx, username, demoted ? 'role' : 'active');
      }
      if (patch.reports_to) await this.checkChain(trx, username, patch.reports_to);
      const values: Updateable<UsersTable> = { updated_at: this.now() };
      if (patch.display_name !== undefined) values.display_name = patch.display_name;
      if (patch.role !== undefined) values.role = patch.role;
      if (hash !== undefined) values.password_hash = hash;
      if (patch.email !== undefined) values.email = patch.email;
      if (patch.phone !== undefined) values.phone = patch.phone;
      if (patch.reports_to !== undefined) values.reports_to = patch.reports_to;
      if (patch.zone !== undefined) values.zone = patch.zone;
      if (patch.active !== undefined) values.active = patch.active ? 1 : 0;
      await trx.updateTable('users').set(values).where('username', '=', username).execute();
      // A disabled user, or one with a new password, signs in again; tokens check `active` each time.
      if (disabled || hash !== undefined)
        await trx.deleteFrom('sessions').where('username', '=', username).execute();
    });
    return (await this.get(username)) as UserView;
  }

  disable(username: string): Promise<UserView> {
    return this.update(username, { active: false });
  }

  /** Replaces a user's sites; every site must exist (POST /api/sites), or be `all`. */
  async setSites(username: string, sites: UserSites): Promise<UserView> {
    await this.db.transaction().execute(async (trx) => {
      await this.row(trx, username);
      await this.writeSites(trx, username, sites, false);
      await trx
        .updateTable('users')
        .set({ updated_at: this.now() })
        .where('username', '=', username)
        .execute();
    });
    return (await this.get(username)) as UserView;
  }

  /** Replaces a user's skills and certificates. */
  async setSkills(username: string, skills: SkillInput[]): Promise<UserView> {
    await this.db.transaction().execute(async (trx) => {
      await this.row(trx, username);
      await this.writeSkills(trx, username, skills);
      await trx
        .updateTable('users')
        .set({ updated_at: this.now() })
        .where('username', '=', username)
        .execute();
    });
    return (await this.get(username)) as UserView;
  }

  /** The actor of an active user (null: unknown or disabled). Administrators see every site. */
  async actorOf(username: string): Promise<Actor | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['username', 'role'])
      .where('username', '=', username)
      .where('active', '=', 1)
      .executeTakeFirst();
    if (!row) return null;
    return {
      username: row.username,
      role: row.role,
      sites: await this.sitesOf(this.db, row.username, row.role),
    };
  }

  /** Checks a password; null for a wrong one, an unknown or disabled user, or a user without a password. */
  async verifyPassword(username: string, password: string): Promise<Actor | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['username', 'role', 'password_hash'])
      .where('username', '=', username)
      .where('active', '=', 1)
      .executeTakeFirst();
    if (!row?.password_hash) {
      // As slow as a real check, so the answer's timing does not tell which user names exist.
      await verifyPassword(password, await dummyHash());
      return null;
    }
    const key = createHash('sha256').update(`${username}\0${password}`).digest('base64');
    if (this.verified.get(key) !== row.password_hash) {
      if (!(await verifyPassword(password, row.password_hash))) return null;
      if (this.verified.size > 1000) this.verified.clear();
      this.verified.set(key, row.password_hash);
    }
    return {
      username: row.username,
      role: row.role,
      sites: await this.sitesOf(this.db, row.username, row.role),
    };
  }

  async hasActiveAdmin(): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('username')
      .where('role', '=', 'admin')
      .where('active', '=', 1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Sites the actor may see. */
  async listSites(actor: Actor): Promise<SitesTable[]> {
    let q = this.db.selectFrom('sites').selectAll().orderBy('id');
    if (actor.sites !== 'all') {
      if (actor.sites.length === 0) return [];
      q = q.where('id', 'in', [...actor.sites]);
    }
    return q.execute();
  }

  async createSite(input: { id: string; name?: string | undefined; timezone: string }): Promise<SitesTable> {
    const row = {
      id: input.id,
      name: input.name ?? input.id,
      timezone: input.timezone,
      created_at: this.now(),
    };
    try {
      await this.db.insertInto('sites').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new PeopleError(409, `id: site ${input.id} exists already`);
      throw err;
    }
    return row;
  }

  /**
   * The users file's people into the database, in one transaction: each is created or updated
   * (role and password hash from the file; other fields only where the file gives them, so
   * what the API changed stays). `active` is left alone: a user disabled through the API stays
   * disabled across restarts. Sites the file names but the database lacks are created.
   */
  async bootstrap(
    people: readonly PersonSeed[],
    sites: readonly (SiteSeed | SiteInput)[] = [],
  ): Promise<void> {
    const ts = this.now();
    await this.db.transaction().execute(async (trx) => {
      for (const site of sites) {
        const values = { name: site.name ?? site.id, timezone: site.timezone ?? 'UTC' };
        await trx
          .insertInto('sites')
          .values({ id: site.id, ...values, created_at: ts })
          .onConflict((oc) => oc.column('id').doUpdateSet(values))
          .execute();
      }
      for (const p of people) {
        const given = {
          role: p.role,
          password_hash: p.password_hash,
          ...(p.display_name !== undefined ? { display_name: p.display_name } : {}),
          ...(p.email !== undefined ? { email: p.email } : {}),
          ...(p.phone !== undefined ? { phone: p.phone } : {}),
          ...(p.reports_to !== undefined ? { reports_to: p.reports_to } : {}),
          ...(p.zone !== undefined ? { zone: p.zone } : {}),
          updated_at: ts,
        };
        await trx
          .insertInto('users')
          .values({
            username: p.username,
            display_name: p.username,
            email: null,
            phone: null,
            reports_to: null,
            zone: null,
            created_at: ts,
            ...given,
          })
          .onConflict((oc) => oc.column('username').doUpdateSet(given))
          .execute();
        if (p.sites !== undefined) await this.writeSites(trx, p.username, p.sites, true);
        if (p.skills !== undefined) await this.writeSkills(trx, p.username, p.skills);
      }
      for (const p of people) {
        if (p.reports_to !== undefined) {
          await this.checkChain(trx, p.username, p.reports_to).catch((err: Error) => {
            throw new PeopleError(400, `user ${p.username}: ${err.message}`);
          });
        }
      }
    });
  }

  private async row(db: Db, username: string): Promise<UserRow> {
    const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    if (!row) throw new PeopleError(404, `username: no user ${username}`);
    return row;
  }

  private async sitesOf(db: Db, username: string, role: PersonRole): Promise<string[] | 'all'> {
    if (role === 'admin') return 'all';
    const rows = await db
      .selectFrom('user_sites')
      .select('site')
      .where('username', '=', username)
      .orderBy('site')
      .execute();
    const sites = rows.map((r) => r.site);
    return sites.includes(ALL_SITES) ? 'all' : sites;
  }

  private async present(rows: readonly UserRow[], db: Db): Promise<UserView[]> {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.username);
    const [siteRows, skillRows] = await Promise.all([
      db
        .selectFrom('user_sites')
        .select(['username', 'site'])
        .where('username', 'in', names)
        .orderBy('site')
        .execute(),
      db.selectFrom('user_skills').selectAll().where('username', 'in', names).orderBy('skill').execute(),
    ]);
    return rows.map((r) => {
      const sites = siteRows.filter((s) => s.username === r.username).map((s) => s.site);
      return {
        username: r.username,
        display_name: r.display_name,
        role: r.role,
        email: r.email,
        phone: r.phone,
        reports_to: r.reports_to,
        zone: r.zone,
        active: Number(r.active) === 1,
        sites: r.role === 'admin' || sites.includes(ALL_SITES) ? 'all' : sites,
        skills: skillRows
          .filter((s) => s.username === r.username)
          .map((s) => ({ skill: s.skill, certificate_no: s.certificate_no, expires_at: s.expires_at })),
        created_at: r.created_at,
        updated_at: r.updated_at,
      };
    });
  }

  private async writeSites(
    db: Db,
    username: string,
    sites: UserSites,
    createMissing: boolean,
  ): Promise<void> {
    const list = sites === 'all' ? [ALL_SITES] : sites;
    if (sites !== 'all' && list.length > 0) {
      const known = new Set(
        (await db.selectFrom('sites').select('id').where('id', 'in', list).execute()).map((r) => r.id),
      );
      for (const [i, site] of list.entries()) {
        if (known.has(site)) continue;
        if (!createMissing)
          throw new PeopleError(400, `sites.${i}: no site ${site} (create it first: POST /api/sites)`);
        await db
          .insertInto('sites')
          .values({ id: site, name: site, timezone: 'UTC', created_at: this.now() })
          .execute();
      }
    }
    await db.deleteFrom('user_sites').where('username', '=', username).execute();
    if (list.length > 0) {
      await db
        .insertInto('user_sites')
        .values(list.map((site) => ({ username, site })))
        .execute();
    }
  }

  private async writeSkills(db: Db, username: string, skills: readonly SkillInput[]): Promise<void> {
    await db.deleteFrom('user_skills').where('username', '=', username).execute();
    if (skills.length > 0) {
      await db
        .insertInto('user_skills')
        .values(
          skills.map((s) => ({
            username,
            skill: s.skill,
            certificate_no: s.certificate_no,
            expires_at: s.expires_at,
          })),
        )
        .execute();
    }
  }

  /** `reports_to` must name another user, and following the chain must not come back. */
  private async checkChain(db: Db, username: string, reportsTo: string): Promise<void> {
    if (reportsTo === username) throw new PeopleError(400, 'reports_to: must not be the user itself');
    let next: string | null = reportsTo;
    for (let hops = 0; next !== null && hops < MAX_CHAIN; hops++) {
      const boss: { username: string; reports_to: string | null } | undefined = await db
        .selectFrom('users')
        .select(['username', 'reports_to'])
        .where('username', '=', next)
        .executeTakeFirst();
      if (!boss) {
        throw new PeopleError(
          400,
          hops === 0
            ? `reports_to: no user ${reportsTo}`
            : `reports_to: the chain names an unknown user ${next}`,
        );
      }
      if (boss.reports_to === username)
        throw new PeopleError(400, `reports_to: ${reportsTo} reports (up the chain) to ${username}: a loop`);
      next = boss.reports_to;
    }
    if (next !== null) throw new PeopleError(400, `reports_to: the chain is longer than ${MAX_CHAIN}`);
  }

  private async keepAnAdmin(db: Db, username: string, field: 'role' | 'active'): Promise<void> {
    const other = await db
      .selectFrom('users')
      .select('username')
      .where('role', '=', 'admin')
      .where('active', '=', 1)
      .where('username', '!=', username)
      .executeTakeFirst();
    if (!other) throw new PeopleError(409, `${field}: ${username} is the last active administrator`);
  }
}
