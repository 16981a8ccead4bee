import type { Generated, Selectable } from 'kysely';

/** Webhook subscriptions and their durable delivery queue (migration 0006_parts_webhooks). */
export const WEBHOOK_FORMATS = ['json', 'wecom', 'dingtalk'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhooksTable {
  id: Generated<number>;
  name: string;
  url: string;
  /** JSON array of event names ("created", "completed", "low_stock", ...; "*" for all). */
  events: string;
  format: WebhookFormat;
  /** Signs each delivery (json: HMAC header; dingtalk: timestamp+sign query); never shown. */
  secret: string | null;
  /** Only this site's events; null: every site (administrators only). */
  site: string | null;
  active: Generated<number>;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  event: string;
  order_id: number | null;
  /** The exact bytes sent (the same on every retry). */
  body: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  /** When the worker may (next) try it; pushed ahead while an attempt is in flight. */
  next_attempt_at: number;
  last_attempt_at: number | null;
  response_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface WebhookTables {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
