import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import { PartsService } from '../parts/parts.service.js';
import type { Actor } from '../people/actor.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { WebhookError, WebhookService } from './webhook.service.js';

/**
 * Webhooks against a real local HTTP server (127.0.0.1, a free port) and a real database: the
 * same suite on SQLite and PostgreSQL. The clock is controlled; the HTTP is not faked.
 */
export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const T0 = Date.UTC(2026, 2, 2, 1, 0, 0);
const ADMIN: Actor = { username: 'ada', role: 'admin', sites: 'all' };
const SECRET = 'test-secret-not-real';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that answers with the queued responses (then 200 "ok") and records every request. */
class Receiver {
  readonly requests: Received[] = [];
  readonly answers: Array<{ status: number; body?: string }> = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = this.answers.shift() ?? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function describeWebhookContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`webhooks contract: ${dialect}`, () => {
    const cleanup: Array<() => Promise<void>> = [];
    let n = 0;
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn();
    });

    async function rig(options: { maxAttempts?: number; baseDelayMs?: number } = {}) {
      n += 1;
      const database = await openDb(`webhooks_${n}`);
      const receiver = new Receiver();
      await receiver.start();
      const clock = { now: T0 };
      const orders = new WorkOrderService(database.db, () => clock.now);
      const parts = new PartsService(database.db, orders, () => clock.now);
      const hooks = new WebhookService({
        db: database.db,
        orders,
        now: () => clock.now,
        maxAttempts: options.maxAttempts ?? 4,
        baseDelayMs: options.baseDelayMs ?? 10_000,
      });
      const off = hooks.listen(orders, parts);
      cleanup.push(async () => database.close());
      cleanup.push(() => receiver.stop());
      cleanup.push(async () => {
        off();
        await hooks.close();
      });
      const newOrder = (site = 'site-a') =>
        orders.create({
          source: 'manual',
          kind: 'corrective',
          site,
          building: 'b1',
          location: 'pump room',
          device: 'b1-pump-1',
          title: 'Seal leaking',
          problemType: 'pump_seal',
          priority: 2,
          actor: 'sam',
        });
      const log = async (hookId: number) => (await hooks.deliveries(ADMIN, hookId)).reverse();
      return { database, receiver, clock, orders, parts, hooks, newOrder, log };
    }

    it('delivers an order event as signed JSON the receiver can verify', async () => {
      const r = await rig();
      const hook = await r.hooks.create(ADMIN, {
        name: 'ops',
        url: `${r.receiver.url}/hooks/caretaker`,
        events: ['created', 'completed'],
        format: 'json',
        secret: SECRET,
      });
      const order = await r.newOrder();
      await r.hooks.idle();
      expect(r.receiver.requests).toHaveLength(1);
      const [req] = r.receiver.requests;
      if (!req) throw new Error('no request');
      expect(req.url).toBe('/hooks/caretaker');
      expect(req.headers['x-caretaker-event']).toBe('created');
      const payload = JSON.parse(req.body);
      expect(payload).toMatchObject({
        event: 'created',
        type: 'created',
        ts: T0,
        actor: 'sam',
        to: 'pending_acceptance',
        order: {
          id: order.id,
          code: order.code,
          site: 'site-a',
          device: 'b1-pump-1',
          status: 'pending_acceptance',
        },
      });
      // What a receiver does: HMAC-SHA256 over "<timestamp>.<raw body>" with the shared secret.
      const timestamp = req.headers['x-caretaker-timestamp'] as string;
      expect(timestamp).toBe(String(T0));
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${req.body}`).digest('hex')}`;
      expect(req.headers['x-caretaker-signature']).toBe(expected);
      const tampered = createHmac('sha256', SECRET).update(`${timestamp}.${req.body} `).digest('hex');
      expect(req.headers['x-caretaker-signature']).not.toBe(`sha256=${tampered}`);

      const [delivery] = await r.log(hook.id);
      expect(delivery).toMatchObject({
        event: 'created',
        order_id: order.id,
        status: 'delivered',
        attempts: 1,
        response_status: 200,
        delivered_at: T0,
        last_error: null,
      });
      expect(String(delivery?.id)).toBe(req.headers['x-caretaker-delivery']);
    });

    it('sends only what a subscription filters for, for its site, while it is active', async () => {
      const r = await rig();
      const completed = await r.hooks.create(ADMIN, {
        name: 'completed only',
        url: `${r.receiver.url}/completed`,
        events: ['completed'],
        format: 'json',
      });
      const siteB = await r.hooks.create(ADMIN, {
        name: 'site b',
        url: `${r.receiver.url}/site-b`,
        events: ['*'],
        format: 'json',
        site: 'site-b',
      });
      const paused = await r.hooks.create(ADMIN, {
        name: 'paused',
        url: `${r.receiver.url}/paused`,
        events: ['*'],
        format: 'json',
        active: false,
      });
      const order = await r.newOrder('site-a');
      await r.orders.transition(order.id, 'to_dispatch', 'sam');
      await r.orders.transition(order.id, 'in_repair', 'sam');
      await r.orders.transition(order.id, 'completed', 'tom');
      await r.hooks.idle();
      expect(r.receiver.requests.map((q) => q.url)).toEqual(['/completed']);
      expect(JSON.parse(r.receiver.requests[0]?.body ?? '{}')).toMatchObject({
        event: 'completed',
        from: 'in_repair',
        to: 'completed',
      });
      expect(await r.log(siteB.id)).toEqual([]);
      expect(await r.log(paused.id)).toEqual([]);
      expect(await r.log(completed.id)).toHaveLength(1);
      // An event type recorded by another module matches by its own name.
      await r.hooks.update(ADMIN, completed.id, { events: ['escalated'] });
      await r.orders.inTransaction((trx) =>
        r.orders.event(trx, order.id, T0, 'system', 'sla_escalated', null, null, { level: 1 }),
      );
      await r.hooks.idle();
      expect(r.receiver.requests.map((q) => q.headers['x-caretaker-event'])).toEqual([
        'completed',
        'escalated',
      ]);
    });

    it('retries after a 500 with exponential backoff and gives up after N attempts', async () => {
      const r = await rig({ maxAttempts: 3, baseDelayMs: 10_000 });
      const hook = await r.hooks.create(ADMIN, {
        name: 'flaky',
        url: `${r.receiver.url}/flaky`,
        events: ['created'],
        format: 'json',
      });
      r.receiver.answers.push({ status: 500, body: 'database down' });
      await r.newOrder();
      await r.hooks.idle();
      expect(r.receiver.requests).toHaveLength(1);
      let [d] = await r.log(hook.id);
      expect(d).toMatchObject({
        status: 'pending',
        attempts: 1,
        response_status: 500,
        last_error: 'HTTP 500: database down',
        next_attempt_at: T0 + 10_000,
      });
      r.clock.now = T0 + 9_999;
      await r.hooks.tick();
      expect(r.receiver.requests).toHaveLength(1);
      r.clock.now = T0 + 10_000;
      await r.hooks.tick();
      expect(r.receiver.requests).toHaveLength(2);
      [d] = await r.log(hook.id);
      expect(d).toMatchObject({ status: 'delivered', attempts: 2, response_status: 200, last_error: null });
      // Every retry sends the very same body.
      expect(r.receiver.requests[1]?.body).toBe(r.receiver.requests[0]?.body);

      // Down for good: attempts at +0, +10 s, +10 s + 20 s; then failed, never tried again.
      r.receiver.answers.push({ status: 503 }, { status: 502 }, { status: 500 }, { status: 500 });
      r.clock.now = T0 + 100_000;
      await r.newOrder();
      await r.hooks.idle();
      let [, second] = await r.log(hook.id);
      expect(second).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: T0 + 110_000 });
      r.clock.now = T0 + 110_000;
      await r.hooks.tick();
      [, second] = await r.log(hook.id);
      expect(second).toMatchObject({ status: 'pending', attempts: 2, next_attempt_at: T0 + 130_000 });
      r.clock.now = T0 + 130_000;
      await r.hooks.tick();
      [, second] = await r.log(hook.id);
      expect(second).toMatchObject({ status: 'failed', attempts: 3, response_status: 500 });
      r.clock.now = T0 + 10_000_000;
      await r.hooks.tick();
      expect(r.receiver.requests).toHaveLength(5);
      expect(await r.hooks.deliveries(ADMIN, hook.id, { status: 'failed' })).toHaveLength(1);
      // An administrator can send it once more.
      await r.hooks.retry(ADMIN, hook.id, second?.id ?? 0);
      await r.hooks.idle();
      expect(r.receiver.requests).toHaveLength(6);
    });

    it('never holds up the order change: an unreachable endpoint only fills the delivery log', async () => {
      const r = await rig();
      const closedPort = new Receiver();
      await closedPort.start();
      const deadUrl = `${closedPort.url}/gone`;
      await closedPort.stop();
      const hook = await r.hooks.create(ADMIN, { name: 'dead', url: deadUrl, events: ['*'], format: 'json' });
      const order = await r.newOrder();
      await r.orders.transition(order.id, 'to_dispatch', 'sam');
      expect((await r.orders.get(order.id))?.status).toBe('to_dispatch');
      await r.hooks.idle();
      const log = await r.log(hook.id);
      expect(log.map((d) => [d.event, d.status, d.attempts])).toEqual([
        ['created', 'pending', 1],
        ['accepted', 'pending', 1],
      ]);
      expect(log[0]?.last_error).toMatch(/ECONNREFUSED|connect/i);
    });

    it('speaks the WeCom and DingTalk bot formats, DingTalk signed in its query', async () => {
      const r = await rig();
      const wecom = await r.hooks.create(ADMIN, {
        name: 'wecom',
        url: `${r.receiver.url}/cgi-bin/webhook/send?key=abc`,
        events: ['created'],
        format: 'wecom',
      });
      const ding = await r.hooks.create(ADMIN, {
        name: 'dingtalk',
        url: `${r.receiver.url}/robot/send?access_token=xyz`,
        events: ['created'],
        format: 'dingtalk',
        secret: SECRET,
      });
      // WeCom answers 200 with its own error code for a bad key: that is a failure.
      r.receiver.answers.push({ status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' });
      const order = await r.newOrder();
      await r.hooks.idle();
      const byPath = (p: string) => r.receiver.requests.find((q) => q.url.startsWith(p));
      const wecomBody = JSON.parse(byPath('/cgi-bin/')?.body ?? '{}');
      expect(Object.keys(wecomBody)).toEqual(['msgtype', 'markdown']);
      expect(wecomBody.msgtype).toBe('markdown');
      expect(Object.keys(wecomBody.markdown)).toEqual(['content']);
      expect(wecomBody.markdown.content).toContain(`${order.code} 新工单 (created)`);
      expect(wecomBody.markdown.content).toContain('b1-pump-1');
      expect((await r.log(wecom.id))[0]).toMatchObject({
        status: 'pending',
        last_error: 'errcode 93000: invalid webhook url',
      });

      const dingReq = byPath('/robot/');
      const dingBody = JSON.parse(dingReq?.body ?? '{}');
      expect(dingBody.msgtype).toBe('markdown');
      expect(dingBody.markdown.title).toBe(`${order.code} 新工单`);
      expect(dingBody.markdown.text).toContain('Seal leaking');
      const query = new URL(dingReq?.url ?? '', 'http://x').searchParams;
      expect(query.get('access_token')).toBe('xyz');
      expect(query.get('timestamp')).toBe(String(T0));
      // DingTalk's check: base64 HMAC-SHA256 of "<timestamp>\n<secret>" keyed by the secret.
      const sign = createHmac('sha256', SECRET).update(`${T0}\n${SECRET}`).digest('base64');
      expect(query.get('sign')).toBe(sign);
      expect((await r.log(ding.id))[0]).toMatchObject({ status: 'delivered' });
    });

    it('sends low-stock alerts to the subscriptions of the store site', async () => {
      const r = await rig();
      const hook = await r.hooks.create(ADMIN, {
        name: 'stores',
        url: `${r.receiver.url}/stock`,
        events: ['low_stock'],
        format: 'json',
        site: 'site-a',
      });
      await r.parts.createPart(ADMIN, {
        part_no: 'SEAL-30',
        name: 'Mechanical seal 30 mm',
        unit: 'pcs',
        category: 'seal',
      });
      await r.parts.createStore(ADMIN, { code: 'A-MAIN', name: 'Main', site: 'site-a' });
      await r.parts.receive(ADMIN, { part: 'SEAL-30', store: 'A-MAIN', quantity: 3 });
      await r.parts.setMinimum(ADMIN, { part: 'SEAL-30', store: 'A-MAIN', min_quantity: 2 });
      await r.parts.adjust(ADMIN, {
        part: 'SEAL-30',
        store: 'A-MAIN',
        quantity: -2,
        reason: 'damaged in storage',
      });
      await r.parts.adjust(ADMIN, {
        part: 'SEAL-30',
        store: 'A-MAIN',
        quantity: -1,
        reason: 'damaged in storage',
      });
      await r.hooks.idle();
      expect(r.receiver.requests).toHaveLength(1);
      expect(JSON.parse(r.receiver.requests[0]?.body ?? '{}')).toMatchObject({
        event: 'low_stock',
        part: { part_no: 'SEAL-30' },
        store: { code: 'A-MAIN', site: 'site-a' },
        quantity: 1,
        min_quantity: 2,
      });
      expect(await r.log(hook.id)).toHaveLength(1);
    });

    it('lets only administrators manage webhooks, each on their sites', async () => {
      const r = await rig();
      const supervisor: Actor = { username: 'sam', role: 'supervisor', sites: ['site-a'] };
      const siteAdmin: Actor = { username: 'al', role: 'admin', sites: ['site-a'] };
      const input = { name: 'x', url: `${r.receiver.url}/x`, events: ['*'], format: 'json' as const };
      await expect(r.hooks.create(supervisor, input)).rejects.toThrow(/^role: /);
      await expect(r.hooks.create(siteAdmin, input)).rejects.toThrow(
        /^site: you may not subscribe to every site/,
      );
      const mine = await r.hooks.create(siteAdmin, { ...input, site: 'site-a' });
      const global = await r.hooks.create(ADMIN, input);
      expect((await r.hooks.list(siteAdmin)).map((h) => h.id)).toEqual([mine.id]);
      await expect(r.hooks.get(siteAdmin, global.id)).rejects.toBeInstanceOf(WebhookError);
      await expect(r.hooks.create(ADMIN, { ...input, format: 'wecom', secret: 'nope' })).rejects.toThrow(
        /^secret: WeCom/,
      );
      await r.hooks.remove(siteAdmin, mine.id);
      expect((await r.hooks.list(ADMIN)).map((h) => h.id)).toEqual([global.id]);
    });
  });
}
