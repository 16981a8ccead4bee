import type { AlarmAcknowledgement } from '@caretaker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseContract } from '../../../test/support/contract-databases.js';
import type { OpenDatabase } from '../db/database.js';
import type { AlarmRow } from '../db/schema.js';
import type { Actor } from '../people/actor.js';
import { AcknowledgeError, AlarmAcknowledgements } from './acknowledgement.service.js';

const T0 = Date.UTC(2026, 0, 5, 10, 2, 0);
const tom: Actor = { username: 'tom', role: 'technician', sites: ['site-a'] };
const sam: Actor = { username: 'sam', role: 'supervisor', sites: ['site-a'] };

/**
 * Acknowledging an alarm, on SQLite and PostgreSQL alike: once per raise, the first one stands
 * (also when several screens press at the same moment), who and when recorded, listeners told
 * once, refusals before anything is written.
 */
export const describeAcknowledgementContract: DatabaseContract = (dialect, openDb, enabled) => {
  describe.runIf(enabled)(`alarm acknowledgement contract: ${dialect}`, () => {
    const open: OpenDatabase[] = [];
    let databases = 0;
    afterEach(async () => {
      for (const database of open.splice(0)) await database.close();
    });

    async function setUp() {
      databases += 1;
      const database = await openDb(`acks_${databases}`);
      open.push(database);
      const db = database.db;
      await db
        .insertInto('users')
        .values({ username: 'tom', display_name: 'Tom', role: 'technician', created_at: T0, updated_at: T0 })
        .execute();
      const inserted = await db
        .insertInto('alarms')
        .values({
          incident_key: 'site-a/lift-1/elevator.passenger_trapped',
          site: 'site-a',
          device: 'lift-1',
          gateway: 'gw-1',
          rule_id: 'elevator.passenger_trapped',
          title: 'Passenger trapped',
          state: 'active',
          severity: 'critical',
          first_raised_at: T0,
          raised_at: T0,
          occurrences: 1,
          flapping: 0,
          detail: '{}',
          updated_at: T0,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(inserted.id);
      const row = (await db
        .selectFrom('alarms')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow()) as AlarmRow;
      const clock = { now: T0 };
      const live: AlarmRow[] = [{ ...row, id }];
      const acks = new AlarmAcknowledgements({ db, now: () => clock.now, openAlarms: () => live });
      const told: AlarmAcknowledgement[] = [];
      acks.onAcknowledged((event) => told.push(event.acknowledged));
      return { db, id, clock, live, acks, told };
    }

    it('records the first acknowledgement of a raise with who and when; repeats change nothing', async () => {
      const { id, clock, acks, told } = await setUp();
      clock.now = T0 + 5_000;
      const first = await acks.acknowledge(id, tom);
      const expected = { by: 'tom', by_name: 'Tom', at: T0 + 5_000, occurrence: 1 };
      expect(first).toMatchObject({ created: true, acknowledged: expected });
      clock.now = T0 + 60_000;
      // Sam has no users row here: his user name stands in for a display name.
      expect(await acks.acknowledge(id, sam)).toMatchObject({ created: false, acknowledged: expected });
      expect(told).toEqual([expected]);
      expect(await acks.forAlarms([])).toEqual(new Map());
    });

    it('several screens pressing at once: one acknowledgement, everyone gets it back', async () => {
      const { db, id, acks, told } = await setUp();
      const results = await Promise.all(
        [tom, sam, tom, sam, tom].map((actor) => acks.acknowledge(id, actor)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const stood = results.find((r) => r.created)?.acknowledged;
      for (const r of results) expect(r.acknowledged).toEqual(stood);
      expect(told).toHaveLength(1);
      expect(await db.selectFrom('alarm_acknowledgements').selectAll().execute()).toHaveLength(1);
    });

    it('a new raise of the same alarm must be acknowledged again', async () => {
      const { id, live, acks } = await setUp();
      await acks.acknowledge(id, tom);
      live[0] = { ...(live[0] as AlarmRow), occurrences: 2 };
      expect((await acks.forAlarms(live)).get(id)).toBeUndefined();
      expect(await acks.acknowledge(id, sam)).toMatchObject({
        created: true,
        acknowledged: { by: 'sam', occurrence: 2 },
      });
    });

    it('refuses a role that may not, another site and an unknown alarm, writing nothing', async () => {
      const { db, id, acks, told } = await setUp();
      const refusal = (actor: Actor, alarm = id) =>
        acks.acknowledge(alarm, actor).then(
          () => null,
          (err: unknown) => (err instanceof AcknowledgeError ? [err.status, err.message] : err),
        );
      expect(await refusal({ username: 'mia', role: 'viewer', sites: 'all' })).toEqual([
        403,
        'role viewer may not acknowledge alarms',
      ]);
      expect(await refusal({ username: 'bea', role: 'technician', sites: ['site-b'] })).toEqual([
        403,
        'site: site-a is not one of your sites',
      ]);
      expect(await refusal(tom, id + 1000)).toEqual([404, `alarm ${id + 1000} not found`]);
      expect(await db.selectFrom('alarm_acknowledgements').selectAll().execute()).toEqual([]);
      expect(told).toEqual([]);
    });
  });
};
