import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@caretaker/protocol/log';
import { expect, onTestFinished } from 'vitest';
import type { HubConfig } from '../config.js';
import { Hub, type HubOptions } from '../hub.js';
import { hashPassword } from './passwords.js';
import { UserDirectory } from './users.js';

/**
 * A real hub outside the demo mode on free loopback ports, with a users file's worth of people
 * at two sites, for the sign-in and people API tests. The clock is the test's.
 */
const log = createLogger('auth-test');
log.level = 'silent';

export const PASSWORD = 'correct horse battery';

export interface SecuredHub {
  hub: Hub;
  clock: { now: number };
  stop(): Promise<void>;
}

let hash: Promise<string> | undefined;

export async function peopleAtTwoSites(): Promise<UserDirectory> {
  hash ??= hashPassword(PASSWORD);
  const h = await hash;
  const users = new UserDirectory();
  users.add('gw-1', h, 'gateway');
  users.add('ada', h, 'admin', { display_name: 'Ada' });
  users.add('sam', h, 'supervisor', { sites: ['site-a'], reports_to: 'ada' });
  users.add('tom', h, 'technician', {
    sites: ['site-a'],
    reports_to: 'sam',
    zone: 'b1',
    skills: [{ skill: 'elevator', certificate_no: 'T-07', expires_at: null }],
  });
  users.add('bea', h, 'technician', { sites: ['site-b'] });
  users.add('vic', h, 'viewer', { sites: 'all' });
  users.sites.push({ id: 'site-a', name: 'Site A', timezone: 'Asia/Shanghai' });
  return users;
}

export async function startSecuredHub(
  options: Partial<HubOptions> & { demo?: boolean } = {},
): Promise<SecuredHub> {
  const { demo = false, users: given, ...rest } = options;
  const dataDir = await mkdtemp(join(tmpdir(), 'caretaker-auth-'));
  const config: HubConfig = {
    demo,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    dataDir,
    store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
  };
  const clock = { now: Date.now() };
  // `users: undefined` asks for none (the demo without a users file).
  const users = 'users' in options ? given : await peopleAtTwoSites();
  const hub = new Hub(config, {
    log,
    dashboardDir: join(dataDir, 'no-dashboard'),
    now: () => clock.now,
    ...rest,
    ...(users ? { users } : {}),
  });
  try {
    await hub.start();
  } catch (err) {
    await hub.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    hub,
    clock,
    stop: async () => {
      await hub.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A secured hub for the current test with these people signed in, one browser each; the hub
 * stops when the test finishes.
 */
export async function signedIn<const U extends string>(
  ...users: U[]
): Promise<{ running: SecuredHub; as: Record<U, Browser> }> {
  const running = await startSecuredHub();
  onTestFinished(() => running.stop());
  const as = {} as Record<U, Browser>;
  for (const user of users) {
    const browser = new Browser(running.hub.url);
    expect((await browser.login(user)).status).toBe(200);
    as[user] = browser;
  }
  return { running, as };
}

/** A small HTTP client that keeps the session cookie, like a browser. */
export class Browser {
  cookie: string | undefined;
  lastSetCookie: string[] = [];

  constructor(private readonly base: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair = ''] = line.split(';');
      const value = pair.slice(pair.indexOf('=') + 1);
      this.cookie = value === '' || /expires=Thu, 01 Jan 1970/i.test(line) ? undefined : pair;
    }
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async login(username: string, password = PASSWORD) {
    return this.request('POST', '/api/auth/login', { username, password });
  }
}

export const basic = (user: string, password = PASSWORD) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
