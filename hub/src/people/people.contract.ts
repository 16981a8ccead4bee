import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../auth/passwords.js';
import { SessionService } from '../auth/session.service.js';
import type { OpenDatabase } from '../db/database.js';
import type { Actor } from './actor.js';
import { PeopleError, PeopleService } from './people.service.js';
import { scopeToSites } from './site-scope.js';

/**
 * The people store's contract: users, sites, skills, sessions and tokens behave the same on
 * SQLite and PostgreSQL. Time is a fake clock the tests move.
 */
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const HOUR = 3_600_000;

interface Rig {
  people: PeopleService;
  sessions: SessionService;
  clock: { now: number };
  database: OpenDatabase;
}

async function refused(promise: Promise<unknown>): Promise<PeopleError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PeopleError) return err;
    throw err;
  }
  throw new Error('the change was not refused');
}

export function describePeopleContract(
  backend: string,
  open: (name: string) => Promise<OpenDatabase>,
  enabled = true,
): void {
  const opened: OpenDatabase[] = [];
  let count = 0;
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });

  async function rig(): Promise<Rig> {
    const database = await open(`people_${++count}_${process.pid}`);
    opened.push(database);
    const clock = { now: T0 };
    const people = new PeopleService(database.db, () => clock.now);
    const sessions = new SessionService(database.db, people, () => clock.now, {
      idleMs: 12 * HOUR,
      absoluteMs: 7 * 24 * HOUR,
    });
    await people.createSite({ id: 'site-a', name: 'Site A', timezone: 'Asia/Shanghai' });
    await people.createSite({ id: 'site-b', timezone: 'UTC' });
    await people.create({ username: 'root', role: 'admin', password: 'root-password' });
    return { people, sessions, clock, database };
  }

  describe.runIf(enabled)(`people store on ${backend}`, () => {
    it('creates users with sites and skills, and never shows a password hash', async () => {
      const { people } = await rig();
      const created = await people.create({
        username: 'tom',
        role: 'technician',
        display_name: 'Tom',
        password: 'tom-password',
        zone: 'b1',
        reports_to: 'root',
        sites: ['site-a'],
        skills: [
          { skill: 'elevator', certificate_no: 'T-07', expires_at: T0 + 365 * 24 * HOUR },
          { skill: 'pumps', certificate_no: null, expires_at: null },
        ],
      });
      expect(created).toMatchObject({
        username: 'tom',
        display_name: 'Tom',
        role: 'technician',
        zone: 'b1',
        reports_to: 'root',
        active: true,
        sites: ['site-a'],
        skills: [
          { skill: 'elevator', certificate_no: 'T-07', expires_at: T0 + 365 * 24 * HOUR },
          { skill: 'pumps', certificate_no: null, expires_at: null },
        ],
        created_at: T0,
      });
      expect(JSON.stringify(created)).not.toMatch(/scrypt|password/);
      expect((await people.get('root'))?.sites).toBe('all');
      const updated = await people.setSkills('tom', [
        { skill: 'refrigeration', certificate_no: null, expires_at: null },
      ]);
      expect(updated.skills.map((s) => s.skill)).toEqual(['refrigeration']);
      expect((await people.setSites('tom', ['site-a', 'site-b'])).sites).toEqual(['site-a', 'site-b']);
      expect((await people.setSites('tom', 'all')).sites).toBe('all');
    });

    it('refuses duplicates, unknown sites, unknown bosses and loops, naming the field', async () => {
      const { people } = await rig();
      await people.create({ username: 'sam', role: 'supervisor', reports_to: 'root' });
      await people.create({ username: 'tom', role: 'technician', reports_to: 'sam' });
      const duplicate = await refused(people.create({ username: 'sam', role: 'viewer' }));
      expect([duplicate.status, duplicate.message]).toEqual([409, 'username: sam exists already']);
      const site = await refused(
        people.create({ username: 'x', role: 'viewer', sites: ['site-a', 'nowhere'] }),
      );
      expect([site.status, site.message]).toEqual([
        400,
        'sites.1: no site nowhere (create it first: POST /api/sites)',
      ]);
      // Nothing of the refused user was kept.
      expect(await people.get('x')).toBeUndefined();
      const boss = await refused(people.create({ username: 'y', role: 'viewer', reports_to: 'ghost' }));
      expect(boss.message).toBe('reports_to: no user ghost');
      const loop = await refused(people.update('sam', { reports_to: 'tom' }));
      expect([loop.status, loop.message]).toEqual([
        400,
        'reports_to: tom reports (up the chain) to sam: a loop',
      ]);
      const self = await refused(people.update('sam', { reports_to: 'sam' }));
      expect(self.message).toBe('reports_to: must not be the user itself');
      const missing = await refused(people.setSites('ghost', ['site-a']));
      expect([missing.status, missing.message]).toEqual([404, 'username: no user ghost']);
      const site2 = await refused(people.createSite({ id: 'site-a', timezone: 'UTC' }));
      expect([site2.status, site2.message]).toEqual([409, 'id: site site-a exists already']);
    });

    it('keeps at least one active administrator', async () => {
      const { people } = await rig();
      const demote = await refused(people.update('root', { role: 'viewer' }));
      expect([demote.status, demote.message]).toEqual([409, 'role: root is the last active administrator']);
      const disable = await refused(people.disable('root'));
      expect(disable.message).toBe('active: root is the last active administrator');
      await people.create({ username: 'ada', role: 'admin' });
      expect((await people.disable('root')).active).toBe(false);
      expect(await people.hasActiveAdmin()).toBe(true);
      await refused(people.update('ada', { role: 'supervisor' }));
    });

    it('lists users: everyone for an administrator, only the users of their sites for others', async () => {
      const { people } = await rig();
      await people.create({ username: 'sam', role: 'supervisor', sites: ['site-a'] });
      await people.create({ username: 'tom', role: 'technician', sites: ['site-a'] });
      await people.create({ username: 'bea', role: 'technician', sites: ['site-b'] });
      await people.create({ username: 'vic', role: 'viewer', sites: 'all' });
      await people.create({ username: 'nob', role: 'viewer' });
      const names = (users: Array<{ username: string }>) => users.map((u) => u.username);
      expect(names(await people.list())).toEqual(['bea', 'nob', 'root', 'sam', 'tom', 'vic']);
      const sam = (await people.actorOf('sam')) as Actor;
      expect(sam).toEqual({ username: 'sam', role: 'supervisor', sites: ['site-a'] });
      expect(names(await people.list({ visibleTo: sam }))).toEqual(['sam', 'tom', 'vic']);
      expect(names(await people.list({ visibleTo: sam, role: 'technician' }))).toEqual(['tom']);
      // Who works at site-b: its own people, company-wide ones and administrators.
      expect(names(await people.usersOfSite('site-b'))).toEqual(['bea', 'root', 'vic']);
      expect(names(await people.usersOfSite('site-b', 'technician'))).toEqual(['bea']);
      await people.disable('bea');
      expect(names(await people.usersOfSite('site-b', 'technician'))).toEqual([]);
      expect(await people.actorOf('bea')).toBeNull();
      expect((await people.actorOf('vic'))?.sites).toBe('all');
      expect((await people.actorOf('nob'))?.sites).toEqual([]);
      expect((await people.listSites(sam)).map((s) => s.id)).toEqual(['site-a']);
      expect((await people.listSites((await people.actorOf('root')) as Actor)).map((s) => s.id)).toEqual([
        'site-a',
        'site-b',
      ]);
    });

    it('checks passwords: wrong, disabled, none, and a changed one', async () => {
      const { people } = await rig();
      await people.create({
        username: 'tom',
        role: 'technician',
        password: 'first-password',
        sites: ['site-a'],
      });
      await people.create({ username: 'bot', role: 'viewer' });
      expect(await people.verifyPassword('tom', 'first-password')).toEqual({
        username: 'tom',
        role: 'technician',
        sites: ['site-a'],
      });
      expect(await people.verifyPassword('tom', 'wrong-password')).toBeNull();
      expect(await people.verifyPassword('ghost', 'first-password')).toBeNull();
      expect(await people.verifyPassword('bot', '')).toBeNull();
      await people.update('tom', { password: 'second-password' });
      // The remembered check of the old password does not outlive the change.
      expect(await people.verifyPassword('tom', 'first-password')).toBeNull();
      expect(await people.verifyPassword('tom', 'second-password')).not.toBeNull();
      await people.disable('tom');
      expect(await people.verifyPassword('tom', 'second-password')).toBeNull();
    });

    it('bootstraps people from the users file: creates, then updates only what the file gives', async () => {
      const { people } = await rig();
      const hash = await hashPassword('file-password');
      await people.bootstrap(
        [
          {
            username: 'sam',
            role: 'supervisor',
            password_hash: hash,
            display_name: 'Sam',
            sites: ['site-c'],
          },
          {
            username: 'tom',
            role: 'technician',
            password_hash: hash,
            reports_to: 'sam',
            skills: [{ skill: 'elevator', certificate_no: null, expires_at: null }],
          },
        ],
        [{ id: 'site-b', name: 'Site B renamed', timezone: 'Europe/Berlin' }],
      );
      expect(await people.get('sam')).toMatchObject({ display_name: 'Sam', sites: ['site-c'], active: true });
      expect(await people.verifyPassword('tom', 'file-password')).not.toBeNull();
      const sites = await people.listSites((await people.actorOf('root')) as Actor);
      expect(sites.map((s) => [s.id, s.name, s.timezone])).toEqual([
        ['site-a', 'Site A', 'Asia/Shanghai'],
        ['site-b', 'Site B renamed', 'Europe/Berlin'],
        ['site-c', 'site-c', 'UTC'],
      ]);
      // The API changes a few things; the next start keeps them unless the file says otherwise.
      await people.setSites('tom', ['site-a']);
      await people.update('tom', { zone: 'b2' });
      await people.disable('sam');
      await people.bootstrap([
        { username: 'sam', role: 'viewer', password_hash: hash },
        { username: 'tom', role: 'technician', password_hash: hash },
      ]);
      expect(await people.get('sam')).toMatchObject({ role: 'viewer', display_name: 'Sam', active: false });
      expect(await people.get('tom')).toMatchObject({
        sites: ['site-a'],
        zone: 'b2',
        reports_to: 'sam',
        skills: [{ skill: 'elevator' }],
      });
      const bad = await refused(
        people.bootstrap([{ username: 'eve', role: 'viewer', password_hash: hash, reports_to: 'ghost' }]),
      );
      expect(bad.message).toBe('user eve: reports_to: no user ghost');
      // The whole bootstrap is one transaction: eve was not kept.
      expect(await people.get('eve')).toBeUndefined();
    });

    it('ends sessions after 12 idle hours or 7 days, and at once for a disabled user', async () => {
      const { people, sessions, clock } = await rig();
      await people.create({ username: 'tom', role: 'technician', sites: ['site-a'] });
      const idle = await sessions.createSession('tom');
      expect(idle.expires_at).toBe(T0 + 7 * 24 * HOUR);
      expect(await sessions.sessionActor(idle.token)).toEqual({
        username: 'tom',
        role: 'technician',
        sites: ['site-a'],
      });
      clock.now += 12 * HOUR - 1;
      expect(await sessions.sessionActor(idle.token)).not.toBeNull();
      clock.now += 12 * HOUR;
      expect(await sessions.sessionActor(idle.token)).toBeNull();

      // Sliding: used every 11 hours it lives on, up to the absolute limit.
      const busy = await sessions.createSession('tom');
      const start = clock.now;
      while (clock.now + 11 * HOUR < start + 7 * 24 * HOUR) {
        clock.now += 11 * HOUR;
        expect(await sessions.sessionActor(busy.token)).not.toBeNull();
      }
      clock.now = start + 7 * 24 * HOUR;
      expect(await sessions.sessionActor(busy.token)).toBeNull();

      const live = await sessions.createSession('tom');
      expect(await sessions.sessionActor('not-a-session')).toBeNull();
      await people.disable('tom');
      expect(await sessions.sessionActor(live.token)).toBeNull();
      await people.update('tom', { active: true });
      // Disabling ended the session for good: enabling again needs a new sign-in.
      expect(await sessions.sessionActor(live.token)).toBeNull();

      const ended = await sessions.createSession('tom');
      await sessions.endSession(ended.token);
      expect(await sessions.sessionActor(ended.token)).toBeNull();
    });

    it('keeps only hashes of sessions and tokens', async () => {
      const { sessions, database } = await rig();
      const session = await sessions.createSession('root');
      const token = await sessions.createToken('root', 'ci');
      const stored = JSON.stringify([
        await database.db.selectFrom('sessions').selectAll().execute(),
        await database.db.selectFrom('api_tokens').selectAll().execute(),
      ]);
      expect(token.token).toMatch(/^ct_[A-Za-z0-9_-]{43}$/);
      expect(stored).not.toContain(session.token);
      expect(stored).not.toContain(token.token.slice(3));
    });

    it('tokens work until revoked or expired, and not while their user is disabled', async () => {
      const { people, sessions, clock } = await rig();
      await people.create({ username: 'int', role: 'supervisor', sites: ['site-b'] });
      const forever = await sessions.createToken('int', 'erp');
      const monthly = await sessions.createToken('int', 'bms', 30);
      expect(monthly.expires_at).toBe(T0 + 30 * 24 * HOUR);
      expect(await sessions.tokenActor(forever.token)).toEqual({
        username: 'int',
        role: 'supervisor',
        sites: ['site-b'],
      });
      expect(await sessions.tokenActor('ct_not-a-token')).toBeNull();
      expect(await sessions.tokenActor(forever.token.slice(3))).toBeNull();
      await people.disable('int');
      expect(await sessions.tokenActor(forever.token)).toBeNull();
      await people.update('int', { active: true });
      expect(await sessions.tokenActor(forever.token)).not.toBeNull();
      clock.now += 30 * 24 * HOUR;
      expect(await sessions.tokenActor(monthly.token)).toBeNull();
      expect((await sessions.listTokens('int')).map((t) => [t.name, t.last_used_at])).toEqual([
        ['erp', clock.now - 30 * 24 * HOUR],
        ['bms', null],
      ]);
      await sessions.revokeToken(forever.id);
      expect(await sessions.tokenActor(forever.token)).toBeNull();
      expect((await sessions.getToken(forever.id))?.revoked_at).toBe(clock.now);
      expect(await sessions.listTokens('root')).toEqual([]);
    });

    it('scopeToSites restricts a query to the actor’s sites', async () => {
      const { people, database } = await rig();
      await people.create({ username: 'a1', role: 'technician', sites: ['site-a'] });
      await people.create({ username: 'b1', role: 'technician', sites: ['site-b'] });
      const ids = async (actor: Actor) =>
        (
          await scopeToSites(
            database.db.selectFrom('sites').select('id').orderBy('id'),
            actor,
            'id',
          ).execute()
        ).map((r) => r.id);
      expect(await ids({ username: 'x', role: 'admin', sites: 'all' })).toEqual(['site-a', 'site-b']);
      expect(await ids({ username: 'x', role: 'technician', sites: ['site-b'] })).toEqual(['site-b']);
      expect(await ids({ username: 'x', role: 'viewer', sites: [] })).toEqual([]);
      // Updates and deletes too: a technician of site A cannot touch site B's rows.
      await scopeToSites(
        database.db.updateTable('user_sites').set({ site: 'site-a' }),
        { username: 'x', role: 'technician', sites: ['site-a'] },
        'site',
      ).execute();
      expect((await people.get('b1'))?.sites).toEqual(['site-b']);
      await scopeToSites(
        database.db.deleteFrom('user_sites'),
        { username: 'x', role: 'technician', sites: ['site-b'] },
        'site',
      ).execute();
      expect([(await people.get('a1'))?.sites, (await people.get('b1'))?.sites]).toEqual([['site-a'], []]);
    });
  });
}
