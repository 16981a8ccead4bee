import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type ApiTestServer, startApiTestServer } from '../parts/api-test-server.js';
import type { Actor } from '../people/actor.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { webhookRoutes } from './webhook.routes.js';
import { WebhookService } from './webhook.service.js';

const ACTORS: Record<string, Actor> = {
  admin: { username: 'ada', role: 'admin', sites: 'all' },
  sup: { username: 'sam', role: 'supervisor', sites: ['site-a'] },
};

describe('webhooks over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-webhooks-http-'));
  let database: OpenDatabase;
  let api: ApiTestServer;
  let hooks: WebhookService;
  let receiver: Server;
  let receiverUrl: string;
  const bodies: string[] = [];

  beforeAll(async () => {
    database = await openDatabase({ kind: 'sqlite', path: join(dir, 'hooks.db') });
    const orders = new WorkOrderService(database.db);
    hooks = new WebhookService({ db: database.db, orders });
    hooks.listen(orders);
    api = await startApiTestServer([webhookRoutes({ webhooks: hooks })], ACTORS);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.end('{"errcode":0}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await hooks.close();
    await api.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a subscription, sends a test message and shows it in the delivery log', async () => {
    const created = await api.call('admin', 'POST', '/api/webhooks', {
      name: 'Engineering group',
      url: `${receiverUrl}/cgi-bin/webhook/send?key=693a91f6-7xxx`,
      events: ['created', 'escalated', 'low_stock'],
      format: 'wecom',
    });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toMatchObject({
      name: 'Engineering group',
      events: ['created', 'escalated', 'low_stock'],
      format: 'wecom',
      active: true,
      has_secret: false,
      site: null,
    });
    // The robot's key works as a password: the API shows only its start.
    expect(created.body.webhook.url).toBe(`${receiverUrl}/cgi-bin/webhook/send?key=693a%E2%80%A6`);
    expect(created.body.webhook.secret).toBeUndefined();
    const id = created.body.webhook.id as number;

    const ping = await api.call('admin', 'POST', `/api/webhooks/${id}/test`);
    expect(ping.status).toBe(202);
    await hooks.idle();
    expect(JSON.parse(bodies.at(-1) ?? '{}')).toMatchObject({
      msgtype: 'markdown',
      markdown: { content: expect.stringContaining('测试消息') },
    });
    const log = await api.call('admin', 'GET', `/api/webhooks/${id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toEqual([
      expect.objectContaining({
        id: ping.body.delivery_id,
        event: 'ping',
        status: 'delivered',
        attempts: 1,
        body: expect.objectContaining({ msgtype: 'markdown' }),
      }),
    ]);

    const patched = await api.call('admin', 'PATCH', `/api/webhooks/${id}`, { active: false, events: ['*'] });
    expect(patched.body.webhook).toMatchObject({ active: false, events: ['*'] });
    const list = await api.call('admin', 'GET', '/api/webhooks');
    expect(list.body.webhooks).toHaveLength(1);
    expect((await api.call('admin', 'DELETE', `/api/webhooks/${id}`)).status).toBe(204);
    expect((await api.call('admin', 'GET', `/api/webhooks/${id}`)).status).toBe(404);
  });

  it('validates where the request enters and checks the role', async () => {
    const ok = { name: 'x', url: `${receiverUrl}/x`, events: ['created'] };
    const cases: Array<[string, string, string, unknown, number, RegExp]> = [
      ['admin', 'POST', '/api/webhooks', { ...ok, url: 'ftp://example.com/x' }, 400, /^url: /],
      ['admin', 'POST', '/api/webhooks', { ...ok, events: [] }, 400, /^events: /],
      [
        'admin',
        'POST',
        '/api/webhooks',
        { ...ok, events: ['Created!'] },
        400,
        /^events\.0: must be an event name/,
      ],
      ['admin', 'POST', '/api/webhooks', { ...ok, format: 'slack' }, 400, /^format: /],
      ['admin', 'POST', '/api/webhooks', { ...ok, secret: 'short' }, 400, /^secret: must be at least 16/],
      [
        'admin',
        'POST',
        '/api/webhooks',
        { ...ok, format: 'wecom', secret: 'a-long-enough-secret' },
        400,
        /^secret: WeCom/,
      ],
      ['admin', 'POST', '/api/webhooks', { ...ok, extra: 1 }, 400, /extra/],
      ['sup', 'POST', '/api/webhooks', ok, 403, /^role: /],
      ['sup', 'GET', '/api/webhooks', undefined, 403, /^role: /],
      ['admin', 'GET', '/api/webhooks/abc', undefined, 404, /^id: /],
      ['admin', 'GET', '/api/webhooks/1/deliveries?status=lost', undefined, 400, /^status: /],
      ['admin', 'POST', '/api/webhooks/999/deliveries/1/retry', undefined, 404, /^id: no webhook 999/],
    ];
    for (const [actor, method, path, body, status, error] of cases) {
      const r = await api.call(actor, method, path, body);
      expect({ path, body, status: r.status }).toEqual({ path, body, status });
      expect(r.body.error).toMatch(error);
    }
  });
});
