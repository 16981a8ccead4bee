import { ApiError, type Query, request } from '../../api/client.js';

/**
 * The work-order desk's view of the hub's API (hub/src/http/work-order-routes.ts,
 * hub/src/sla/sla.routes.ts, hub/src/dispatch/dispatch.routes.ts, hub/src/parts/parts.routes.ts).
 * Only the fields the desk reads are typed.
 */

export const ORDER_STATUSES = [
  'pending_acceptance',
  'to_dispatch',
  'in_repair',
  'awaiting_check',
  'deferred',
  'completed',
  'closed',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CLOSED_STATUSES: readonly OrderStatus[] = ['completed', 'closed', 'cancelled'];
export const FAULT_CATEGORIES = ['natural_wear', 'misuse', 'human_damage', 'other'] as const;
export const PRIORITIES = [1, 2, 3, 4] as const;

export interface WorkOrder {
  id: number;
  code: string;
  status: OrderStatus;
  source: 'sensor' | 'manual' | 'qr' | 'preventive';
  kind: 'corrective' | 'preventive';
  site: string;
  building: string | null;
  location: string | null;
  device: string | null;
  rule_id: string | null;
  title: string;
  description: string;
  problem_type: string;
  priority: number;
  severity: string;
  alarm_id: number | null;
  requester: string | null;
  assignee: string | null;
  created_at: number;
  updated_at: number;
  dispatched_at: number | null;
  completed_at: number | null;
  closed_at: number | null;
  response_due_at: number | null;
  completion_due_at: number | null;
  response_limit_ms?: number | null;
  completion_limit_ms?: number | null;
  sla_paused_since: number | null;
  escalation_level: number;
  defer_requested_at: number | null;
  defer_reason: string | null;
  deferred_until: number | null;
  resolution: string | null;
  labour_minutes: number;
  fault_category: string | null;
  rating: number | null;
  rating_comment: string | null;
  evidence: Evidence;
}

/** What a sensor order carries: the rule that fired, the alarm and the readings before it. */
export interface Evidence {
  rule?: {
    id: string;
    title?: string;
    when?: Array<{ point?: string }>;
    trend?: { point?: string };
  };
  alarm?: { id: number; raised_at: number | null };
  values?: Record<string, number>;
}

export interface OrderEvent {
  id: number;
  ts: number;
  actor: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  detail: Record<string, unknown>;
}

export interface Attachment {
  id: number;
  filename: string;
  content_type: string;
  size: number;
  uploaded_by: string;
  uploaded_at: number;
}

export interface OrderDetail {
  work_order: WorkOrder;
  events: OrderEvent[];
  assignees: Array<{ username: string; role: string }>;
  attachments: Attachment[];
  actions_allowed: string[];
}

export interface LimitState {
  kind: 'response' | 'completion';
  limit_ms: number;
  due_at: number;
  met_at: number | null;
  elapsed_ms: number;
  remaining_ms: number;
  percent: number;
  breached: boolean;
  running: boolean;
}

export interface SlaDetail {
  at: number;
  sla: {
    paused: boolean;
    paused_ms: number;
    escalation_level: number;
    response: LimitState | null;
    completion: LimitState | null;
    breached: boolean;
  };
  escalations: Array<{ limit: string; level: number; ts: number; notified: string[]; reason: string }>;
}

export interface Candidate {
  username: string;
  display_name: string;
  rank: number | null;
  eligible: boolean;
  open_orders: number;
  passed_over: string[];
  explanation: string;
}

export interface Ranking {
  skill: string | null;
  candidates: Candidate[];
  chosen: string | null;
  why: string;
}

export interface WorkflowAction {
  name: string;
  from: string[];
  to: string;
  body: { required: string[]; optional: string[] };
}

export interface PartMovement {
  id: number;
  ts: number;
  kind: string;
  part_no: string;
  store: string;
  quantity: number;
  unit: string;
  actor: string;
}

export interface OrderParts {
  movements: PartMovement[];
  parts: Array<{
    part_no: string;
    name: string;
    unit: string;
    issued: number;
    returned: number;
    used: number;
  }>;
}

export interface StockRow {
  part_id: number;
  part_no: string;
  name: string;
  unit: string;
  store_id: number;
  store: string;
  quantity: number;
}

export interface NewOrder {
  site: string;
  building?: string;
  location?: string;
  device?: string;
  problem_type: string;
  priority: number;
  title: string;
  description: string;
}

export interface ServiceLevels {
  problem_types: Array<{ problem_type: string; priority: number; description: string | null }>;
}

const path = (id: number) => `/api/work-orders/${id}`;

export const ordersApi = {
  list: (query: Query, signal?: AbortSignal) =>
    request<{ work_orders: WorkOrder[]; total: number }>('/api/work-orders', {
      query,
      signal: signal ?? null,
    }),
  get: (id: number, signal?: AbortSignal) => request<OrderDetail>(path(id), { signal: signal ?? null }),
  create: (body: NewOrder) =>
    request<{ work_order: WorkOrder }>('/api/work-orders', { method: 'POST', body: JSON.stringify(body) }),
  act: (id: number, action: string, body: Record<string, unknown>) =>
    request<{ work_order: WorkOrder }>(`${path(id)}/actions/${encodeURIComponent(action)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    }),
  sla: (id: number, signal?: AbortSignal) =>
    request<SlaDetail>(`${path(id)}/sla`, { signal: signal ?? null }),
  workflow: () => request<{ actions: WorkflowAction[] }>('/api/workflow'),
  serviceLevels: () => request<ServiceLevels>('/api/service-levels'),
  candidates: (id: number, signal?: AbortSignal) =>
    request<{ ranking: Ranking }>('/api/dispatch/candidates', {
      query: { order: id },
      signal: signal ?? null,
    }),
  parts: (id: number, signal?: AbortSignal) =>
    request<OrderParts>(`${path(id)}/parts`, { signal: signal ?? null }),
  moveParts: (
    id: number,
    body: { part: number; store: number; quantity: number; action: 'issue' | 'return' },
  ) => request<unknown>(`${path(id)}/parts`, { method: 'POST', body: JSON.stringify(body) }),
  stock: (site: string, signal?: AbortSignal) =>
    request<{ stock: StockRow[] }>('/api/stock', { query: { site }, signal: signal ?? null }),
  attachmentUrl: (id: number, aid: number) => `${path(id)}/attachments/${aid}`,
  /** multipart/form-data, field `file`: the browser sets the boundary, so no content type here. */
  async upload(id: number, file: File): Promise<Attachment> {
    const form = new FormData();
    form.append('file', file);
    const res = await fetch(`${path(id)}/attachments`, {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-requested-with': 'caretaker-dashboard' },
    });
    const body = (await res.json().catch(() => null)) as { error?: string; attachment?: Attachment } | null;
    if (!res.ok || !body?.attachment)
      throw new ApiError(res.status, body?.error ?? `upload: HTTP ${res.status}`);
    return body.attachment;
  },
};

/** The hub's words for a refusal (`{ error }`), else the exception's message. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
