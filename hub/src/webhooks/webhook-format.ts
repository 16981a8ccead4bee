import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';
import type { WorkOrderRow } from '../db/schema.js';
import type { LowStockNotice } from '../parts/parts.service.js';
import type { OrderEventNotice } from '../workorders/work-order.service.js';
import type { WebhookFormat } from './schema.js';

/**
 * What a webhook receives: event names, the three body formats (generic JSON, the WeCom group
 * bot's and the DingTalk bot's markdown messages) and the signatures. Pure functions: the
 * service queues the bodies and the worker signs at send time.
 */

/**
 * The event names a subscription may filter on. An order event answers to a name for the
 * status it moved the order into (`completed`, `dispatched`, ...), to a plain name for what the
 * order modules record (`sla_escalated` is `escalated`, the `reassign` action `reassigned`) and
 * to its own recorded type, so a new event type of another module can be subscribed to by name
 * without a change here.
 */
export const WEBHOOK_EVENTS = [
  'created',
  'accepted',
  'dispatched',
  'submitted',
  'rejected',
  'completed',
  'closed',
  'cancelled',
  'deferred',
  'resumed',
  'reopened',
  'revived',
  'escalated',
  'sla_warning',
  'sla_breached',
  'priority_raised',
  'reassigned',
  'assistance_requested',
  'defer_requested',
  'rated',
  'parts_issued',
  'parts_returned',
  'low_stock',
] as const;

/** Names for the status an event moved an order into (pending_acceptance: the event's own type). */
const STATUS_EVENT: Partial<Record<string, string>> = {
  to_dispatch: 'accepted',
  in_repair: 'dispatched',
  awaiting_check: 'submitted',
  deferred: 'deferred',
  completed: 'completed',
  closed: 'closed',
  cancelled: 'cancelled',
};

/** Plain names for event types as the lifecycle (action names) and the SLA module record them. */
const TYPE_ALIAS: Partial<Record<string, string>> = {
  sla_escalated: 'escalated',
  reassign: 'reassigned',
  request_assistance: 'assistance_requested',
  request_defer: 'defer_requested',
  rate: 'rated',
};

/** Every name an order event answers to; the first is the one the payload carries. */
export function orderEventNames(notice: Pick<OrderEventNotice, 'type' | 'from' | 'to'>): string[] {
  const names: string[] = [];
  const { type, from, to } = notice;
  if (to && to !== from && type !== 'created') {
    if (to === 'in_repair' && from === 'awaiting_check') names.push('rejected');
    else if (to === 'to_dispatch' && from === 'deferred') names.push('resumed');
    else if (STATUS_EVENT[to]) names.push(STATUS_EVENT[to]);
  }
  const alias = TYPE_ALIAS[type];
  if (alias) names.push(alias);
  names.push(type);
  return [...new Set(names)];
}

export function matchesFilter(filter: readonly string[], names: readonly string[]): boolean {
  return filter.includes('*') || names.some((n) => filter.includes(n));
}

/** Chinese labels for the chat bots (the people reading them work in Chinese). */
const LABELS: Record<string, string> = {
  created: '新工单',
  accepted: '已受理',
  dispatched: '已派工',
  submitted: '待验收',
  rejected: '验收退回',
  completed: '已完成',
  closed: '已关闭',
  cancelled: '已取消',
  deferred: '已转计划',
  resumed: '恢复处理',
  reopened: '重新打开',
  revived: '重新打开',
  escalated: '已升级',
  sla_warning: '时限预警',
  sla_breached: '已超时',
  priority_raised: '优先级提升',
  reassigned: '已转派',
  assistance_requested: '申请协助',
  defer_requested: '申请转计划',
  rated: '已评价',
  parts_issued: '领用备件',
  parts_returned: '退回备件',
  low_stock: '库存不足',
  ping: '测试消息',
};

/** The order as a payload carries it (no evidence: it can be large; the API has it). */
export function orderSummary(order: WorkOrderRow) {
  return {
    id: order.id,
    code: order.code,
    title: order.title,
    status: order.status,
    source: order.source,
    kind: order.kind,
    priority: order.priority,
    severity: order.severity,
    problem_type: order.problem_type,
    site: order.site,
    building: order.building,
    location: order.location,
    device: order.device,
    assignee: order.assignee,
    requester: order.requester,
    created_at: order.created_at,
    response_due_at: order.response_due_at,
    completion_due_at: order.completion_due_at,
    completed_at: order.completed_at,
    escalation_level: order.escalation_level,
  };
}

export type WebhookMessage =
  | { kind: 'order'; event: string; notice: OrderEventNotice; order: WorkOrderRow }
  | { kind: 'low_stock'; event: 'low_stock'; notice: LowStockNotice }
  | { kind: 'ping'; event: 'ping'; ts: number; webhook: { id: number; name: string } };

/** WeCom group bots take markdown of at most 4096 bytes; DingTalk's limit is larger. */
const MAX_MARKDOWN_BYTES = 4000;

export function renderBody(format: WebhookFormat, message: WebhookMessage, zone = 'Asia/Shanghai'): string {
  if (format === 'json') return JSON.stringify(jsonPayload(message));
  const { title, text } = markdown(message, zone);
  if (format === 'wecom') return JSON.stringify({ msgtype: 'markdown', markdown: { content: text } });
  return JSON.stringify({ msgtype: 'markdown', markdown: { title, text } });
}

function jsonPayload(message: WebhookMessage) {
  switch (message.kind) {
    case 'order': {
      const n = message.notice;
      return {
        event: message.event,
        type: n.type,
        ts: n.ts,
        actor: n.actor,
        from: n.from,
        to: n.to,
        detail: n.detail,
        order: orderSummary(message.order),
      };
    }
    case 'low_stock':
      return { event: 'low_stock', ...message.notice };
    case 'ping':
      return { event: 'ping', ts: message.ts, webhook: message.webhook };
  }
}

function markdown(message: WebhookMessage, zone: string): { title: string; text: string } {
  const at = (ts: number) => DateTime.fromMillis(ts, { zone }).toFormat('yyyy-MM-dd HH:mm');
  const label = (event: string) => `${LABELS[event] ?? event} (${event})`;
  const lines: string[] = [];
  let title: string;
  switch (message.kind) {
    case 'order': {
      const { order, notice } = message;
      title = `${order.code} ${LABELS[message.event] ?? message.event}`;
      lines.push(`### ${order.code} ${label(message.event)}`, `**${clean(order.title)}**`);
      const where = [order.site, order.building, order.location].filter(Boolean).join(' / ');
      lines.push(`> 位置 site: ${clean(where)}`);
      if (order.device) lines.push(`> 设备 device: ${clean(order.device)}`);
      lines.push(`> 优先级 priority: P${order.priority} · ${clean(order.problem_type)}`);
      if (notice.from || notice.to)
        lines.push(`> 状态 status: ${notice.from ?? '-'} → ${notice.to ?? order.status}`);
      if (order.assignee) lines.push(`> 处理人 assignee: ${clean(order.assignee)}`);
      if (order.completion_due_at) lines.push(`> 完成时限 due: ${at(order.completion_due_at)}`);
      const why = notice.detail.reason ?? notice.detail.note ?? notice.detail.why;
      if (typeof why === 'string' && why) lines.push(`> 说明 note: ${clean(why)}`);
      lines.push(`> ${clean(notice.actor)} · ${at(notice.ts)}`);
      break;
    }
    case 'low_stock': {
      const { part, store, quantity, min_quantity, ts } = message.notice;
      title = `${LABELS.low_stock} ${part.part_no}`;
      lines.push(
        `### ${label('low_stock')}`,
        `**${clean(part.part_no)} ${clean(part.name)}**`,
        `> 仓库 store: ${clean(store.code)} ${clean(store.name)} (${clean(store.site)})`,
        `> 库存 stock: ${quantity} ${clean(part.unit)} < 最低 minimum ${min_quantity} ${clean(part.unit)}`,
        `> ${at(ts)}`,
      );
      break;
    }
    case 'ping':
      title = `Caretaker ${LABELS.ping}`;
      lines.push(
        `### Caretaker ${label('ping')}`,
        `> webhook: ${clean(message.webhook.name)}`,
        `> ${at(message.ts)}`,
      );
      break;
  }
  return { title, text: fitBytes(lines.join('\n'), MAX_MARKDOWN_BYTES) };
}

/** User text in markdown: one line, no markup that could restyle the message. */
function clean(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[<>`*#[\]]/g, ' ')
    .slice(0, 300);
}

function fitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = text.slice(0, max);
  while (Buffer.byteLength(`${cut}…`) > max) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The generic JSON format's signature: hex HMAC-SHA256 of `<timestamp>.<body>` (replays are visible by the timestamp). */
export function jsonSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * DingTalk's signed URL (custom robot "加签"): sign = base64(HMAC-SHA256(secret,
 * `<timestamp ms>\n<secret>`)), sent as `timestamp` and `sign` query parameters; DingTalk
 * refuses a timestamp more than an hour old, so this runs at send time.
 */
export function dingtalkSignedUrl(url: string, secret: string, timestamp: number): string {
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
  const signed = new URL(url);
  signed.searchParams.set('timestamp', String(timestamp));
  signed.searchParams.set('sign', sign);
  return signed.toString();
}
