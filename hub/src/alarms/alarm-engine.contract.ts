import { readFileSync } from 'node:fs';
import type { DeviceType, TelemetryBatch } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { OpenDatabase } from '../db/database.js';
import { LiveStateService } from '../services/live-state.service.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { AlarmEngine } from './alarm-engine.js';
import { AssetMap } from './assets.js';
import { DEFAULT_RULES_FILE, parseRules, type RuleFileInput } from './rules.js';

/**
 * The acceptance tests of issue 6, on the real engine and a real database (SQLite in a temp
 * dir, PostgreSQL on a throwaway server): the same suite for both dialects. Time is a fake clock that moves with the readings (detection uses the readings' own
 * timestamps; the hub's clock only drives communication loss and "active for" policies).
 */

const log = createLogger('alarm-test');
log.level = 'warn';
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const SITE = 'site-a';
const GW = 'gw-1';

const HIGH_TEMP: RuleFileInput = {
  rules: [
    {
      id: 'temp.high',
      device_type: 'pump',
      title: 'Temperature high',
      problem_type: 'pump_bearing',
      severity: 'warning',
      when: [{ point: 'temp', op: '>', value: 80, clear: 75 }],
      raise_after: '60s',
      clear_after: '60s',
      escalate: [{ severity: 'critical', when: [{ point: 'temp', op: '>', value: 95 }] }],
      work_order: { when: 'immediate' },
    },
  ],
};

interface Rig {
  database: OpenDatabase;
  engine: AlarmEngine;
  orders: WorkOrderService;
  clock: { now: number };
  send(
    device: string,
    ts: number,
    values: Record<string, number | boolean>,
    type?: DeviceType,
    historical?: boolean,
  ): void;
  settle(): Promise<void>;
  orderRows(): Promise<Awaited<ReturnType<WorkOrderService['list']>>>;
  alarmRows(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Opens (creating on first use) the database called `name`; the same name reopens it. */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

export function describeAlarmEngineContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`alarm engine contract: ${dialect}`, () => {
    const rigs: Rig[] = [];
    let databases = 0;
    afterEach(async () => {
      for (const rig of rigs.splice(0)) await rig.close();
    });

    async function rig(
      rules: RuleFileInput,
      opts: { name?: string; assets?: AssetMap; live?: LiveStateService; clock?: { now: number } } = {},
    ): Promise<Rig> {
      databases += 1;
      const database = await openDb(opts.name ?? `alarms_${databases}`);
      const clock = opts.clock ?? { now: T0 };
      const orders = new WorkOrderService(database.db, () => clock.now);
      const live = opts.live;
      const engine = new AlarmEngine({
        db: database.db,
        orders,
        rules: parseRules(rules),
        log,
        now: () => clock.now,
        ...(opts.assets ? { assets: opts.assets } : {}),
        ...(live
          ? {
              gatewayOnline: (site: string, gateway: string) =>
                live.listGateways().find((g) => g.site === site && g.gateway === gateway)?.status !==
                'offline',
            }
          : {}),
      });
      await engine.start();
      let seq = 0;
      const r: Rig = {
        database,
        engine,
        orders,
        clock,
        send(device, ts, values, type = 'pump', historical = false) {
          seq += 1;
          const batch: TelemetryBatch = {
            v: 1,
            ts,
            device,
            device_type: type,
            seq,
            ...(historical ? { historical: true } : {}),
            readings: Object.entries(values).map(([point, value]) => ({
              point,
              ts,
              value,
              quality: 'good' as const,
            })),
          };
          if (clock.now < ts) clock.now = ts;
          const ref = { site: SITE, gateway: GW, device };
          live?.applyTelemetry(ref, batch);
          engine.onTelemetry(ref, batch);
        },
        async settle() {
          await engine.idle();
          await engine.idle();
        },
        orderRows: () => orders.list(),
        alarmRows: () => database.db.selectFrom('alarms').selectAll().orderBy('id').execute(),
        async close() {
          await engine.idle();
          await database.close();
        },
      };
      rigs.push(r);
      return r;
    }

    describe('incidents and work orders', () => {
      it('a reading sawing around the threshold for an hour gives 1 alarm marked flapping and 1 order', async () => {
        const r = await rig(HIGH_TEMP);
        // Five minutes above, five below, for an hour, a reading every 10 s.
        for (let t = 0; t < 3_600_000; t += 10_000) {
          const high = Math.floor(t / 300_000) % 2 === 1;
          r.send('pump-1', T0 + t, { temp: high ? 86 : 70 });
        }
        await r.settle();
        const alarms = await r.alarmRows();
        expect(alarms).toHaveLength(1);
        expect(alarms[0]).toMatchObject({
          flapping: 1,
          occurrences: 6,
          incident_key: `${SITE}/pump-1/temp.high`,
        });
        const orders = await r.orderRows();
        expect(orders).toHaveLength(1);
        expect(orders[0]?.status).toBe('pending_acceptance');
        expect(r.engine.stats.db_errors).toBe(0);
      });

      it('two identical messages 5 ms apart give 1 order, and racing creations lose to the unique index', async () => {
        const r = await rig({
          rules: [{ ...HIGH_TEMP.rules[0], raise_after: '0s' } as RuleFileInput['rules'][number]],
        });
        r.send('pump-1', T0, { temp: 90 });
        r.clock.now += 5;
        r.send('pump-1', T0, { temp: 90 });
        await r.settle();
        expect(await r.orderRows()).toHaveLength(1);
        // Two hubs deciding at once: the database keeps one open order per incident.
        const alarm = (await r.alarmRows())[0] as never;
        const request = {
          alarm,
          problemType: 'x',
          title: 'x',
          kind: 'corrective' as const,
          evidence: {},
          ts: T0 + 10,
          reopenWindowMs: 0,
          reviveWindowMs: 0,
        };
        const outcomes = await Promise.all([
          r.orders.raiseForAlarm(request),
          r.orders.raiseForAlarm(request),
        ]);
        expect(new Set(outcomes.map((o) => o.order.id)).size).toBe(1);
        expect(await r.orderRows()).toHaveLength(1);
      });

      it('a hub restart in the middle of a hold time fires at the original moment', async () => {
        {
          const name = 'alarms_restart';
          const clock = { now: T0 };
          const first = await rig(HIGH_TEMP, { name, clock });
          for (let t = 0; t <= 20_000; t += 5_000) first.send('pump-1', T0 + t, { temp: 90 });
          await first.settle();
          expect((await first.alarmRows())[0]).toMatchObject({ state: 'pending', pending_since: T0 });
          await first.close();
          rigs.splice(rigs.indexOf(first), 1);

          // A new engine on the same database (the hub restarted); readings go on.
          const second = await rig(HIGH_TEMP, { name, clock });
          for (let t = 45_000; t <= 120_000; t += 15_000) second.send('pump-1', T0 + t, { temp: 90 });
          await second.settle();
          const [alarm] = await second.alarmRows();
          expect(alarm).toMatchObject({ state: 'active', raised_at: T0 + 60_000 });
          expect(await second.orderRows()).toHaveLength(1);
        }
      });

      it('a severity rise keeps the same order and raises its priority', async () => {
        const r = await rig(HIGH_TEMP);
        for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 85 });
        await r.settle();
        const [before] = await r.orderRows();
        expect(before).toMatchObject({ severity: 'warning', priority: 3 });
        for (let t = 130_000; t <= 200_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 99 });
        await r.settle();
        const orders = await r.orderRows();
        expect(orders).toHaveLength(1);
        expect(orders[0]).toMatchObject({ id: before?.id, severity: 'critical', priority: 1 });
        const events = await r.orders.events(before?.id ?? 0);
        expect(events.map((e) => e.type)).toContain('priority_raised');
      });

      it('an alarm clearing during the repair does not close the order', async () => {
        const r = await rig(HIGH_TEMP);
        for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 90 });
        await r.settle();
        const [order] = await r.orderRows();
        await r.orders.transition(order?.id ?? 0, 'to_dispatch', 'supervisor-1', T0 + 130_000);
        await r.orders.transition(order?.id ?? 0, 'in_repair', 'tech-7', T0 + 140_000);
        for (let t = 150_000; t <= 400_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 60 });
        await r.settle();
        expect((await r.alarmRows())[0]).toMatchObject({ state: 'cleared' });
        expect((await r.orderRows())[0]).toMatchObject({ id: order?.id, status: 'in_repair' });
      });

      it('an unacknowledged order whose alarm cleared by itself within the window is cancelled as self-recovered', async () => {
        const r = await rig(HIGH_TEMP);
        for (let t = 0; t <= 90_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 90 });
        for (let t = 100_000; t <= 200_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 60 });
        await r.settle();
        expect((await r.orderRows())[0]).toMatchObject({
          status: 'cancelled',
          cancel_reason: 'self_recovered',
        });
      });

      it('a re-fire after completion reopens the order within 72 h, and links a new one later', async () => {
        const r = await rig(HIGH_TEMP);
        const high = (start: number) => {
          for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', start + t, { temp: 90 });
        };
        const low = (start: number) => {
          for (let t = 130_000; t <= 260_000; t += 10_000) r.send('pump-1', start + t, { temp: 60 });
        };
        high(T0);
        await r.settle();
        const [order] = await r.orderRows();
        const id = order?.id ?? 0;
        await r.orders.transition(id, 'to_dispatch', 'sup', T0 + 121_000);
        await r.orders.transition(id, 'in_repair', 'tech', T0 + 122_000);
        low(T0);
        await r.settle();
        await r.orders.transition(id, 'completed', 'tech', T0 + 300_000);
        const excursion = (start: number) => {
          high(start);
          low(start);
        };

        // Two hours later, the same incident: the order reopens, a failed first-time fix.
        r.clock.now = T0 + 2 * 3_600_000;
        r.engine.tick(); // the cleared alarm is over for good (past the flap window)
        excursion(T0 + 2 * 3_600_000);
        await r.settle();
        let orders = await r.orderRows();
        expect(orders).toHaveLength(1);
        expect(orders[0]).toMatchObject({
          id,
          status: 'pending_acceptance',
          reopen_count: 1,
          first_time_fix: 0,
        });

        await r.orders.transition(id, 'to_dispatch', 'sup', T0 + 3 * 3_600_000);
        await r.orders.transition(id, 'completed', 'tech', T0 + 3 * 3_600_000 + 1000);
        // Four days later: a new order, linked to the previous one.
        const later = T0 + 4 * 86_400_000;
        r.clock.now = later;
        r.engine.tick();
        high(later);
        await r.settle();
        orders = await r.orderRows();
        expect(orders).toHaveLength(2);
        expect(orders[0]).toMatchObject({
          status: 'pending_acceptance',
          previous_order_id: id,
          first_time_fix: 1,
        });
      });

      it('data arriving 30 min late is judged on its own timestamps and opens no second order', async () => {
        const r = await rig(HIGH_TEMP);
        // Live until T0, then the gateway loses the broker for 30 minutes.
        for (let t = -300_000; t <= 0; t += 10_000) r.send('pump-1', T0 + t, { temp: 60 });
        // Back: live readings (high) arrive first, then the backlog, replayed in order.
        const back = T0 + 1_800_000;
        for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', back + t, { temp: 90 });
        for (let t = 10_000; t < 1_800_000; t += 10_000) {
          r.send('pump-1', T0 + t, { temp: t >= 600_000 ? 90 : 60 }, 'pump', true);
        }
        for (let t = 130_000; t <= 200_000; t += 10_000) r.send('pump-1', back + t, { temp: 90 });
        await r.settle();
        const alarms = await r.alarmRows();
        expect(alarms).toHaveLength(1);
        // The incident began when the late readings say: 10 min after the outage began + 60 s hold.
        expect(alarms[0]).toMatchObject({ first_raised_at: T0 + 660_000, state: 'active' });
        expect(await r.orderRows()).toHaveLength(1);
        expect(r.engine.stats.late_readings).toBeGreaterThan(100);
      });

      it('late data showing a past excursion raises and clears it at its own times, with one order', async () => {
        const r = await rig({
          ...HIGH_TEMP,
          rules: [
            {
              ...HIGH_TEMP.rules[0],
              work_order: { when: 'immediate' },
              self_recovery_window: '0s',
            } as RuleFileInput['rules'][number],
          ],
        });
        for (let t = -60_000; t <= 0; t += 10_000) r.send('pump-1', T0 + t, { temp: 60 });
        const back = T0 + 1_800_000;
        r.send('pump-1', back, { temp: 60 });
        for (let t = 10_000; t < 1_800_000; t += 10_000) {
          const high = t >= 600_000 && t < 900_000;
          r.send('pump-1', T0 + t, { temp: high ? 90 : 60 }, 'pump', true);
        }
        await r.settle();
        const [alarm] = await r.alarmRows();
        expect(alarm).toMatchObject({ state: 'cleared', raised_at: T0 + 660_000, cleared_at: T0 + 960_000 });
        expect(await r.orderRows()).toHaveLength(1);
      });
    });

    describe('topology and communication loss', () => {
      it('a gateway offline with 20 devices behind it gives 1 incident and no value alarms', async () => {
        const live = new LiveStateService(() => clock.now);
        const clock = { now: T0 };
        const r = await rig(HIGH_TEMP, { live, clock });
        const devices = Array.from({ length: 20 }, (_, i) => `pump-${i + 1}`);
        for (let t = 0; t <= 30_000; t += 1_000) for (const d of devices) r.send(d, T0 + t, { temp: 60 });
        live.on('device.changed', ({ device }) => r.engine.onDeviceChanged(device));
        // The gateway's Last Will: every device behind it goes offline.
        clock.now = T0 + 31_000;
        live.applyGatewayStatus({ site: SITE, gateway: GW }, { state: 'offline', ts: T0 } as never);
        for (let t = 32_000; t <= 150_000; t += 1_000) {
          clock.now = T0 + t;
          live.sweep();
          r.engine.tick();
        }
        await r.settle();
        const alarms = await r.alarmRows();
        const open = alarms.filter((a) => a.closed_at === null);
        expect(open).toHaveLength(1);
        expect(open[0]).toMatchObject({
          incident_key: `${SITE}/gateway:${GW}/comm_loss`,
          state: 'active',
          device: null,
        });
        // Communication loss never reads as "back to normal" for the value rules: no value alarm moved.
        expect(alarms.filter((a) => a.rule_id !== 'comm_loss')).toHaveLength(0);
      });

      it('devices going silent without a Last Will also give one gateway incident, not one per device', async () => {
        const live = new LiveStateService(() => clock.now);
        const clock = { now: T0 };
        const r = await rig(HIGH_TEMP, { live, clock });
        const devices = Array.from({ length: 20 }, (_, i) => `pump-${i + 1}`);
        live.on('device.changed', ({ device }) => r.engine.onDeviceChanged(device));
        for (let t = 0; t <= 10_000; t += 1_000) for (const d of devices) r.send(d, T0 + t, { temp: 60 });
        for (let t = 11_000; t <= 120_000; t += 1_000) {
          clock.now = T0 + t;
          live.sweep();
          r.engine.tick();
        }
        await r.settle();
        const open = (await r.alarmRows()).filter((a) => a.closed_at === null);
        expect(open.map((a) => a.incident_key)).toEqual([`${SITE}/gateway:${GW}/comm_loss`]);
      });

      it('one silent device raises its own communication alarm and leaves its active value alarm frozen', async () => {
        const live = new LiveStateService(() => clock.now);
        const clock = { now: T0 };
        const r = await rig(HIGH_TEMP, { live, clock });
        live.on('device.changed', ({ device }) => r.engine.onDeviceChanged(device));
        for (let t = 0; t <= 120_000; t += 1_000) {
          r.send('pump-1', T0 + t, { temp: 90 });
          r.send('pump-2', T0 + t, { temp: 60 });
        }
        // pump-1 goes silent; pump-2 keeps reporting.
        for (let t = 121_000; t <= 260_000; t += 1_000) {
          clock.now = T0 + t;
          r.send('pump-2', T0 + t, { temp: 60 });
          live.sweep();
          r.engine.tick();
        }
        await r.settle();
        const open = (await r.alarmRows()).filter((a) => a.closed_at === null);
        expect(open.map((a) => [a.incident_key, a.state]).sort()).toEqual([
          [`${SITE}/pump-1/comm_loss`, 'active'],
          [`${SITE}/pump-1/temp.high`, 'active'],
        ]);
        // Data returns: the communication alarm clears; the value alarm is judged on data again.
        r.send('pump-1', T0 + 261_000, { temp: 90 });
        await r.settle();
        const rows = await r.alarmRows();
        expect(rows.find((a) => a.rule_id === 'comm_loss')).toMatchObject({ state: 'cleared' });
        expect(rows.find((a) => a.rule_id === 'temp.high')).toMatchObject({ state: 'active' });
      });

      it('a power-room trip gives 1 root order with the other alarms of the building attached', async () => {
        const assets = new AssetMap({
          sites: [{ id: SITE, buildings: [{ id: 'b1', devices: ['b1-meter', 'b1-pump-1', 'b1-lift-1'] }] }],
        });
        const r = await rig(loadRulesInput(), { assets });
        const meter = (v: number) => ({ voltage_l1: v, voltage_l2: v, voltage_l3: v, transformer_temp: 50 });
        const pump = (fault: boolean) => ({
          running: !fault,
          fault,
          leak_alarm: false,
          flow: fault ? 0 : 20,
          outlet_pressure: fault ? 0.3 : 3,
          motor_current: fault ? 0 : 12,
          vibration: 2,
          bearing_temp: 50,
        });
        const lift = (trapped: boolean) => ({
          alarm: trapped,
          speed: 0,
          car_position: trapped ? 7.4 : 7,
          load: 300,
          door_close_time: 3,
          levelling_error: 1,
        });
        for (let t = 0; t <= 10_000; t += 1_000) {
          r.send('b1-meter', T0 + t, meter(230), 'power_meter');
          r.send('b1-pump-1', T0 + t, pump(false));
          r.send('b1-lift-1', T0 + t, lift(false), 'elevator');
        }
        // The trip: the pump reports its fault first, then the meter its lost supply, then the lift.
        r.send('b1-pump-1', T0 + 11_000, pump(true));
        r.send('b1-meter', T0 + 11_500, meter(0), 'power_meter');
        for (let t = 12_000; t <= 60_000; t += 1_000) {
          r.send('b1-meter', T0 + t, meter(0), 'power_meter');
          r.send('b1-pump-1', T0 + t, pump(true));
          r.send('b1-lift-1', T0 + t, lift(true), 'elevator');
        }
        await r.settle();
        const open = (await r.orderRows()).filter((o) => o.status !== 'cancelled');
        expect(open).toHaveLength(1);
        expect(open[0]).toMatchObject({ rule_id: 'power.supply_lost', device: 'b1-meter', priority: 1 });
        const links = await r.orders.alarmsOf(open[0]?.id ?? 0);
        const alarms = await r.alarmRows();
        const ruleOf = (id: number) => alarms.find((a) => a.id === id)?.rule_id;
        expect(links.map((l) => [ruleOf(l.alarm_id), l.role]).sort()).toEqual([
          ['elevator.passenger_trapped', 'symptom'],
          ['power.supply_lost', 'trigger'],
          ['pump.motor_trip', 'symptom'],
        ]);
      });

      it('an order in repair on the device silences a new alarm there: attached to it, no new order', async () => {
        const r = await rig({
          rules: [
            HIGH_TEMP.rules[0] as RuleFileInput['rules'][number],
            {
              id: 'vib.high',
              device_type: 'pump',
              title: 'Vibration high',
              problem_type: 'pump_vibration',
              severity: 'major',
              when: [{ point: 'vib', op: '>', value: 7 }],
            },
          ],
        });
        for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 90, vib: 2 });
        await r.settle();
        const [order] = await r.orderRows();
        await r.orders.transition(order?.id ?? 0, 'in_repair', 'tech', T0 + 121_000);
        // The technician's work shakes the pump: a vibration alarm, not a second order.
        for (let t = 130_000; t <= 200_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 90, vib: 9 });
        await r.settle();
        expect(await r.orderRows()).toHaveLength(1);
        const vib = (await r.alarmRows()).find((a) => a.rule_id === 'vib.high');
        expect(vib).toMatchObject({ state: 'active', silenced: 'in_repair' });
        const links = await r.orders.alarmsOf(order?.id ?? 0);
        expect(links.map((l) => l.role).sort()).toEqual(['silenced', 'trigger']);
      });

      it('a trend raises a preventive order with the predicted time to the limit and the recent orders', async () => {
        const r = await rig({
          rules: [
            {
              id: 'temp.trend',
              device_type: 'pump',
              title: 'Bearing temperature will reach 80 °C',
              problem_type: 'pump_bearing',
              severity: 'warning',
              trend: {
                point: 'temp',
                direction: 'rising',
                limit: 80,
                window: '10m',
                horizon: '6h',
                min_points: 20,
              },
              raise_after: '2m',
            },
          ],
        });
        // +2 °C an hour from 60 °C: the limit is 10 hours away at first, 6 hours after 4 hours.
        for (let t = 0; t <= 5 * 3_600_000; t += 30_000)
          r.send('pump-1', T0 + t, { temp: 60 + (2 * t) / 3_600_000 });
        await r.settle();
        const [order] = await r.orderRows();
        expect(order).toMatchObject({ kind: 'preventive', rule_id: 'temp.trend' });
        const evidence = JSON.parse(order?.evidence ?? '{}');
        // Raised about 4 h 2 min in (6 h to go, plus the hold time): 80 °C is still ~6 h off.
        expect(evidence.time_to_limit_ms).toBeGreaterThan(5.5 * 3_600_000);
        expect(evidence.time_to_limit_ms).toBeLessThan(6.1 * 3_600_000);
        expect(evidence.slope_per_hour).toBeCloseTo(2, 1);
        expect(Array.isArray(evidence.recent_orders)).toBe(true);
        expect(evidence.readings.temp.length).toBeGreaterThan(10);
      });

      it('a maintenance window silences new alarms: recorded, no order', async () => {
        const r = await rig(HIGH_TEMP);
        await r.database.db
          .insertInto('maintenance_windows')
          .values({
            site: SITE,
            device: 'pump-1',
            starts_at: T0,
            ends_at: T0 + 3_600_000,
            reason: 'bearing change',
            created_by: 'sup',
          })
          .execute();
        for (let t = 0; t <= 120_000; t += 10_000) r.send('pump-1', T0 + t, { temp: 90 });
        await r.settle();
        expect((await r.alarmRows())[0]).toMatchObject({ state: 'active', silenced: 'maintenance' });
        expect(await r.orderRows()).toHaveLength(0);
      });
    });

    describe('learned behaviour across a restart', () => {
      const behaviour = (trainRows = 400): RuleFileInput => ({
        rules: [
          {
            id: 'pump.behaviour',
            device_type: 'pump',
            title: 'Pump behaving unlike its normal running',
            problem_type: 'pump_performance',
            severity: 'warning',
            anomaly: {
              points: ['flow', 'current'],
              train_rows: trainRows,
              only_when: [{ point: 'running', op: '==', value: 1 }],
            },
            raise_after: '30s',
            work_order: { when: 'never' },
          },
        ],
      });
      let seed = 11;
      const noise = () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647 - 0.5;
      };
      /** Current follows flow in normal running; clogging: more current for less flow. */
      const normal = (s: number) => {
        const flow = 20 + 5 * Math.sin(s / 20) + noise() * 0.3;
        return { running: true, flow, current: 10 + 0.4 * flow + noise() * 0.1 };
      };
      const clogged = () => ({ running: true, flow: 12 + noise() * 0.3, current: 22 + noise() * 0.1 });

      /** Learns for 10 minutes, stops (as the hub does), and returns the database's name. */
      async function learnAndStop(name: string, clock: { now: number }): Promise<void> {
        const first = await rig(behaviour(), { name, clock });
        for (let s = 0; s < 600; s += 1) first.send('pump-1', T0 + s * 1000, normal(s));
        first.engine.tick(); // it finished learning: saved at the next tick
        await first.settle();
        expect(first.engine.stats.models_saved).toBe(1);
        for (let s = 600; s < 660; s += 1) first.send('pump-1', T0 + s * 1000, normal(s));
        await first.engine.stop(); // and again on stop, with the minute since
        expect(first.engine.stats.models_saved).toBe(2);
        expect(await first.alarmRows()).toEqual([]);
        await first.close();
        rigs.splice(rigs.indexOf(first), 1);
      }

      it('a restarted hub resumes the learned model: a fault right after the restart is flagged', async () => {
        const name = 'alarms_models';
        const clock = { now: T0 };
        await learnAndStop(name, clock);
        const second = await rig(behaviour(), { name, clock });
        const [row] = await second.database.db.selectFrom('detector_state').selectAll().execute();
        expect(row).toMatchObject({ site: SITE, device: 'pump-1', rule_id: 'pump.behaviour', kind: 'pca' });
        expect(JSON.parse(row?.state ?? '{}').model).not.toBeNull();
        const restartedAt = 700;
        for (let s = restartedAt; s < restartedAt + 300; s += 1)
          second.send('pump-1', T0 + s * 1000, clogged());
        await second.settle();
        expect(second.engine.stats.models_resumed).toBe(1);
        const [alarm] = await second.alarmRows();
        expect(alarm).toMatchObject({ rule_id: 'pump.behaviour', state: 'active' });
        expect(Number(alarm?.raised_at) - (T0 + restartedAt * 1000)).toBeLessThan(120_000);

        // Without the saved model the same readings are what it learns as normal: no alarm.
        const fresh = await rig(behaviour());
        for (let s = restartedAt; s < restartedAt + 300; s += 1)
          fresh.send('pump-1', T0 + s * 1000, clogged());
        await fresh.settle();
        expect(fresh.engine.stats.models_resumed).toBe(0);
        expect(await fresh.alarmRows()).toEqual([]);
      });

      it('a model learned under other settings, or unreadable, is not resumed: the device learns again', async () => {
        const name = 'alarms_models_changed';
        const clock = { now: T0 };
        await learnAndStop(name, clock);
        const changed = await rig(behaviour(500), { name, clock });
        for (let s = 700; s < 1000; s += 1) changed.send('pump-1', T0 + s * 1000, clogged());
        await changed.settle();
        expect(changed.engine.stats.models_resumed).toBe(0);
        expect(await changed.alarmRows()).toEqual([]);
        await changed.close();
        rigs.splice(rigs.indexOf(changed), 1);

        // The same database again, with the saved row broken.
        const broken = await rig(behaviour(), { name, clock });
        await broken.database.db
          .updateTable('detector_state')
          .set({ state: '{"v":1,"model":"?"}' })
          .execute();
        await broken.close();
        rigs.splice(rigs.indexOf(broken), 1);
        const again = await rig(behaviour(), { name, clock });
        for (let s = 1000; s < 1300; s += 1) again.send('pump-1', T0 + s * 1000, clogged());
        await again.settle();
        expect(again.engine.stats.models_resumed).toBe(0);
        expect(await again.alarmRows()).toEqual([]);
      });
    });
  });
}

function loadRulesInput(): RuleFileInput {
  // The shipped rule pack, as a user would run it.
  return parseYaml(readFileSync(DEFAULT_RULES_FILE, 'utf8')) as RuleFileInput;
}
