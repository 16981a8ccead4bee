import type { AlarmSummary, MaintenanceChangedEvent, ServerToClientEvents } from '@caretaker/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Browser, type SecuredHub, signedIn } from '../auth/secured-hub.fixture.js';

/**
 * Acknowledging an alarm on a real hub: who may, on which site, idempotent, recorded with who
 * and when, listed with the alarm and told to every screen over socket.io.
 */
async function insertAlarm(running: SecuredHub, site: string, occurrences = 1): Promise<number> {
  const maintenance = running.hub.maintenance;
  if (!maintenance) throw new Error('maintenance not open');
  const now = running.clock.now;
  const row = await maintenance.database.db
    .insertInto('alarms')
    .values({
      incident_key: `${site}/lift-1/elevator.passenger_trapped`,
      site,
      device: 'lift-1',
      gateway: 'gw-1',
      rule_id: 'elevator.passenger_trapped',
      title: 'Passenger trapped',
      state: 'active',
      severity: 'critical',
      first_raised_at: now,
      raised_at: now,
      occurrences,
      flapping: 0,
      detail: '{}',
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

const listed = async (who: Browser, id: number) =>
  ((await who.request('GET', '/api/alarms')).body.alarms as AlarmSummary[]).find((a) => a.id === id);

describe('POST /api/alarms/:id/acknowledge', () => {
  it('records who and when once, lists it with the alarm and tells every screen', async () => {
    const { running, as } = await signedIn('tom', 'sam');
    const id = await insertAlarm(running, 'site-a');
    await running.hub.maintenance?.engine.start();
    expect((await listed(as.sam, id))?.acknowledged).toBeNull();

    const socket: Socket<ServerToClientEvents> = connect(running.hub.url, {
      transports: ['websocket'],
      extraHeaders: { cookie: as.sam.cookie ?? '' },
    });
    onTestFinished(() => {
      socket.close();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const told = new Promise<MaintenanceChangedEvent>((resolve) =>
      socket.on('maintenance.changed', (event) => {
        if (event.kind === 'acknowledged') resolve(event);
      }),
    );

    const at = running.clock.now + 5_000;
    running.clock.now = at;
    const first = await as.tom.request('POST', `/api/alarms/${id}/acknowledge`);
    expect(first.status).toBe(201);
    const expected = { by: 'tom', by_name: 'tom', at, occurrence: 1 };
    expect((first.body.alarm as AlarmSummary).acknowledged).toEqual(expected);
    expect(await told).toMatchObject({
      kind: 'acknowledged',
      alarm_id: id,
      site: 'site-a',
      acknowledged: expected,
    });

    // Again, later, by someone else: the first acknowledgement stands, nothing new is recorded.
    running.clock.now = at + 60_000;
    const again = await as.sam.request('POST', `/api/alarms/${id}/acknowledge`);
    expect(again.status).toBe(200);
    expect((again.body.alarm as AlarmSummary).acknowledged).toEqual(expected);
    expect((await listed(as.sam, id))?.acknowledged).toEqual(expected);
    const rows = await running.hub.maintenance?.database.db
      .selectFrom('alarm_acknowledgements')
      .selectAll()
      .where('alarm_id', '=', id)
      .execute();
    expect(rows?.map((r) => [r.acknowledged_by, Number(r.acknowledged_at), r.occurrence])).toEqual([
      ['tom', at, 1],
    ]);
  });

  it('a raise after an acknowledged one must be acknowledged again', async () => {
    const { running, as } = await signedIn('sam');
    const id = await insertAlarm(running, 'site-a');
    const maintenance = running.hub.maintenance;
    await maintenance?.engine.start();
    expect((await as.sam.request('POST', `/api/alarms/${id}/acknowledge`)).status).toBe(201);
    // The same incident raised again within the flap window: the same alarm, its next occurrence.
    await maintenance?.database.db
      .updateTable('alarms')
      .set({ occurrences: 2 })
      .where('id', '=', id)
      .execute();
    await maintenance?.engine.start();
    expect((await listed(as.sam, id))?.acknowledged).toBeNull();
    const second = await as.sam.request('POST', `/api/alarms/${id}/acknowledge`);
    expect(second.status).toBe(201);
    expect((second.body.alarm as AlarmSummary).acknowledged).toMatchObject({ by: 'sam', occurrence: 2 });
  });

  it('refuses viewers, other sites, unknown alarms and bad ids, and records nothing', async () => {
    const { running, as } = await signedIn('vic', 'bea', 'ada');
    const id = await insertAlarm(running, 'site-a');
    await running.hub.maintenance?.engine.start();

    const viewer = await as.vic.request('POST', `/api/alarms/${id}/acknowledge`);
    expect(viewer).toEqual({ status: 403, body: { error: 'role viewer may not acknowledge alarms' } });
    const otherSite = await as.bea.request('POST', `/api/alarms/${id}/acknowledge`);
    expect(otherSite).toEqual({ status: 403, body: { error: 'site: site-a is not one of your sites' } });
    const unknown = await as.ada.request('POST', `/api/alarms/${id + 100}/acknowledge`);
    expect(unknown).toEqual({ status: 404, body: { error: `alarm ${id + 100} not found` } });
    const bad = await as.ada.request('POST', '/api/alarms/first/acknowledge');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^id: /);
    expect((await listed(as.ada, id))?.acknowledged).toBeNull();
    // An administrator may, anywhere.
    expect((await as.ada.request('POST', `/api/alarms/${id}/acknowledge`)).status).toBe(201);
    expect((await listed(as.ada, id))?.acknowledged).toMatchObject({ by: 'ada', by_name: 'Ada' });
  });

  it('a hold time still running is no alarm to acknowledge', async () => {
    const { running, as } = await signedIn('ada');
    const id = await insertAlarm(running, 'site-a', 0);
    const db = running.hub.maintenance?.database.db;
    await db?.updateTable('alarms').set({ state: 'pending', raised_at: null }).where('id', '=', id).execute();
    await running.hub.maintenance?.engine.start();
    expect((await as.ada.request('POST', `/api/alarms/${id}/acknowledge`)).status).toBe(404);
  });
});

describe('GET /api/devices/:id/predictions', () => {
  it('answers 404 for a device the hub does not know or the caller may not see', async () => {
    const { as } = await signedIn('tom');
    const missing = await as.tom.request('GET', '/api/devices/nowhere-1/predictions');
    expect(missing).toEqual({ status: 404, body: { error: 'device nowhere-1 not found' } });
  });
});
