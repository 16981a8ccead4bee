import { ApiError, request } from '../../api/client.js';

/**
 * The preventive-maintenance API as the inspection pages use it (hub/src/preventive/openapi.ts
 * documents every field): plans, inspections with their checklists, results, the report.
 */

export type InspectionStatus = 'open' | 'overdue' | 'done' | 'skipped';
export type ItemStatus = 'pending' | 'pass' | 'fail' | 'skipped';

export type ChecklistSpec =
  | { key: string; label: string; type: 'pass_fail' }
  | { key: string; label: string; type: 'number'; min?: number; max?: number; unit?: string }
  | { key: string; label: string; type: 'photo' }
  | { key: string; label: string; type: 'meter'; unit?: string; point?: string; tolerance?: number };

export interface InspectionSummary {
  id: number;
  plan_id: number;
  plan_name: string;
  occurrence: string;
  occurrence_at: number;
  due_at: number;
  site: string;
  status: InspectionStatus;
  order: { id: number; code: string | null; status: string | null; assignee: string | null } | null;
  missed_reason: string | null;
  item_count: number;
  answered_count: number;
  failed_count: number;
  completed_at: number | null;
  skipped_items: Array<{ id: number; object_name: string; label: string }>;
  /** Only with `device=`: that device's items and how each went. */
  device_items?: DeviceItem[];
}

export interface DeviceItem {
  id: number;
  object_name: string;
  label: string;
  type: ChecklistSpec['type'];
  status: ItemStatus;
  value: number | null;
  repair_order_id: number | null;
  repair_order_code: string | null;
}

export interface InspectionItem {
  id: number;
  object_id: number;
  object_name: string;
  device: string | null;
  item_key: string;
  label: string;
  type: ChecklistSpec['type'];
  spec: ChecklistSpec;
  status: ItemStatus;
  value: number | null;
  attachment_id: number | null;
  live_value: number | null;
  note: string | null;
  recorded_at: number | null;
  recorded_by: string | null;
  repair_order_id: number | null;
  repair_order_code: string | null;
}

export interface InspectionDetail extends Omit<InspectionSummary, 'skipped_items' | 'device_items'> {
  items: InspectionItem[];
}

export type CalendarSchedule = {
  type: 'calendar';
  rrule?: string;
  frequency?: 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';
  interval?: number;
  weekdays?: Array<'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU'>;
  nth?: number;
  day_of_month?: number;
  month?: number;
  time: string;
  starts?: string;
};
export type UsageSchedule = {
  type: 'usage';
  device: string;
  point: string;
  every: number;
  unit?: string;
  last_service_value?: number;
};
export type Schedule = CalendarSchedule | UsageSchedule;

export interface PlanStats {
  open: number;
  overdue: number;
  done: number;
  skipped: number;
  last_done_at: number | null;
  last_occurrence_at: number | null;
}

export interface Plan {
  id: number;
  site: string;
  name: string;
  description: string;
  template_id: number | null;
  object_ids: number[] | null;
  schedule: Schedule;
  timezone: string;
  rrule?: string;
  next_due_at: number | null;
  upcoming?: number[];
  usage?: {
    device: string;
    point: string;
    every: number;
    unit: string | null;
    last_value: number | null;
    used_since_last: number;
    remaining: number;
    occurrences: number;
  };
  window_ms: number;
  priority: number;
  assign_to: { technician: string } | { skill: string } | { contractor: string } | null;
  active: boolean;
  last_generated_at: number | null;
  stats: PlanStats;
}

export interface InspectionObject {
  id: number;
  site: string;
  name: string;
  device: string | null;
  location: string | null;
}

export interface Template {
  id: number;
  name: string;
  object_ids: number[];
}

export interface PlanReport {
  plan: { id: number; name: string; site: string; timezone: string };
  from: number;
  to: number;
  figures: {
    due: number;
    done_on_time: number;
    done_late: number;
    open: number;
    overdue: number;
    skipped: number;
    failed_items: number;
    compliance: number | null;
  };
  occurrences: Array<{
    inspection_id: number;
    occurrence_at: number;
    due_at: number;
    order_code: string | null;
    status: 'done_on_time' | 'done_late' | 'open' | 'overdue' | 'skipped';
    completed_at: number | null;
    items: number;
    answered: number;
    failed: number;
  }>;
  failed_items: Array<{
    inspection_id: number;
    object: string;
    label: string;
    value: number | null;
    unit?: string | null;
    min?: number | null;
    max?: number | null;
    repair_order_id: number | null;
    repair_order_code: string | null;
  }>;
}

/** What a person enters for one item (the hub judges it again). */
export interface ResultEntry {
  item_id: number;
  passed?: boolean;
  value?: number;
  attachment_id?: number;
  note?: string;
}

export interface Attachment {
  id: number;
  filename: string;
}

export interface OrderDetail {
  work_order: { id: number; code: string; status: string; assignee: string | null };
  assignees: Array<{ username: string }>;
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
  report: (id: number, from: number, to: number, signal?: AbortSignal) =>
    request<PlanReport>(`/api/plans/${id}/report`, { query: { from, to }, ...signalOf(signal) }),
  reportCsvUrl: (id: number, from: number, to: number) =>
    `/api/plans/${id}/report?${new URLSearchParams({ from: `${from}`, to: `${to}`, format: 'csv' })}`,
  order: (id: number, signal?: AbortSignal) =>
    request<OrderDetail>(`/api/work-orders/${id}`, signalOf(signal)),
  attachmentUrl: (orderId: number, attachmentId: number) =>
    `/api/work-orders/${orderId}/attachments/${attachmentId}`,
  /** A photo for a photo item: an attachment of the inspection's order (multipart, not JSON). */
  async upload(orderId: number, file: File): Promise<Attachment> {
    const form = new FormData();
    form.append('file', file, file.name);
    const res = await fetch(`/api/work-orders/${orderId}/attachments`, {
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
