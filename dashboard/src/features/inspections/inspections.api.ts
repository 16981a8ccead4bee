import type {
  InspectionDetail,
  InspectionObject,
  InspectionStatus,
  InspectionSummary,
  OrderDetail,
  Plan,
  PlanReport,
} from '@caretaker/protocol';
import { request } from '../../api/client.js';
import { ordersApi } from '../orders/orders.api.js';

/**
 * The preventive-maintenance API as the inspection pages use it (hub/src/preventive/openapi.ts
 * documents every field): plans, inspections with their checklists, results, the report. The
 * answers' types are shared with the hub through @caretaker/protocol.
 */

export interface Template {
  id: number;
  site: string;
  name: string;
  description: string;
  object_ids: number[];
}

/** The bodies the editors send (POST whole, PATCH the same fields); the hub validates them. */
export type Body = Record<string, unknown>;
const json = (method: 'POST' | 'PATCH', body: Body) => ({ method, body: JSON.stringify(body) });
const save = <T>(path: string, id: number | null, body: Body) =>
  request<T>(id === null ? path : `${path}/${id}`, json(id === null ? 'POST' : 'PATCH', body));

/** What a person enters for one item (the hub judges it again). */
export interface ResultEntry {
  item_id: number;
  passed?: boolean;
  value?: number;
  attachment_id?: number;
  note?: string;
}

const signalOf = (signal?: AbortSignal) => ({ signal: signal ?? null });

export const inspectionsApi = {
  list: (
    query: { status?: InspectionStatus; assignee?: string; device?: string; plan?: number; limit?: number },
    signal?: AbortSignal,
  ) =>
    request<{ inspections: InspectionSummary[] }>('/api/inspections', { query, ...signalOf(signal) }).then(
      (r) => r.inspections,
    ),
  get: (id: number, signal?: AbortSignal) =>
    request<InspectionDetail>(`/api/inspections/${id}`, signalOf(signal)),
  record: (id: number, results: ResultEntry[]) =>
    request<InspectionDetail>(`/api/inspections/${id}/results`, {
      method: 'POST',
      body: JSON.stringify({ results }),
    }),
  plans: (signal?: AbortSignal) =>
    request<{ plans: Plan[] }>('/api/plans', signalOf(signal)).then((r) => r.plans),
  plan: (id: number, signal?: AbortSignal) => request<Plan>(`/api/plans/${id}`, signalOf(signal)),
  setActive: (id: number, active: boolean) =>
    request<Plan>(`/api/plans/${id}`, { method: 'PATCH', body: JSON.stringify({ active }) }),
  objects: (signal?: AbortSignal) =>
    request<{ inspection_objects: InspectionObject[] }>('/api/inspection-objects', signalOf(signal)).then(
      (r) => r.inspection_objects,
    ),
  templates: (signal?: AbortSignal) =>
    request<{ inspection_templates: Template[] }>('/api/inspection-templates', signalOf(signal)).then(
      (r) => r.inspection_templates,
    ),
  object: (id: number, signal?: AbortSignal) =>
    request<InspectionObject>(`/api/inspection-objects/${id}`, signalOf(signal)),
  template: (id: number, signal?: AbortSignal) =>
    request<Template>(`/api/inspection-templates/${id}`, signalOf(signal)),
  /** Creates (id null) or changes one object, template or plan. */
  saveObject: (id: number | null, body: Body) => save<InspectionObject>('/api/inspection-objects', id, body),
  saveTemplate: (id: number | null, body: Body) => save<Template>('/api/inspection-templates', id, body),
  savePlan: (id: number | null, body: Body) => save<Plan>('/api/plans', id, body),
  /** Archives: the hub refuses (409) while another record still uses it. */
  archive: (what: 'inspection-objects' | 'inspection-templates' | 'plans', id: number) =>
    request<void>(`/api/${what}/${id}`, { method: 'DELETE' }),
  report: (id: number, from: number, to: number, signal?: AbortSignal) =>
    request<PlanReport>(`/api/plans/${id}/report`, { query: { from, to }, ...signalOf(signal) }),
  reportCsvUrl: (id: number, from: number, to: number) =>
    `/api/plans/${id}/report?${new URLSearchParams({ from: `${from}`, to: `${to}`, format: 'csv' })}`,
  order: (id: number, signal?: AbortSignal) =>
    request<OrderDetail>(`/api/work-orders/${id}`, signalOf(signal)),
  attachmentUrl: (orderId: number, attachmentId: number) =>
    `/api/work-orders/${orderId}/attachments/${attachmentId}`,
  /** A photo for a photo item: an attachment of the inspection's order (the desk's upload). */
  upload: (orderId: number, file: File) => ordersApi.upload(orderId, file),
};
