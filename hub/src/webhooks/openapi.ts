import {
  errors,
  idParam,
  type JsonSchema,
  jsonBody,
  jsonResponse,
  keyed,
  listOf,
  type OpenApiPaths,
  queryParams,
} from '../http/openapi-helpers.js';
import { deliveriesQuery, webhookBody, webhookPatch } from './webhook.routes.js';
import { WEBHOOK_EVENTS } from './webhook-format.js';

/** Webhook endpoints (registered in hub/src/http/openapi.ts). */

const tags = ['webhooks'];
const id = idParam();
const webhook: JsonSchema = {
  type: 'object',
  description: 'never its secret; the values in the URL query (a robot key) shortened',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    url: { type: 'string' },
    events: {
      type: 'array',
      items: { type: 'string' },
      description: `any of ${WEBHOOK_EVENTS.join(', ')}, a recorded event type, or *`,
    },
    format: { enum: ['json', 'wecom', 'dingtalk'] },
    site: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    has_secret: { type: 'boolean' },
    created_by: { type: 'string' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
};
const delivery: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    webhook_id: { type: 'integer' },
    event: { type: 'string' },
    order_id: { type: ['integer', 'null'] },
    body: { type: 'object', description: 'what was (or will be) sent' },
    status: { enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    next_attempt_at: { type: 'integer' },
    last_attempt_at: { type: ['integer', 'null'] },
    response_status: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'integer' },
    delivered_at: { type: ['integer', 'null'] },
  },
};

export const webhookPaths: OpenApiPaths = {
  '/api/webhooks': {
    get: {
      tags,
      summary: 'Webhook subscriptions (administrators; those of their sites)',
      responses: {
        200: jsonResponse('subscriptions', listOf('webhooks', webhook, false)),
        ...errors(401, 403),
      },
    },
    post: {
      tags,
      summary: 'Subscribes a URL to order events and low-stock alerts',
      description:
        'json: `{event, type, ts, actor, from, to, detail, order}`, signed with `X-Caretaker-Signature: sha256=HMAC(secret, "<X-Caretaker-Timestamp>.<body>")` when a secret is set. wecom: a WeCom group robot markdown message. dingtalk: a DingTalk robot markdown message, signed with the timestamp and sign query parameters when a secret is set. Deliveries are retried with exponential backoff.',
      requestBody: jsonBody(webhookBody),
      responses: {
        201: jsonResponse('the subscription', keyed('webhook', webhook)),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/webhooks/{id}': {
    get: {
      tags,
      summary: 'One subscription',
      parameters: [id],
      responses: {
        200: jsonResponse('the subscription', keyed('webhook', webhook)),
        ...errors(401, 403, 404),
      },
    },
    patch: {
      tags,
      summary: 'Changes a subscription (active=false pauses it; its deliveries wait)',
      parameters: [id],
      requestBody: jsonBody(webhookPatch),
      responses: {
        200: jsonResponse('the subscription', keyed('webhook', webhook)),
        ...errors(400, 401, 403, 404),
      },
    },
    delete: {
      tags,
      summary: 'Removes a subscription and its delivery log',
      parameters: [id],
      responses: { 204: { description: 'removed' }, ...errors(401, 403, 404) },
    },
  },
  '/api/webhooks/{id}/test': {
    post: {
      tags,
      summary: 'Queues a test message (event ping), whatever the filter',
      parameters: [id],
      responses: {
        202: jsonResponse('queued', { type: 'object', properties: { delivery_id: { type: 'integer' } } }),
        ...errors(401, 403, 404),
      },
    },
  },
  '/api/webhooks/{id}/deliveries': {
    get: {
      tags,
      summary: 'The delivery log, newest first',
      parameters: [id, ...queryParams(deliveriesQuery)],
      responses: {
        200: jsonResponse('deliveries', listOf('deliveries', delivery, false)),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/webhooks/{id}/deliveries/{delivery}/retry': {
    post: {
      tags,
      summary: 'Sends a failed delivery again (its attempts start over)',
      parameters: [id, idParam('delivery')],
      responses: {
        200: jsonResponse('the delivery', keyed('delivery', delivery)),
        ...errors(401, 403, 404, 409),
      },
    },
  },
};
