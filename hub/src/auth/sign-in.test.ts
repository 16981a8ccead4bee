import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  type TelemetryBatch,
  topics,
} from '@caretaker/protocol';
import mqtt from 'mqtt';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Browser,
  basic,
  PASSWORD,
  peopleAtTwoSites,
  type SecuredHub,
  startSecuredHub,
} from './secured-hub.fixture.js';
import { UserDirectory } from './users.js';

/** Sign-in, sessions, tokens and the actor on every request, on a real hub outside the demo mode. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function secured(options: Parameters<typeof startSecuredHub>[0] = {}): Promise<SecuredHub> {
  const running = await startSecuredHub(options);
  cleanups.push(() => running.stop());
  return running;
}

const HOUR = 3_600_000;

describe('signing in to the dashboard', () => {
  it('sets an httpOnly, SameSite=Strict session cookie, and /api/auth/me answers who and what', async () => {
    const { hub } = await secured();
    const browser = new Browser(hub.url);
    expect((await browser.request('GET', '/api/auth/me')).status).toBe(401);
    const login = await browser.login('tom');
    expect(login.status).toBe(200);
    const [cookie = ''] = browser.lastSetCookie;
    expect(cookie).toMatch(
      /^caretaker_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.+; HttpOnly; SameSite=Strict$/,
    );
    // Plain HTTP here: the cookie is Secure only when the hub serves HTTPS.
    expect(cookie).not.toMatch(/Secure/);
    const me = await browser.request('GET', '/api/auth/me');
    expect(me).toEqual({
      status: 200,
      body: {
        username: 'tom',
        display_name: 'tom',
        role: 'technician',
        sites: ['site-a'],
        permissions: [
          'orders.read',
          'orders.create',
          'orders.grab',
          'orders.work',
          'parts.use',
          'alarms.acknowledge',
          'tokens.own',
        ],
      },
    });
    expect((await browser.request('GET', '/api/devices')).status).toBe(200);
    expect((await browser.request('POST', '/api/auth/logout')).status).toBe(204);
    expect(browser.cookie).toBeUndefined();
    expect((await browser.request('GET', '/api/auth/me')).status).toBe(401);
  });

  it('refuses a wrong password, an unknown user and a gateway with one generic message', async () => {
    const { hub } = await secured();
    const browser = new Browser(hub.url);
    for (const [user, password] of [
      ['tom', 'not the password'],
      ['nobody', PASSWORD],
      ['gw-1', PASSWORD],
    ] as const) {
      expect(await browser.login(user, password)).toEqual({
        status: 401,
        body: { error: 'wrong user name or password' },
      });
    }
    expect(browser.cookie).toBeUndefined();
    expect(await browser.request('POST', '/api/auth/login', { username: 'tom' })).toEqual({
      status: 400,
      body: { error: 'password: Invalid input: expected string, received undefined' },
    });
  });

  it('locks a user name out after too many failures, for the login form and HTTP Basic alike', async () => {
    const { hub } = await secured({ signInLimits: { windowMs: 15 * 60_000, perUser: 3, perAddress: 100 } });
    const browser = new Browser(hub.url);
    for (let i = 0; i < 3; i++) expect((await browser.login('tom', `guess ${i}`)).status).toBe(401);
    // Even the right password is refused now: a guesser learns nothing more.
    expect(await browser.login('tom')).toEqual({
      status: 429,
      body: { error: 'too many failed sign-ins; try again later' },
    });
    const viaBasic = await fetch(`${hub.url}/api/devices`, { headers: basic('tom') });
    expect(viaBasic.status).toBe(429);
    // Another user at the same address is not locked out.
    expect((await browser.login('sam')).status).toBe(200);
  });

  it('locks an address out after too many failures across user names', async () => {
    const { hub } = await secured({ signInLimits: { windowMs: 15 * 60_000, perUser: 100, perAddress: 4 } });
    const browser = new Browser(hub.url);
    for (const user of ['a', 'b']) expect((await browser.login(user, 'x')).status).toBe(401);
    for (const user of ['c', 'd'])
      expect((await fetch(`${hub.url}/api/devices`, { headers: basic(user, 'x') })).status).toBe(401);
    expect((await browser.login('tom')).status).toBe(429);
  });

  it('ends a session after 12 idle hours (the hub’s clock), and slides while in use', async () => {
    const { hub, clock } = await secured();
    const browser = new Browser(hub.url);
    await browser.login('tom');
    clock.now += 11 * HOUR;
    expect((await browser.request('GET', '/api/auth/me')).status).toBe(200);
    clock.now += 11 * HOUR;
    expect((await browser.request('GET', '/api/auth/me')).status).toBe(200);
    clock.now += 12 * HOUR;
    const ended = await browser.request('GET', '/api/auth/me', undefined, { 'x-requested-with': 'fetch' });
    expect(ended).toEqual({ status: 401, body: { error: 'your session has ended: sign in again' } });
    // The stale cookie is cleared.
    expect(browser.cookie).toBeUndefined();
  });

  it('keeps HTTP Basic for scripts, with the Basic challenge only for them', async () => {
    const { hub } = await secured();
    const script = await fetch(`${hub.url}/api/devices`);
    expect(script.headers.get('www-authenticate')).toMatch(/^Basic/);
    const dashboard = await fetch(`${hub.url}/api/devices`, { headers: { 'x-requested-with': 'fetch' } });
    expect([dashboard.status, dashboard.headers.get('www-authenticate')]).toEqual([401, null]);
    const me = await fetch(`${hub.url}/api/auth/me`, { headers: basic('sam') });
    expect(((await me.json()) as { role: string }).role).toBe('supervisor');
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });
});

describe('integration tokens', () => {
  it('a bearer token works until revoked, and stops at once when its user is disabled', async () => {
    const { hub } = await secured();
    const sam = new Browser(hub.url);
    await sam.login('sam');
    const created = await sam.request('POST', '/api/tokens', {
      name: 'building management',
      expires_in_days: 90,
    });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^ct_/);
    const bearer = { authorization: `Bearer ${token}` };
    const me = await fetch(`${hub.url}/api/auth/me`, { headers: bearer });
    expect(((await me.json()) as { username: string }).username).toBe('sam');
    const listed = await sam.request('GET', '/api/tokens');
    expect(listed.body.api_tokens).toEqual([
      expect.objectContaining({ name: 'building management', username: 'sam', revoked_at: null }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(3));

    const id = (created.body.api_token as { id: number }).id;
    // Someone else's token is not there for a non-administrator.
    const tom = new Browser(hub.url);
    await tom.login('tom');
    expect((await tom.request('DELETE', `/api/tokens/${id}`)).status).toBe(404);
    expect((await sam.request('DELETE', `/api/tokens/${id}`)).status).toBe(204);
    const revoked = await fetch(`${hub.url}/api/devices`, { headers: bearer });
    expect([revoked.status, await revoked.json()]).toEqual([
      401,
      { error: 'invalid, expired or revoked token' },
    ]);

    const second = (await sam.request('POST', '/api/tokens', { name: 'erp' })).body.token as string;
    expect(
      (await fetch(`${hub.url}/api/devices`, { headers: { authorization: `Bearer ${second}` } })).status,
    ).toBe(200);
    const ada = new Browser(hub.url);
    await ada.login('ada');
    expect((await ada.request('PATCH', '/api/users/sam', { active: false })).status).toBe(200);
    expect(
      (await fetch(`${hub.url}/api/devices`, { headers: { authorization: `Bearer ${second}` } })).status,
    ).toBe(401);
    expect((await sam.request('GET', '/api/auth/me')).status).toBe(401);
    expect((await sam.login('sam')).status).toBe(401);
  });

  it('validates the token request, naming the field', async () => {
    const { hub } = await secured();
    const ada = new Browser(hub.url);
    await ada.login('ada');
    expect(await ada.request('POST', '/api/tokens', { name: 'x', expires_in_days: 0 })).toEqual({
      status: 400,
      body: { error: 'expires_in_days: Too small: expected number to be >=1' },
    });
    expect((await ada.request('POST', '/api/tokens', {})).body).toEqual({
      error: 'name: Invalid input: expected string, received undefined',
    });
  });
});

describe('the actor on every request', () => {
  it("refuses a technician of site A site B's data", async () => {
    const { hub } = await secured();
    const gateway = await mqtt.connectAsync(hub.mqttUrl, {
      reconnectPeriod: 0,
      username: 'gw-1',
      password: PASSWORD,
    });
    cleanups.push(() => gateway.endAsync(true));
    for (const [site, device] of [
      ['site-a', 'pump-a'],
      ['site-b', 'pump-b'],
    ] as const) {
      const ts = Date.now() - 1000;
      const batch: TelemetryBatch = {
        v: 1,
        device,
        device_type: 'pump',
        seq: 1,
        ts,
        readings: [{ point: 'flow', value: 1, ts, quality: 'good' }],
      };
      await gateway.publishAsync(topics.telemetry(site, 'gw-1', device), JSON.stringify(batch), { qos: 1 });
    }
    for (let waited = 0; !hub.live.get('pump-b') || !hub.live.get('pump-a'); waited++) {
      if (waited > 500) throw new Error('the telemetry did not arrive');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const tom = new Browser(hub.url);
    await tom.login('tom');
    const devices = (await tom.request('GET', '/api/devices')).body.devices as Array<{ id: string }>;
    expect(devices.map((d) => d.id)).toEqual(['pump-a']);
    expect((await tom.request('GET', '/api/devices/pump-b/readings?point=flow')).status).toBe(404);
    expect((await tom.request('GET', '/api/devices/pump-a/readings?point=flow')).status).toBe(200);
    const gateways = (await tom.request('GET', '/api/gateways')).body.gateways as Array<{ site: string }>;
    expect(gateways.map((g) => g.site)).toEqual(['site-a']);
    expect(await tom.request('GET', '/api/work-orders?site=site-b')).toEqual({
      status: 403,
      body: { error: 'site: site-b is not one of your sites' },
    });
    expect((await tom.request('GET', '/api/work-orders?site=site-a')).status).toBe(200);
    expect((await tom.request('GET', '/api/sites')).body).toEqual({
      sites: [expect.objectContaining({ id: 'site-a', name: 'Site A', timezone: 'Asia/Shanghai' })],
    });
    // A company-wide viewer sees every site.
    const vic = new Browser(hub.url);
    await vic.login('vic');
    expect((await vic.request('GET', '/api/work-orders?site=site-b')).status).toBe(200);
    const all = (await vic.request('GET', '/api/devices')).body.devices as Array<{ id: string }>;
    expect(all.map((d) => d.id).sort()).toEqual(['pump-a', 'pump-b']);
  });

  it('will not start outside the demo mode without an active administrator', async () => {
    const users = new UserDirectory();
    for (const person of (await peopleAtTwoSites()).people.filter((p) => p.role !== 'admin')) {
      const { username, role, password_hash, reports_to: _boss, ...rest } = person;
      users.add(username, password_hash, role, rest);
    }
    await expect(startSecuredHub({ users })).rejects.toThrow(/no active administrator/);
  });

  it('in the demo mode: anonymous is the administrator, and the demo people can sign in', async () => {
    const { hub } = await secured({ demo: true, users: undefined });
    const anonymous = new Browser(hub.url);
    expect((await anonymous.request('GET', '/api/auth/me')).body).toMatchObject({
      username: 'demo',
      role: 'admin',
    });
    const tom = new Browser(hub.url);
    expect((await tom.login('tom', 'caretaker')).status).toBe(200);
    expect((await tom.request('GET', '/api/auth/me')).body).toMatchObject({
      username: 'tom',
      role: 'technician',
      sites: ['demo-estate'],
    });
    // Credentials that do not hold are refused, never turned into the demo's administrator.
    const forged = await fetch(`${hub.url}/api/auth/me`, { headers: { authorization: 'Bearer ct_forged' } });
    expect(forged.status).toBe(401);
  });
});

describe('socket.io', () => {
  type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

  function open(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Client | Error> {
    const socket: Client = connect(url, { transports: ['websocket'], reconnection: false, ...options });
    cleanups.push(() => {
      socket.close();
    });
    return new Promise((resolve) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => resolve(err));
    });
  }

  it('refuses an unauthenticated client outside the demo mode; takes a session cookie or a token', async () => {
    const { hub } = await secured();
    const anonymous = await open(hub.url);
    expect(anonymous instanceof Error && anonymous.message).toBe('unauthorized');
    const stale = await open(hub.url, { extraHeaders: { cookie: 'caretaker_session=forged' } });
    expect(stale instanceof Error && stale.message).toBe('unauthorized');

    const tom = new Browser(hub.url);
    await tom.login('tom');
    const withCookie = await open(hub.url, { extraHeaders: { cookie: tom.cookie as string } });
    expect(withCookie).not.toBeInstanceOf(Error);
    const token = (await tom.request('POST', '/api/tokens', { name: 'wallboard' })).body.token as string;
    const withToken = await open(hub.url, { auth: { token } });
    expect(withToken).not.toBeInstanceOf(Error);
    // Rooms are the technician's sites: asking for another site is refused.
    const reply = await (withToken as Client).emitWithAck('subscribe', { sites: ['site-b'] });
    expect(reply).toEqual({ ok: false, error: 'sites.0: not one of your sites' });
  });
});
