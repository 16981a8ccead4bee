import type { ChecklistItemType, InspectionResultStatus } from '@caretaker/protocol';
import type { Generated, Selectable } from 'kysely';

/**
 * Preventive maintenance (migration 0005_preventive): what is inspected, how it is grouped,
 * when it is due, and each occurrence's inspection with one row per checklist item. Times are
 * epoch ms; JSON is text; flags are 0/1.
 */

export interface InspectionObjectsTable {
  id: Generated<number>;
  /** A stable name for objects loaded from a file (the demo plans); null for API-made ones. */
  key: string | null;
  site: string;
  name: string;
  /** The device inspected, or null for a place (a pump room, a roof tank). */
  device: string | null;
  building: string | null;
  location: string | null;
  /** Problem type of the repair order a failed item opens. */
  problem_type: string;
  /** The checklist: JSON array of items (checklist.ts). */
  items: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
}

export interface InspectionTemplatesTable {
  id: Generated<number>;
  key: string | null;
  site: string;
  name: string;
  description: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
}

export interface InspectionTemplateObjectsTable {
  template_id: number;
  object_id: number;
  position: number;
}

export interface PreventivePlansTable {
  id: Generated<number>;
  key: string | null;
  site: string;
  name: string;
  description: string;
  /** A template, or (null) the plan's own list in preventive_plan_objects. */
  template_id: number | null;
  /** calendar or usage. */
  schedule_kind: 'calendar' | 'usage';
  /** The schedule as validated (schedule.ts), JSON. */
  schedule: string;
  /** How long after an occurrence its order is due. */
  window_ms: number;
  priority: number;
  problem_type: string;
  /** technician (a user name), skill (a team by skill) or contractor (a company name). */
  assign_kind: 'technician' | 'skill' | 'contractor' | null;
  assign_to: string | null;
  active: number;
  /** Calendar plans: the next occurrence not yet generated. */
  next_due_at: number | null;
  /** Usage plans: the counter value last seen (raw, as the device reports it). */
  usage_last_raw: number | null;
  /** Usage counted since the plan started, across counter resets. */
  usage_total: number;
  /** usage_total when the last order was generated (or the plan started). */
  usage_at_last: number;
  /** Usage occurrences generated so far. */
  usage_count: number;
  last_generated_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
}

export interface PreventivePlanObjectsTable {
  plan_id: number;
  object_id: number;
  position: number;
}

export interface InspectionsTable {
  id: Generated<number>;
  plan_id: number;
  /** The occurrence within its plan: a calendar instant (ISO, UTC) or `u<n>` for usage. */
  occurrence: string;
  occurrence_at: number;
  due_at: number;
  site: string;
  /** The generated order; null when the occurrence passed while the hub was not running. */
  order_id: number | null;
  /** Why no order was made (missed), null otherwise. */
  missed_reason: string | null;
  item_count: number;
  answered_count: number;
  failed_count: number;
  /** When the last item was answered. */
  completed_at: number | null;
  created_at: number;
  updated_at: number;
}

export type {
  ChecklistItemType as ItemType,
  InspectionResultStatus as ResultStatus,
} from '@caretaker/protocol';

export interface InspectionResultsTable {
  id: Generated<number>;
  inspection_id: number;
  object_id: number;
  object_name: string;
  device: string | null;
  position: number;
  item_key: string;
  label: string;
  type: ChecklistItemType;
  /** The item's definition when the inspection was made (limits, unit, point), JSON. */
  spec: string;
  status: InspectionResultStatus;
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
}

export interface PreventiveTables {
  inspection_objects: InspectionObjectsTable;
  inspection_templates: InspectionTemplatesTable;
  inspection_template_objects: InspectionTemplateObjectsTable;
  preventive_plans: PreventivePlansTable;
  preventive_plan_objects: PreventivePlanObjectsTable;
  inspections: InspectionsTable;
  inspection_results: InspectionResultsTable;
}

export type InspectionObjectRow = Selectable<InspectionObjectsTable>;
export type InspectionTemplateRow = Selectable<InspectionTemplatesTable>;
export type PlanRow = Selectable<PreventivePlansTable>;
export type InspectionRow = Selectable<InspectionsTable>;
export type ResultRow = Selectable<InspectionResultsTable>;
