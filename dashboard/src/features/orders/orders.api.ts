import type {
  OrderAttachment,
  OrderBoard,
  OrderDetail,
  OrderParts,
  ServiceLevelsResponse,
  SlaDetail,
  StockLevel,
  WorkflowResponse,
  WorkOrder,
  WorkOrderPage,
} from '@caretaker/protocol';
import { ApiError, type Query, request } from '../../api/client.js';

/**
 * The work-order desk's view of the hub's API (hub/src/http/work-order-routes.ts,
 * hub/src/sla/sla.routes.ts, hub/src/dispatch/dispatch.routes.ts, hub/src/parts/parts.routes.ts).
 * The answers' types are shared with the hub through @caretaker/protocol.
 */

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

const path = (id: number) => `/api/work-orders/${id}`;

export const ordersApi = {
  list: (query: Query, signal?: AbortSignal) =>
    request<WorkOrderPage>('/api/work-orders', { query, signal: signal ?? null }),
  board: (query: Query, signal?: AbortSignal) =>
    request<OrderBoard>('/api/work-orders/board', { query, signal: signal ?? null }),
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
  workflow: () => request<WorkflowResponse>('/api/workflow'),
  serviceLevels: () => request<ServiceLevelsResponse>('/api/service-levels'),
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
    request<{ stock: StockLevel[] }>('/api/stock', { query: { site }, signal: signal ?? null }),
  attachmentUrl: (id: number, aid: number) => `${path(id)}/attachments/${aid}`,
  /** multipart/form-data, field `file`: the browser sets the boundary, so no content type here. */
  async upload(id: number, file: File): Promise<OrderAttachment> {
    const form = new FormData();
    form.append('file', file);
    const res = await fetch(`${path(id)}/attachments`, {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-requested-with': 'caretaker-dashboard' },
    });
    const body = (await res.json().catch(() => null)) as {
      error?: string;
      attachment?: OrderAttachment;
    } | null;
    if (!res.ok || !body?.attachment)
      throw new ApiError(res.status, body?.error ?? `upload: HTTP ${res.status}`);
    return body.attachment;
  },
};

/** The hub's words for a refusal (`{ error }`), else the exception's message. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
