/**
 * Preventive maintenance as the hub serves it: plans (/api/plans), the inspections they generate
 * with their checklists (/api/inspections), inspection objects and templates, a plan's report.
 * The hub validates what comes in with its own zod schemas; these are the shapes that go out.
 */

/** How an inspection stands: by its answered items and its order's lifecycle. */
export const INSPECTION_STATUSES = ['open', 'overdue', 'done', 'skipped'] as const;
export type InspectionStatus = (typeof INSPECTION_STATUSES)[number];
export const CHECKLIST_ITEM_TYPES = ['pass_fail', 'number', 'photo', 'meter'] as const;
export type ChecklistItemType = (typeof CHECKLIST_ITEM_TYPES)[number];
/** As stored; `skipped` is added on the way out for the pending items of a skipped inspection. */
export type InspectionResultStatus = 'pending' | 'pass' | 'fail';
export type InspectionItemStatus = InspectionResultStatus | 'skipped';

/** One checklist item's definition (limits, unit, the counter point it is compared with). */
export type ChecklistSpec =
  | { key: string; label: string; type: 'pass_fail' }
  | { key: string; label: string; type: 'number'; min?: number; max?: number; unit?: string }
  | { key: string; label: string; type: 'photo' }
  | { key: string; label: string; type: 'meter'; unit?: string; point?: string; tolerance?: number };

/** An inspection's order, as far as lists need it (null fields: the order is gone). */
export interface InspectionOrderRef {
  id: number;
  code: string | null;
  status: string | null;
  assignee: string | null;
}

export interface InspectionBase {
  id: number;
  plan_id: number;
  plan_name: string;
  /** The occurrence within its plan: a calendar instant (ISO, UTC) or `u<n>` for usage. */
  occurrence: string;
  occurrence_at: number;
  due_at: number;
  site: string;
  status: InspectionStatus;
  /** Null when the occurrence passed while the hub was not running. */
  order: InspectionOrderRef | null;
  missed_reason: string | null;
  item_count: number;
  answered_count: number;
  failed_count: number;
  /** When the last item was answered. */
  completed_at: number | null;
}

/** One device's item of an inspection, as a device's history shows it. */
export interface InspectionDeviceItem {
  id: number;
  object_name: string;
  label: string;
  type: ChecklistItemType;
  status: InspectionItemStatus;
  value: number | null;
  repair_order_id: number | null;
  repair_order_code: string | null;
}

/** One entry of GET /api/inspections. */
export interface InspectionSummary extends InspectionBase {
  /** A skipped inspection's unanswered items. */
  skipped_items: Array<{ id: number; object_name: string; label: string }>;
  /** Only with `device=`: that device's items and how each went. */
  device_items?: InspectionDeviceItem[];
}

export interface InspectionItem {
  id: number;
  inspection_id: number;
  object_id: number;
  object_name: string;
  device: string | null;
  position: number;
  item_key: string;
  label: string;
  type: ChecklistItemType;
  /** The item's definition when the inspection was made. */
  spec: ChecklistSpec;
  status: InspectionItemStatus;
  /** number, meter: the value; pass_fail: 1/0. */
  value: number | null;
  attachment_id: number | null;
  /** meter items with a point: the live counter value when the reading was recorded. */
  live_value: number | null;
  note: string | null;
  recorded_at: number | null;
  recorded_by: string | null;
  /** The repair order a failure opened (once per item per inspection). */
  repair_order_id: number | null;
  repair_order_code: string | null;
}

/** GET /api/inspections/<id> (and the answer to recording results). */
export interface InspectionDetail extends InspectionBase {
  items: InspectionItem[];
}

/** A plan's occurrences by how they stand now. */
export interface PlanStats {
  open: number;
  overdue: number;
  done: number;
  skipped: number;
  /** When the last occurrence was done (every item answered), null before the first. */
  last_done_at: number | null;
  last_occurrence_at: number | null;
}

/** GET /api/plans/<id>/report: how a plan's occurrences in a range went. */
export interface PlanReport {
  plan: { id: number; name: string; site: string; timezone: string };
  from: number;
  to: number;
  generated_at: number;
  figures: {
    due: number;
    done_on_time: number;
    done_late: number;
    open: number;
    overdue: number;
    skipped: number;
    failed_items: number;
    /** Done on time over the occurrences already judged (all but open); null before any. */
    compliance: number | null;
  };
  occurrences: Array<{
    inspection_id: number;
    occurrence: string;
    occurrence_at: number;
    due_at: number;
    order_code: string | null;
    order_status: string | null;
    status: 'done_on_time' | 'done_late' | 'open' | 'overdue' | 'skipped';
    completed_at: number | null;
    items: number;
    answered: number;
    failed: number;
    missed_reason: string | null;
  }>;
  failed_items: Array<{
    inspection_id: number;
    occurrence_at: number | null;
    object: string;
    device: string | null;
    item: string;
    label: string;
    type: ChecklistItemType;
    value: number | null;
    unit: string | null;
    min: number | null;
    max: number | null;
    live_value: number | null;
    note: string | null;
    recorded_at: number | null;
    recorded_by: string | null;
    repair_order_id: number | null;
    repair_order_code: string | null;
  }>;
}

/** A plan's calendar schedule: an RFC 5545 rule, or a frequency with its details. */
export interface PlanCalendarSchedule {
  type: 'calendar';
  rrule?: string;
  frequency?: 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';
  interval?: number;
  weekdays?: Array<'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU'>;
  nth?: number;
  day_of_month?: number;
  month?: number;
  /** HH:MM in the site's time zone. */
  time: string;
  /** YYYY-MM-DD. */
  starts?: string;
}

/** A plan due every so much use of a device's counter. */
export interface PlanUsageSchedule {
  type: 'usage';
  device: string;
  point: string;
  every: number;
  unit?: string;
  last_service_value?: number;
}

export type PlanSchedule = PlanCalendarSchedule | PlanUsageSchedule;
export type PlanAssignTo = { technician: string } | { skill: string } | { contractor: string };

/** One plan of GET /api/plans (and GET /api/plans/<id>). */
export interface Plan {
  id: number;
  /** A stable name for plans loaded from a file; null for API-made ones. */
  key: string | null;
  site: string;
  name: string;
  description: string;
  template_id: number | null;
  /** The plan's own objects (null when it uses a template). */
  object_ids: number[] | null;
  schedule: PlanSchedule;
  timezone: string;
  window_ms: number;
  /** window_ms in words (e.g. "3d"). */
  window: string;
  priority: number;
  problem_type: string;
  assign_to: PlanAssignTo | null;
  active: boolean;
  last_generated_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** Calendar plans: the rule in RFC 5545 form and the next three occurrences. */
  rrule?: string;
  next_due_at: number | null;
  upcoming?: number[];
  /** Usage plans: how far the counter has come since the last occurrence. */
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
  stats: PlanStats;
}

/** What is inspected: a device or a place, with its checklist (GET /api/inspection-objects). */
export interface InspectionObject {
  id: number;
  /** A stable name for objects loaded from a file; null for API-made ones. */
  key: string | null;
  site: string;
  name: string;
  /** The device inspected, or null for a place (a pump room, a roof tank). */
  device: string | null;
  building: string | null;
  location: string | null;
  /** Problem type of the repair order a failed item opens. */
  problem_type: string;
  items: ChecklistSpec[];
  created_by: string;
  created_at: number;
  updated_at: number;
}
