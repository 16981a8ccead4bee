import { idSchema } from '@caretaker/protocol';
import express, { type Response } from 'express';
import { z } from 'zod';
import { sendError } from '../http/errors.js';
import { actorRoute, parseOr400 } from '../http/route-helpers.js';
import { WEBHOOK_FORMATS, type WebhookRow } from './schema.js';
import { WebhookError, type WebhookService } from './webhook.service.js';

/** Webhook subscriptions and their delivery log over HTTP (administrators). */
export interface WebhookRoutesDeps {
  webhooks: WebhookService;
}

const eventName = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_]{0,39})$/, 'must be an event name (created, completed, low_stock, ...) or *');
const urlSchema = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000);
const secretSchema = z.string().min(16, 'must be at least 16 characters').max(200);

export const webhookBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    url: urlSchema,
    events: z.array(eventName).min(1).max(50),
    format: z.enum(WEBHOOK_FORMATS).default('json'),
    secret: secretSchema.nullable().optional(),
    site: idSchema.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict();
export const webhookPatch = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    url: urlSchema,
    events: z.array(eventName).min(1).max(50),
    format: z.enum(WEBHOOK_FORMATS),
    secret: secretSchema.nullable(),
    site: idSchema.nullable(),
    active: z.boolean(),
  })
  .partial()
  .strict();
export const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * A subscription as the API shows it: never its secret, and the URL's query values shortened
 * (a WeCom or DingTalk robot's key is in its URL and works as a password).
 */
export function presentWebhook(w: WebhookRow) {
  let url = w.url;
  try {
    const parsed = new URL(w.url);
    for (const [key, value] of [...parsed.searchParams]) {
      parsed.searchParams.set(key, value.length > 4 ? `${value.slice(0, 4)}…` : '…');
    }
    url = parsed.toString();
  } catch {
    // Stored URLs were validated on the way in; show an odd one as it is.
  }
  const { secret, events, active, ...rest } = w;
  return {
    ...rest,
    url,
    events: JSON.parse(events) as string[],
    active: active === 1,
    has_secret: secret !== null,
  };
}

const route = actorRoute(WebhookError);

function idOf(raw: string | undefined, res: Response, what = 'webhook'): number | undefined {
  if (!raw || !/^\d{1,15}$/.test(raw)) {
    sendError(res, 404, `id: no ${what} ${raw}`);
    return undefined;
  }
  return Number(raw);
}

export function webhookRoutes(deps: WebhookRoutesDeps): express.Router {
  const { webhooks } = deps;
  const router = express.Router();
  router.use('/webhooks', express.json({ limit: '16kb' }));

  router.get(
    '/webhooks',
    route(async (_req, res, actor) => {
      res.json({ webhooks: (await webhooks.list(actor)).map(presentWebhook) });
    }),
  );

  router.post(
    '/webhooks',
    route(async (req, res, actor) => {
      const body = parseOr400(webhookBody, req.body, res, 'body');
      if (!body) return;
      const { secret, site, active, ...rest } = body;
      const hook = await webhooks.create(actor, {
        ...rest,
        ...(secret !== undefined ? { secret } : {}),
        ...(site !== undefined ? { site } : {}),
        ...(active !== undefined ? { active } : {}),
      });
      res.status(201).json({ webhook: presentWebhook(hook) });
    }),
  );

  router.get(
    '/webhooks/:id',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      if (id === undefined) return;
      res.json({ webhook: presentWebhook(await webhooks.get(actor, id)) });
    }),
  );

  router.patch(
    '/webhooks/:id',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      if (id === undefined) return;
      const body = parseOr400(webhookPatch, req.body, res, 'body');
      if (!body) return;
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      res.json({ webhook: presentWebhook(await webhooks.update(actor, id, patch)) });
    }),
  );

  router.delete(
    '/webhooks/:id',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      if (id === undefined) return;
      await webhooks.remove(actor, id);
      res.status(204).end();
    }),
  );

  router.post(
    '/webhooks/:id/test',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      if (id === undefined) return;
      res.status(202).json({ delivery_id: await webhooks.ping(actor, id) });
    }),
  );

  router.get(
    '/webhooks/:id/deliveries',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      if (id === undefined) return;
      const q = parseOr400(deliveriesQuery, req.query, res, 'query');
      if (!q) return;
      const rows = await webhooks.deliveries(actor, id, q);
      res.json({
        deliveries: rows.map(({ body, ...d }) => ({ ...d, body: JSON.parse(body) as unknown })),
      });
    }),
  );

  router.post(
    '/webhooks/:id/deliveries/:delivery/retry',
    route(async (req, res, actor) => {
      const id = idOf(req.params.id, res);
      const delivery = id === undefined ? undefined : idOf(req.params.delivery, res, 'delivery');
      if (id === undefined || delivery === undefined) return;
      const { body, ...row } = await webhooks.retry(actor, id, delivery);
      res.json({ delivery: { ...row, body: JSON.parse(body) as unknown } });
    }),
  );

  return router;
}
