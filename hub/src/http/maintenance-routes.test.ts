import { describe, expect, it } from 'vitest';
import { type Browser, signedIn } from '../auth/secured-hub.fixture.js';

/** Alarms and maintenance windows on a real hub: each person sees and changes only their sites. */
describe('alarms and maintenance windows by site', () => {
  it('lists only the alarms of the caller’s sites', async () => {
    const { running, as } = await signedIn('ada', 'tom', 'bea');
    const maintenance = running.hub.maintenance;
    if (!maintenance) throw new Error('maintenance not open');
    const now = running.clock.now;
    for (const site of ['site-a', 'site-b']) {
      await maintenance.database.db
        .insertInto('alarms')
        .values({
          incident_key: `${site}/pump-1/pump.motor_trip`,
          site,
          device: 'pump-1',
          gateway: 'gw-1',
          rule_id: 'pump.motor_trip',
          title: 'Motor trip',
          state: 'active',
          severity: 'major',
          first_raised_at: now,
          raised_at: now,
          occurrences: 1,
          flapping: 0,
          detail: '{}',
          updated_at: now,
        })
        .execute();
    }
    // The engine loads live alarms from the database.
    await maintenance.engine.start();
    const sitesSeen = async (who: Browser) =>
      ((await who.request('GET', '/api/alarms')).body.alarms as Array<{ site: string }>)
        .map((a) => a.site)
        .sort();
    expect(await sitesSeen(as.ada)).toEqual(['site-a', 'site-b']);
    expect(await sitesSeen(as.tom)).toEqual(['site-a']);
    expect(await sitesSeen(as.bea)).toEqual(['site-b']);
  });

  it('lets a supervisor silence their own site only, and shows windows by site', async () => {
    const { running, as } = await signedIn('sam', 'tom', 'bea', 'ada');
    const window = (site: string) => ({
      site,
      device: 'pump-1',
      starts_at: running.clock.now,
      ends_at: running.clock.now + 3_600_000,
      reason: 'bearing replacement',
    });
    expect((await as.sam.request('POST', '/api/maintenance-windows', window('site-a'))).status).toBe(201);
    const foreign = await as.sam.request('POST', '/api/maintenance-windows', window('site-b'));
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toMatch(/^site: site-b/);
    const technician = await as.tom.request('POST', '/api/maintenance-windows', window('site-a'));
    expect(technician.status).toBe(403);
    expect(technician.body.error).toMatch(/technician/);
    const bad = await as.ada.request('POST', '/api/maintenance-windows', { ...window('site-a'), ends_at: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^ends_at:/);
    const listed = async (who: Browser) =>
      ((await who.request('GET', '/api/maintenance-windows')).body.maintenance_windows as unknown[]).length;
    expect(await listed(as.tom)).toBe(1);
    expect(await listed(as.bea)).toBe(0);
    expect(await listed(as.ada)).toBe(1);
  });

  it('shows the loaded rules with their limits, by device type, to any signed-in user', async () => {
    const { as } = await signedIn('tom');
    const pump = await as.tom.request('GET', '/api/rules?device_type=pump');
    expect(pump.status).toBe(200);
    const rules = pump.body.rules as Array<Record<string, unknown>>;
    expect(rules.every((r) => r.device_type === 'pump')).toBe(true);
    // The shipped pack (hub/rules/default.yaml): a limit with hysteresis and an escalation…
    expect(rules.find((r) => r.id === 'pump.bearing_temp_high')).toEqual({
      id: 'pump.bearing_temp_high',
      device_type: 'pump',
      title: 'Pump bearing temperature high',
      severity: 'warning',
      problem_type: 'pump_bearing',
      when: [{ point: 'bearing_temp', op: '>', value: 80, clear: 75 }],
      escalate: [{ severity: 'critical', when: [{ point: 'bearing_temp', op: '>', value: 95 }] }],
    });
    // …and a trend's limit, window and horizon in milliseconds.
    expect(rules.find((r) => r.id === 'pump.bearing_temp_trend')?.trend).toEqual({
      point: 'bearing_temp',
      direction: 'rising',
      limit: 80,
      window_ms: 600_000,
      horizon_ms: 900_000,
    });
    const all = await as.tom.request('GET', '/api/rules');
    expect((all.body.rules as unknown[]).length).toBeGreaterThan(rules.length);
    const bad = await as.tom.request('GET', '/api/rules?device_type=boiler');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^device_type:/);
  });
});
