import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../db/database.js';
import { type Actor, setActor } from '../people/actor.js';
import { LiveStateService } from '../services/live-state.service.js';
import { SqliteStore } from '../storage/sqlite.store.js';
import { OrderLifecycle } from '../workorders/order-lifecycle.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { loadWorkflow } from '../workorders/workflow.js';
import { createHttpApp } from './http-app.js';
import { publicReportRoutes, type ReportRateLimits, workOrderRoutes } from './work-order-routes.js';

/**
 * The work-order API on a real express server (createHttpApp, as the hub builds it) over a
 * real SQLite database. Authentication is a stand-in that knows a few actors by a header and
 * refuses everyone else, as the real one does outside the demo mode.
 */

const ACTORS: Record<string, Actor> = {
  sam: { username: 'sam', role: 'supervisor', sites: ['site-a'] },
  tom: { username: 'tom', role: 'technician', sites: ['site-a'] },
  rob: { username: 'rob', role: 'requester', sites: ['site-a'] },
  rita: { username: 'rita', role: 'reviewer', sites: ['site-a'] },
  vic: { username: 'vic', role: 'viewer', sites: ['site-a'] },
  sid: { username: 'sid', role: 'supervisor', sites: ['site-b'] },
};

const dir = mkdtempSync(join(tmpdir(), 'caretaker-wo-http-'));
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface TestApp {
  url: string;
  lifecycle: OrderLifecycle;
  database: OpenDatabase;
  /** fetch as a named actor (none: a stranger). */
  as(who: string | null, path: string, init?: RequestInit): Promise<Response>;
}

let apps = 0;
async function startApp(
  opts: { limits?: ReportRateLimits; maxAttachmentBytes?: number } = {},
): Promise<TestApp> {
  apps += 1;
  const base = join(dir, `app-${apps}`);
  const database = await openDatabase({ kind: 'sqlite', path: join(base, 'caretaker.db') });
  const live = new LiveStateService();
  live.restore([
    { site: 'site-a', gateway: 'gw-a', device: 'pump-1', device_type: 'pump', latest: [] },
    { site: 'site-a', gateway: 'gw-a', device: 'pump-3', device_type: 'pump', latest: [] },
    { site: 'site-b', gateway: 'gw-b', device: 'pump-b', device_type: 'pump', latest: [] },
  ]);
  const store = new SqliteStore(join(base, 'readings.db'));
  await store.init();
  const orders = new WorkOrderService(database.db);
  const lifecycle = new OrderLifecycle({
    db: database.db,
    orders,
    workflow: loadWorkflow(),
    dataDir: base,
    deviceSite: (device) => live.siteOf(device),
    ...(opts.maxAttachmentBytes ? { maxAttachmentBytes: opts.maxAttachmentBytes } : {}),
  });
  const authenticate: express.RequestHandler = (req, res, next) => {
    const actor = ACTORS[req.get('x-test-user') ?? ''];
    if (!actor) {
      res.status(401).json({ error: 'authentication required' });
      return;
    }
    setActor(req, actor);
    next();
  };
  const app = createHttpApp({
    live,
    store,
    health: async () => {
      throw new Error('not used here');
    },
    gateways: () => ({ gateways: [] }),
    dashboardDir: join(base, 'no-dashboard'),
    authenticate,
    apiRoutes: [workOrderRoutes({ orders, lifecycle })],
    publicRoutes: [publicReportRoutes({ lifecycle, ...(opts.limits ? { limits: opts.limits } : {}) })],
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await database.close();
  });
  return {
    url,
    lifecycle,
    database,
    as: (who, path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { ...(who ? { 'x-test-user': who } : {}), ...(init.headers as Record<string, string>) },
      }),
  };
}

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

const manual = {
  site: 'site-a',
  building: 'B1',
  location: 'pump room, basement 2',
  device: 'pump-1',
  problem_type: 'pump_noise',
  priority: 3,
  title: 'Booster pump grinding',
  description: 'loud grinding since this morning',
};

interface OrderJson {
  id: number;
  status: string;
  site: string;
  requester: string;
  source: string;
  assignee: string | null;
}

describe('work-order API', () => {
  let t: TestApp;
  let png: Buffer;
  beforeAll(async () => {
    t = await startApp();
    png = await QRCode.toBuffer('evidence photo', { type: 'png' });
  });

  async function create(who: string, body: Record<string, unknown> = manual): Promise<OrderJson> {
    const res = await t.as(who, '/api/work-orders', post(body));
    expect(res.status).toBe(201);
    return ((await res.json()) as { work_order: OrderJson }).work_order;
  }

  it('validates manual orders and list queries, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...manual, priority: 9 }, /^priority: /],
      [{ ...manual, title: undefined }, /^title: /],
      [{ ...manual, title: '   ' }, /^title: must not be empty/],
      [{ ...manual, site: 'a/b' }, /^site: /],
      [{ ...manual, colour: 'red' }, /^colour: not taken by a manual order$/],
    ];
    for (const [body, message] of cases) {
      const res = await t.as('rob', '/api/work-orders', post(body));
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatch(message);
    }
    const broken = await t.as('rob', '/api/work-orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"site":',
    });
    expect(broken.status).toBe(400);
    expect(await errorOf(broken)).toMatch(/^body: not valid JSON/);
    for (const [query, message] of [
      ['status=fixed', /^status\.0: /],
      ['priority=urgent', /^priority: /],
      ['overdue=yes', /^overdue: /],
      ['colour=red', /^colour: not taken by this list$/],
    ] as const) {
      const res = await t.as('sam', `/api/work-orders?${query}`);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatch(message);
    }
    expect((await t.as(null, '/api/work-orders')).status).toBe(401);
  });

  it("scopes reads and changes to the actor's sites", async () => {
    const a = await create('rob');
    expect(a).toMatchObject({
      site: 'site-a',
      requester: 'rob',
      source: 'manual',
      status: 'pending_acceptance',
    });
    const b = await create('sid', { ...manual, site: 'site-b', device: 'pump-b' });
    const viewer = await t.as('vic', '/api/work-orders', post(manual));
    expect(viewer.status).toBe(403);
    expect(await errorOf(viewer)).toMatch(/role viewer may not create/);
    const elsewhere = await t.as('rob', '/api/work-orders', post({ ...manual, site: 'site-b' }));
    expect(elsewhere.status).toBe(403);
    expect(await errorOf(elsewhere)).toBe("site: site-b is not one of rob's sites");

    const list = async (who: string, query = '') => {
      const res = await t.as(who, `/api/work-orders${query}`);
      expect(res.status).toBe(200);
      return (await res.json()) as { work_orders: OrderJson[]; total: number };
    };
    expect((await list('tom')).work_orders.map((o) => o.id)).toContain(a.id);
    expect((await list('tom')).work_orders.map((o) => o.id)).not.toContain(b.id);
    expect((await list('sid')).work_orders.map((o) => o.id)).toEqual([b.id]);
    const foreign = await t.as('tom', '/api/work-orders?site=site-b');
    expect(foreign.status).toBe(403);
    expect(await errorOf(foreign)).toMatch(/^site: site-b/);
    expect((await t.as('tom', `/api/work-orders/${b.id}`)).status).toBe(403);
    const act = await t.as('sam', `/api/work-orders/${b.id}/actions/accept`, post({}));
    expect(act.status).toBe(403);
    expect(await errorOf(act)).toMatch(/^site: site-b is not one of sam's sites/);
  });

  it('takes actions with the right role, refuses the wrong role (403) and status (409), shows what each may do', async () => {
    const order = await create('rob');
    const detail = async (who: string) =>
      (await (await t.as(who, `/api/work-orders/${order.id}`)).json()) as {
        actions_allowed: string[];
        events: Array<{
          type: string;
          actor: string;
          from_status: string;
          to_status: string;
          detail: unknown;
        }>;
        assignees: Array<{ username: string; role: string }>;
      };
    expect((await detail('sam')).actions_allowed).toEqual(['accept', 'cancel']);
    expect((await detail('rob')).actions_allowed).toEqual(['cancel']);
    expect((await detail('vic')).actions_allowed).toEqual([]);

    const wrongRole = await t.as('tom', `/api/work-orders/${order.id}/actions/accept`, post({}));
    expect(wrongRole.status).toBe(403);
    expect(await errorOf(wrongRole)).toMatch(/^role technician may not accept/);
    const accepted = await t.as(
      'sam',
      `/api/work-orders/${order.id}/actions/accept`,
      post({ note: 'on it' }),
    );
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { work_order: OrderJson }).work_order.status).toBe('to_dispatch');
    const again = await t.as('sam', `/api/work-orders/${order.id}/actions/accept`, post({}));
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatch(
      /^accept: WO-\d+ is to_dispatch; accept applies to pending_acceptance$/,
    );
    const noBody = await t.as('sam', `/api/work-orders/${order.id}/actions/dispatch`, post({}));
    expect(noBody.status).toBe(400);
    expect(await errorOf(noBody)).toMatch(/^assignee: /);
    const unknown = await t.as('sam', `/api/work-orders/${order.id}/actions/explode`, post({}));
    expect(unknown.status).toBe(404);
    const grabbed = await t.as('tom', `/api/work-orders/${order.id}/actions/grab`, post({}));
    expect(((await grabbed.json()) as { work_order: OrderJson }).work_order).toMatchObject({
      status: 'in_repair',
      assignee: 'tom',
    });

    const seen = await detail('tom');
    expect(seen.actions_allowed).toEqual(['submit_for_check', 'request_assistance', 'request_defer']);
    expect(seen.assignees).toMatchObject([{ username: 'tom', role: 'primary' }]);
    expect(seen.events.map((e) => [e.type, e.actor, e.from_status, e.to_status])).toEqual([
      ['created', 'rob', null, 'pending_acceptance'],
      ['accept', 'sam', 'pending_acceptance', 'to_dispatch'],
      ['grab', 'tom', 'to_dispatch', 'in_repair'],
    ]);
    expect(seen.events[1]?.detail).toEqual({ note: 'on it' });

    const workflow = (await (await t.as('vic', '/api/workflow')).json()) as {
      statuses: string[];
      actions: Array<{ name: string }>;
    };
    expect(workflow.statuses).toContain('deferred');
    expect(workflow.actions.map((a) => a.name)).toContain('approve_defer');
  });

  it('filters by assignee, status, source and overdue, with paging', async () => {
    const order = await create('rob', { ...manual, title: 'paging test' });
    await t.as('sam', `/api/work-orders/${order.id}/actions/accept`, post({}));
    await t.as('sam', `/api/work-orders/${order.id}/actions/dispatch`, post({ assignee: 'tom' }));
    const res = await t.as(
      'sam',
      '/api/work-orders?assignee=tom&status=in_repair,awaiting_check&source=manual',
    );
    const body = (await res.json()) as {
      work_orders: OrderJson[];
      total: number;
      limit: number;
      offset: number;
    };
    expect(body.work_orders.every((o) => o.assignee === 'tom' && o.status === 'in_repair')).toBe(true);
    expect(body.work_orders.map((o) => o.id)).toContain(order.id);
    const page = (await (await t.as('sam', '/api/work-orders?limit=1&offset=1')).json()) as typeof body;
    expect(page.work_orders).toHaveLength(1);
    expect(page.total).toBeGreaterThan(1);
    expect({ limit: page.limit, offset: page.offset }).toEqual({ limit: 1, offset: 1 });
    await t.database.db
      .updateTable('work_orders')
      .set({ completion_due_at: Date.now() - 60_000 })
      .where('id', '=', order.id)
      .execute();
    const overdue = (await (await t.as('sam', '/api/work-orders?overdue=true')).json()) as typeof body;
    expect(overdue.work_orders.map((o) => o.id)).toEqual([order.id]);
  });

  it('takes photos: type from the bytes, size limit, site and role checks, download', async () => {
    const order = await create('rob');
    const upload = (who: string, blob: Blob, name: string, field = 'file') => {
      const form = new FormData();
      form.append(field, blob, name);
      return t.as(who, `/api/work-orders/${order.id}/attachments`, { method: 'POST', body: form });
    };
    const ok = await upload('tom', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'before.png');
    expect(ok.status).toBe(201);
    const { attachment } = (await ok.json()) as {
      attachment: { id: number; content_type: string; size: number };
    };
    expect(attachment).toMatchObject({ content_type: 'image/png', size: png.length });
    expect(attachment).not.toHaveProperty('storage_key');

    // A script named like a photo is refused by what it is.
    const fake = await upload('tom', new Blob(['<script>alert(1)</script>'], { type: 'image/png' }), 'x.png');
    expect(fake.status).toBe(415);
    expect(await errorOf(fake)).toBe('file: must be a JPEG, PNG or WebP image');
    const wrongField = await upload('tom', new Blob([new Uint8Array(png)]), 'a.png', 'photo');
    expect(wrongField.status).toBe(400);
    expect(await errorOf(wrongField)).toMatch(/^photo: expected one file, in the field "file"/);
    const none = await t.as('tom', `/api/work-orders/${order.id}/attachments`, post({}));
    expect(none.status).toBe(400);
    expect(await errorOf(none)).toMatch(/^file: required/);
    const viewer = await upload('vic', new Blob([new Uint8Array(png)]), 'v.png');
    expect(viewer.status).toBe(403);
    expect((await upload('sid', new Blob([new Uint8Array(png)]), 's.png')).status).toBe(403);

    const download = await t.as('rita', `/api/work-orders/${order.id}/attachments/${attachment.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);
    expect((await t.as('sid', `/api/work-orders/${order.id}/attachments/${attachment.id}`)).status).toBe(403);
    expect((await t.as('rita', `/api/work-orders/${order.id}/attachments/999`)).status).toBe(404);

    const detail = (await (await t.as('rob', `/api/work-orders/${order.id}`)).json()) as {
      attachments: Array<{ id: number }>;
      events: Array<{ type: string }>;
    };
    expect(detail.attachments.map((a) => a.id)).toEqual([attachment.id]);
    expect(detail.events.map((e) => e.type)).toEqual(['created', 'attachment_added']);
  });

  it('refuses a photo over the size limit with 413', async () => {
    const small = await startApp({ maxAttachmentBytes: 64 * 1024 });
    const order = await (await small.as('rob', '/api/work-orders', post(manual))).json();
    const big = Buffer.concat([png, Buffer.alloc(70 * 1024)]);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(big)], { type: 'image/png' }), 'big.png');
    const res = await small.as(
      'tom',
      `/api/work-orders/${(order as { work_order: OrderJson }).work_order.id}/attachments`,
      {
        method: 'POST',
        body: form,
      },
    );
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toBe('file: larger than 64 KB');
  });

  it('prints a signed QR code per device, and only for devices of the actor sites', async () => {
    const svg = await t.as('sam', '/api/devices/pump-1/qr.svg');
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await svg.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const url = svg.headers.get('x-report-url') ?? '';
    expect(url).toBe(`${t.url}/r/pump-1?s=${t.lifecycle.qrSigner.sign('pump-1')}`);
    const pngRes = await t.as('sam', '/api/devices/pump-1/qr.png');
    expect(pngRes.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await pngRes.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await t.as('sam', '/api/devices/pump-b/qr.svg')).status).toBe(403);
    expect((await t.as('sam', '/api/devices/pump-9/qr.svg')).status).toBe(404);
    expect((await t.as(null, '/api/devices/pump-1/qr.svg')).status).toBe(401);

    // The code's page needs no login, in the reader's language.
    const zh = await fetch(url, { headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' } });
    expect(zh.status).toBe(200);
    const zhPage = await zh.text();
    expect(zhPage).toContain('设备报修');
    expect(zhPage).toContain('name="device" value="pump-1"');
    expect(zh.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const en = await fetch(url, { headers: { 'accept-language': 'en-GB,en;q=0.8' } });
    expect(await en.text()).toContain('Report a fault');
    expect(en.headers.get('content-language')).toBe('en');
  });

  it('refuses forged codes: a made-up signature, or one of another device', async () => {
    const forged = await fetch(`${t.url}/r/pump-1?s=AAAAAAAAAAAAAAAAAAAAAA`, {
      headers: { 'accept-language': 'en' },
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This code is not valid');
    const borrowed = await fetch(`${t.url}/r/pump-b?s=${t.lifecycle.qrSigner.sign('pump-1')}`);
    expect(borrowed.status).toBe(403);
    const report = await fetch(
      `${t.url}/api/public/reports`,
      post({
        device: 'pump-b',
        s: t.lifecycle.qrSigner.sign('pump-1'),
        name: 'A',
        phone: '13800000000',
        description: 'x',
      }),
    );
    expect(report.status).toBe(403);
    expect(await errorOf(report)).toMatch(/^s: not a valid code for this device/);
  });

  it('takes a report without login, and a reviewer makes it an order with its photo', async () => {
    const s = t.lifecycle.qrSigner.sign('pump-3');
    const bad = await fetch(
      `${t.url}/api/public/reports`,
      post({ device: 'pump-3', s, name: 'Li', phone: 'call me', description: 'leak' }),
    );
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatch(/^phone: /);

    // What the page's form sends: multipart with a photo, and a page comes back.
    const form = new FormData();
    for (const [k, v] of Object.entries({ device: 'pump-3', s, name: '李伟', phone: '+86 138 0000 0000' })) {
      form.append(k, v);
    }
    form.append('description', '泵房地面有水');
    form.append('photo', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'leak.png');
    const sent = await fetch(`${t.url}/api/public/reports`, {
      method: 'POST',
      body: form,
      headers: { accept: 'text/html', 'accept-language': 'zh-CN' },
    });
    expect(sent.status).toBe(201);
    const thanks = await sent.text();
    expect(thanks).toContain('已收到您的报修');
    const reportId = Number(/<strong>(\d+)<\/strong>/.exec(thanks)?.[1]);

    const listed = (await (await t.as('rita', '/api/qr-reports?status=pending')).json()) as {
      qr_reports: Array<{ id: number; has_photo: boolean; reporter_name: string }>;
    };
    expect(listed.qr_reports).toContainEqual(
      expect.objectContaining({ id: reportId, has_photo: true, reporter_name: '李伟' }),
    );
    expect((await t.as('tom', '/api/qr-reports')).status).toBe(403);
    const photo = await t.as('rita', `/api/qr-reports/${reportId}/photo`);
    expect(Buffer.from(await photo.arrayBuffer()).equals(png)).toBe(true);

    const badApprove = await t.as('rita', `/api/qr-reports/${reportId}/approve`, post({ priority: 0 }));
    expect(badApprove.status).toBe(400);
    expect(await errorOf(badApprove)).toMatch(/^priority: /);
    const approved = await t.as(
      'rita',
      `/api/qr-reports/${reportId}/approve`,
      post({ problem_type: 'pump_leak' }),
    );
    expect(approved.status).toBe(201);
    const { work_order } = (await approved.json()) as { work_order: OrderJson };
    expect(work_order).toMatchObject({ source: 'qr', requester: '李伟', status: 'pending_acceptance' });
    const detail = (await (await t.as('sam', `/api/work-orders/${work_order.id}`)).json()) as {
      attachments: Array<{ id: number; content_type: string }>;
    };
    expect(detail.attachments).toHaveLength(1);
    const file = await t.as(
      'sam',
      `/api/work-orders/${work_order.id}/attachments/${detail.attachments[0]?.id}`,
    );
    expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);
    const twice = await t.as('rita', `/api/qr-reports/${reportId}/approve`, post({}));
    expect(twice.status).toBe(409);

    const other = (await (
      await fetch(
        `${t.url}/api/public/reports`,
        post({ device: 'pump-3', s, name: 'Li', phone: '13800000000', description: 'same' }),
      )
    ).json()) as { id: number };
    const noReason = await t.as('sam', `/api/qr-reports/${other.id}/reject`, post({}));
    expect(noReason.status).toBe(400);
    expect(await errorOf(noReason)).toMatch(/^reason: /);
    const rejected = await t.as('sam', `/api/qr-reports/${other.id}/reject`, post({ reason: 'duplicate' }));
    expect(((await rejected.json()) as { qr_report: { status: string } }).qr_report.status).toBe('rejected');
  });
});

describe('public report rate limits', () => {
  const report = (t: TestApp, device: string, s: string) =>
    fetch(
      `${t.url}/api/public/reports`,
      post({ device, s, name: 'Li', phone: '13800000000', description: 'noise' }),
    );

  it('limits reports per client address', async () => {
    const t = await startApp({
      limits: { perIp: { windowMs: 60_000, limit: 3 }, perDevice: { windowMs: 60_000, limit: 100 } },
    });
    const s = t.lifecycle.qrSigner.sign('pump-1');
    expect((await report(t, 'pump-1', s)).status).toBe(201);
    expect((await report(t, 'pump-1', 'forged')).status).toBe(403);
    expect((await report(t, 'pump-3', t.lifecycle.qrSigner.sign('pump-3'))).status).toBe(201);
    const fourth = await report(t, 'pump-3', t.lifecycle.qrSigner.sign('pump-3'));
    expect(fourth.status).toBe(429);
    expect(await errorOf(fourth)).toMatch(/too many reports/);
    expect(fourth.headers.get('ratelimit-policy')).toMatch(/q=3/);
  });

  it('limits reports per device, counting only valid codes', async () => {
    const t = await startApp({
      limits: { perIp: { windowMs: 60_000, limit: 100 }, perDevice: { windowMs: 60_000, limit: 2 } },
    });
    const s = t.lifecycle.qrSigner.sign('pump-1');
    // Forged requests naming the device do not use up its allowance.
    for (let i = 0; i < 3; i += 1) expect((await report(t, 'pump-1', 'forged-signature')).status).toBe(403);
    expect((await report(t, 'pump-1', s)).status).toBe(201);
    expect((await report(t, 'pump-1', s)).status).toBe(201);
    expect((await report(t, 'pump-1', s)).status).toBe(429);
    // Another device still reports.
    expect((await report(t, 'pump-3', t.lifecycle.qrSigner.sign('pump-3'))).status).toBe(201);
    const stored = await t.database.db.selectFrom('qr_reports').select('device').execute();
    expect(stored.map((r) => r.device)).toEqual(['pump-1', 'pump-1', 'pump-3']);
  });
});
