import type { Logger } from '@caretaker/protocol/log';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { LowStockNotice, PartsService } from '../parts/parts.service.js';
import { type Actor, canSeeSite } from '../people/actor.js';
import { may } from '../people/permissions.js';
import type { OrderEventNotice, WorkOrderService } from '../workorders/work-order.service.js';
import type { DeliveryRow, DeliveryStatus, WebhookFormat, WebhookRow } from './schema.js';
import {
  dingtalkSignedUrl,
  jsonSignature,
  matchesFilter,
  orderEventNames,
  renderBody,
  type WebhookMessage,
} from './webhook-format.js';

/** A refused request: `status` is the HTTP answer, the message starts with the field. */
export class WebhookError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface NewWebhook {
  name: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  secret?: string | null;
  site?: string | null;
  active?: boolean;
}
export type WebhookPatch = Partial<NewWebhook>;

export interface WebhookServiceOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  now?: () => number;
  log?: Logger;
  /** Attempts before a delivery is given up (the first one included). */
  maxAttempts?: number;
  /** Wait after the first failure; doubles after each next one, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** One attempt's time limit. */
  timeoutMs?: number;
  /** Deliveries taken per round. */
  batch?: number;
  /** Time zone of the times in chat messages. */
  zone?: string;
}

/**
 * Webhooks on order events and low-stock alerts. A listener (called after the change has
 * committed) only queues: one delivery row per matching subscription, with the exact body to
 * send, in the database. A worker (`tick`, every second from the hub's sweeper, and at once
 * after a queueing) sends what is due, signs at send time, and on a failure retries with
 * exponential backoff until `maxAttempts`; every attempt's outcome is in the delivery log. An
 * attempt first pushes the row's next time ahead (a lease), so a crash mid-send retries later
 * and two hubs on one PostgreSQL never send the same delivery twice at once.
 */
export class WebhookService {
  private readonly db: Kysely<Database>;
  private readonly orders: WorkOrderService;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly batch: number;
  private readonly zone: string;
  private readonly pending = new Set<Promise<unknown>>();
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(private readonly opts: WebhookServiceOptions) {
    this.db = opts.db;
    this.orders = opts.orders;
    this.now = opts.now ?? Date.now;
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.baseDelayMs = opts.baseDelayMs ?? 30_000;
    this.maxDelayMs = opts.maxDelayMs ?? 6 * 3_600_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.batch = opts.batch ?? 50;
    this.zone = opts.zone ?? 'Asia/Shanghai';
  }

  /** Queues deliveries for every order event and new low-stock alert; returns the unsubscriber. */
  listen(orders: WorkOrderService, parts?: PartsService): () => void {
    const offOrders = orders.onEvent((notice) => this.track(this.enqueueOrderEvent(notice)));
    const offParts = parts?.onLowStock((notice) => this.track(this.enqueueLowStock(notice)));
    return () => {
      offOrders();
      offParts?.();
    };
  }

  // --- subscriptions ---

  async create(actor: Actor, input: NewWebhook): Promise<WebhookRow> {
    this.requireManage(actor, input.site ?? null);
    if (input.format === 'wecom' && input.secret) {
      throw new WebhookError(
        400,
        'secret: WeCom group bots are not signed (the key in the url is the secret)',
      );
    }
    const ts = this.now();
    const row = await this.db
      .insertInto('webhooks')
      .values({
        name: input.name,
        url: input.url,
        events: JSON.stringify(input.events),
        format: input.format,
        secret: input.secret ?? null,
        site: input.site ?? null,
        active: input.active === false ? 0 : 1,
        created_by: actor.username,
        created_at: ts,
        updated_at: ts,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return this.get(actor, Number(row.id));
  }

  async update(actor: Actor, id: number, patch: WebhookPatch): Promise<WebhookRow> {
    const current = await this.get(actor, id);
    const site = patch.site !== undefined ? patch.site : current.site;
    this.requireManage(actor, site);
    const format = patch.format ?? current.format;
    const secret = patch.secret !== undefined ? patch.secret : current.secret;
    if (format === 'wecom' && secret) {
      throw new WebhookError(
        400,
        'secret: WeCom group bots are not signed (the key in the url is the secret)',
      );
    }
    const values: Record<string, unknown> = { updated_at: this.now() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.url !== undefined) values.url = patch.url;
    if (patch.events !== undefined) values.events = JSON.stringify(patch.events);
    if (patch.format !== undefined) values.format = patch.format;
    if (patch.secret !== undefined) values.secret = patch.secret;
    if (patch.site !== undefined) values.site = patch.site;
    if (patch.active !== undefined) values.active = patch.active ? 1 : 0;
    await this.db.updateTable('webhooks').set(values).where('id', '=', id).execute();
    return this.get(actor, id);
  }

  async remove(actor: Actor, id: number): Promise<void> {
    const current = await this.get(actor, id);
    this.requireManage(actor, current.site);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
    });
  }

  async list(actor: Actor): Promise<WebhookRow[]> {
    this.requireManage(actor, undefined);
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('id').execute();
    return rows.filter((w) => this.sees(actor, w));
  }

  async get(actor: Actor, id: number): Promise<WebhookRow> {
    this.requireManage(actor, undefined);
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !this.sees(actor, row)) throw new WebhookError(404, `id: no webhook ${id}`);
    return row;
  }

  async deliveries(
    actor: Actor,
    id: number,
    filter: { status?: DeliveryStatus; limit?: number } = {},
  ): Promise<DeliveryRow[]> {
    await this.get(actor, id);
    let q = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id);
    if (filter.status) q = q.where('status', '=', filter.status);
    return q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
  }

  /** Queues a test message, whatever the subscription's filter. */
  async ping(actor: Actor, id: number): Promise<number> {
    const hook = await this.get(actor, id);
    const ts = this.now();
    const message: WebhookMessage = {
      kind: 'ping',
      event: 'ping',
      ts,
      webhook: { id: hook.id, name: hook.name },
    };
    const [deliveryId] = await this.insertDeliveries([hook], message, null, ts);
    this.kick();
    return deliveryId as number;
  }

  /** Sends a failed delivery again (its attempts start over). */
  async retry(actor: Actor, id: number, deliveryId: number): Promise<DeliveryRow> {
    await this.get(actor, id);
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: this.now() })
      .where('id', '=', deliveryId)
      .where('webhook_id', '=', id)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new WebhookError(409, `delivery: ${deliveryId} is not a failed delivery of webhook ${id}`);
    }
    this.kick();
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', deliveryId)
      .executeTakeFirstOrThrow();
  }

  // --- queueing ---

  /** One delivery per active subscription of the order's site whose filter matches; returns their ids. */
  async enqueueOrderEvent(notice: OrderEventNotice): Promise<number[]> {
    const names = orderEventNames(notice);
    const order = await this.orders.get(notice.orderId);
    if (!order) return [];
    const hooks = (await this.activeHooks(order.site)).filter((h) =>
      matchesFilter(JSON.parse(h.events), names),
    );
    if (hooks.length === 0) return [];
    const message: WebhookMessage = { kind: 'order', event: names[0] as string, notice, order };
    const ids = await this.insertDeliveries(hooks, message, order.id, this.now());
    this.kick();
    return ids;
  }

  async enqueueLowStock(notice: LowStockNotice): Promise<number[]> {
    const hooks = (await this.activeHooks(notice.store.site)).filter((h) =>
      matchesFilter(JSON.parse(h.events), ['low_stock']),
    );
    if (hooks.length === 0) return [];
    const ids = await this.insertDeliveries(
      hooks,
      { kind: 'low_stock', event: 'low_stock', notice },
      null,
      this.now(),
    );
    this.kick();
    return ids;
  }

  private async activeHooks(site: string): Promise<WebhookRow[]> {
    return this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('active', '=', 1)
      .where((eb) => eb.or([eb('site', 'is', null), eb('site', '=', site)]))
      .orderBy('id')
      .execute();
  }

  private async insertDeliveries(
    hooks: readonly WebhookRow[],
    message: WebhookMessage,
    orderId: number | null,
    ts: number,
  ): Promise<number[]> {
    const rows = await this.db
      .insertInto('webhook_deliveries')
      .values(
        hooks.map((hook) => ({
          webhook_id: hook.id,
          event: message.event,
          order_id: orderId,
          body: renderBody(hook.format, message, this.zone),
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: ts,
          created_at: ts,
        })),
      )
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  // --- the worker ---

  /**
   * Sends every delivery that is due (a round; another one follows at once if more was queued
   * meanwhile). Cheap when nothing is due: one indexed query. Never throws.
   */
  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.closed);
      } catch (err) {
        this.opts.log?.error({ err }, 'webhook worker round failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Resolves when everything queued so far has been queued and the worker is at rest. */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.running) {
      await Promise.allSettled([...this.pending]);
      if (this.running) await this.running;
    }
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
  }

  private kick(): void {
    this.track(this.tick());
  }

  private track(promise: Promise<unknown>): void {
    const p = promise.catch((err: unknown) => this.opts.log?.error({ err }, 'webhook queueing failed'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async round(): Promise<void> {
    const now = this.now();
    const due = await this.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhooks', 'webhooks.id', 'webhook_deliveries.webhook_id')
      .selectAll('webhook_deliveries')
      .select(['webhooks.url', 'webhooks.format', 'webhooks.secret'])
      .where('webhook_deliveries.status', '=', 'pending')
      .where('webhook_deliveries.next_attempt_at', '<=', now)
      .where('webhooks.active', '=', 1)
      .orderBy('webhook_deliveries.next_attempt_at')
      .orderBy('webhook_deliveries.id')
      .limit(this.batch)
      .execute();
    // In order per subscription, subscriptions side by side: a slow endpoint delays only its own.
    const byHook = new Map<number, typeof due>();
    for (const d of due) byHook.set(d.webhook_id, [...(byHook.get(d.webhook_id) ?? []), d]);
    await Promise.all(
      [...byHook.values()].map(async (list) => {
        for (const delivery of list) {
          if (!(await this.attempt(delivery))) break;
        }
      }),
    );
  }

  /** One attempt; true if delivered (or someone else holds it). */
  private async attempt(
    d: DeliveryRow & { url: string; format: WebhookFormat; secret: string | null },
  ): Promise<boolean> {
    const start = this.now();
    const claimed = await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: start + this.timeoutMs + 60_000 })
      .where('id', '=', d.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', d.next_attempt_at)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return true;

    const outcome = await this.send(d, start);
    const attempts = d.attempts + 1;
    if (outcome.ok) {
      await this.db
        .updateTable('webhook_deliveries')
        .set({
          status: 'delivered',
          attempts,
          last_attempt_at: start,
          delivered_at: this.now(),
          response_status: outcome.status,
          last_error: null,
        })
        .where('id', '=', d.id)
        .execute();
      return true;
    }
    const giveUp = attempts >= this.maxAttempts;
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: giveUp ? 'failed' : 'pending',
        attempts,
        last_attempt_at: start,
        next_attempt_at: giveUp ? start : start + Math.max(backoff, outcome.retryAfterMs ?? 0),
        response_status: outcome.status,
        last_error: outcome.error,
      })
      .where('id', '=', d.id)
      .execute();
    this.opts.log?.warn(
      { delivery: d.id, webhook: d.webhook_id, attempts, error: outcome.error, gave_up: giveUp },
      'webhook delivery failed',
    );
    return false;
  }

  private async send(
    d: DeliveryRow & { url: string; format: WebhookFormat; secret: string | null },
    ts: number,
  ): Promise<{ ok: boolean; status: number | null; error: string | null; retryAfterMs?: number }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Caretaker-Webhooks/1',
      'x-caretaker-event': d.event,
      'x-caretaker-delivery': String(d.id),
    };
    let url = d.url;
    if (d.secret && d.format === 'json') {
      headers['x-caretaker-timestamp'] = String(ts);
      headers['x-caretaker-signature'] = jsonSignature(d.secret, ts, d.body);
    }
    if (d.secret && d.format === 'dingtalk') url = dingtalkSignedUrl(url, d.secret, ts);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: d.body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = (await res.text()).slice(0, 2000);
      if (!res.ok) {
        const retryAfter = Number(res.headers.get('retry-after'));
        return {
          ok: false,
          status: res.status,
          error: `HTTP ${res.status}: ${text.slice(0, 300)}`,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        };
      }
      // The chat bots answer 200 with an error code of their own (a bad key, a rate limit).
      if (d.format !== 'json') {
        const answer = parseJson(text) as { errcode?: unknown; errmsg?: unknown } | null;
        if (answer && typeof answer.errcode === 'number' && answer.errcode !== 0) {
          return {
            ok: false,
            status: res.status,
            error: `errcode ${answer.errcode}: ${String(answer.errmsg ?? '')}`,
          };
        }
      }
      return { ok: true, status: res.status, error: null };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.message ?? e.message);
      return { ok: false, status: null, error: why };
    }
  }

  // --- rules ---

  /** Managing webhooks is the administrators' (permission webhooks.manage), on their sites. */
  private requireManage(actor: Actor, site: string | null | undefined): void {
    if (!may(actor, 'webhooks.manage'))
      throw new WebhookError(403, `role: a ${actor.role} may not manage webhooks`);
    if (site === undefined) return;
    if (site === null ? actor.sites !== 'all' : !canSeeSite(actor, site)) {
      throw new WebhookError(
        403,
        `site: you may not subscribe to ${site === null ? 'every site' : `site ${site}`}`,
      );
    }
  }

  private sees(actor: Actor, hook: WebhookRow): boolean {
    return hook.site === null ? actor.sites === 'all' : canSeeSite(actor, hook.site);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
