import type { WorkOrderStatus } from '@caretaker/protocol';
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AlarmAcknowledgementTables } from '../alarms/acknowledgement.service.js';
import type { DetectorStateTables } from '../alarms/detector-state.js';
import type { PartsTables } from '../parts/schema.js';
import type { PeopleTables } from '../people/schema.js';
import type { PreventiveTables } from '../preventive/schema.js';
import type { SlaDispatchTables } from '../sla/schema.js';
import type { WebhookTables } from '../webhooks/schema.js';
import type { WorkOrderTables } from '../workorders/schema.js';

/** Times are epoch milliseconds; flags are 0/1; JSON is text (portable across dialects). */

export type AlarmPhase = 'pending' | 'active' | 'clearing' | 'cleared';
export type Severity = 'info' | 'warning' | 'major' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'major', 'critical'];
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface AlarmsTable {
  id: Generated<number>;
  /** site/device/rule (or site/gateway:<id>/comm_loss): one incident. */
  incident_key: string;
  site: string;
  device: string | null;
  gateway: string | null;
  rule_id: string;
  title: string;
  state: AlarmPhase;
  severity: Severity;
  /** When the raise condition began (the hold time runs from here). */
  pending_since: number | null;
  /** When it first became active, and when it last did (re-raises of a flapping alarm). */
  first_raised_at: number | null;
  raised_at: number | null;
  clearing_since: number | null;
  cleared_at: number | null;
  /** Set once the alarm is over for good: a later raise opens a new alarm. */
  closed_at: number | null;
  /** How many times it became active (re-raises within the flap window fold in here). */
  occurrences: number;
  flapping: number;
  /** The root incident this alarm is a symptom of (power-room trip, gateway loss). */
  root_alarm_id: number | null;
  /** Why notifications are held back: maintenance, in_repair, symptom, frozen (comm loss). */
  silenced: string | null;
  /** The last reading time the detection has judged for this alarm's device. */
  evaluated_until: number | null;
  /** Rule, thresholds, values at the event, predicted time to the limit. */
  detail: string;
  updated_at: number;
}

/** The statuses are part of the API (protocol/src/api-orders.ts); re-exported for the hub's modules. */
export { CLOSED_ORDER_STATUSES, ORDER_STATUSES, type WorkOrderStatus } from '@caretaker/protocol';

export interface WorkOrdersTable {
  id: Generated<number>;
  code: string;
  /** Same key as the alarm; at most one open order per key (partial unique index). */
  incident_key: string;
  status: WorkOrderStatus;
  source: 'sensor' | 'manual' | 'qr' | 'preventive';
  kind: 'corrective' | 'preventive';
  site: string;
  device: string | null;
  rule_id: string | null;
  title: string;
  problem_type: string;
  /** 1 (most urgent) to 4. */
  priority: number;
  severity: Severity;
  alarm_id: number | null;
  previous_order_id: number | null;
  occurrences: number;
  reopen_count: number;
  /** 0 once the same incident came back within 72 h of completion. */
  first_time_fix: number;
  evidence: string;
  created_at: number;
  acknowledged_at: number | null;
  completed_at: number | null;
  closed_at: number | null;
  cancelled_at: number | null;
  cancel_reason: string | null;
  updated_at: number;
  // Issue 7 (migration 0002_order_lifecycle).
  building: string | null;
  location: string | null;
  description: Generated<string>;
  /** Who asked for it: a user name, or the name a QR report gave. */
  requester: string | null;
  /** The technician responsible; co-assignees are in work_order_assignees. */
  assignee: string | null;
  response_due_at: number | null;
  completion_due_at: number | null;
  /** While deferred (or otherwise paused) the SLA clock stops: since when, and the total so far. */
  sla_paused_since: number | null;
  sla_paused_ms: Generated<number>;
  /** 0: not escalated; n: escalated n levels up the chain. */
  escalation_level: Generated<number>;
  dispatched_at: number | null;
  started_at: number | null;
  check_requested_at: number | null;
  defer_requested_at: number | null;
  defer_reason: string | null;
  deferred_until: number | null;
  /** The preventive plan that generated it. */
  plan_id: number | null;
  labour_minutes: Generated<number>;
  /** At completion: natural_wear, misuse, human_damage, other. */
  fault_category: string | null;
  resolution: string | null;
  /** The requester's satisfaction, 1 to 5. */
  rating: number | null;
  rating_comment: string | null;
  /** Times the acceptance check sent it back. */
  reject_count: Generated<number>;
}

export interface WorkOrderAssigneesTable {
  order_id: number;
  username: string;
  /** primary or assistant. */
  role: string;
  added_at: number;
  added_by: string;
}

export interface WorkOrderAttachmentsTable {
  id: Generated<number>;
  order_id: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  /** Where the bytes are (a file under DATA_DIR/attachments, named by this key). */
  storage_key: string;
  uploaded_by: string;
  uploaded_at: number;
}

export interface WorkOrderEventsTable {
  id: Generated<number>;
  order_id: number;
  ts: number;
  actor: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  detail: string;
}

export interface WorkOrderAlarmsTable {
  order_id: number;
  alarm_id: number;
  /** trigger, repeat, symptom, silenced. */
  role: string;
  linked_at: number;
}

export interface MaintenanceWindowsTable {
  id: Generated<number>;
  site: string;
  /** null: the whole site. */
  device: string | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
}

/** The tables of issue 6; each later module adds its own to `Database`. */
export interface CoreTables {
  alarms: AlarmsTable;
  work_orders: WorkOrdersTable;
  work_order_events: WorkOrderEventsTable;
  work_order_alarms: WorkOrderAlarmsTable;
  maintenance_windows: MaintenanceWindowsTable;
  work_order_assignees: WorkOrderAssigneesTable;
  work_order_attachments: WorkOrderAttachmentsTable;
}

/** All tables: the core and every module's (`CoreTables & PeopleTables & ...`). */
export type Database = CoreTables &
  DetectorStateTables &
  PeopleTables &
  SlaDispatchTables &
  PartsTables &
  WebhookTables &
  WorkOrderTables &
  PreventiveTables &
  AlarmAcknowledgementTables;

export type AlarmRow = Selectable<AlarmsTable>;
export type NewAlarm = Insertable<AlarmsTable>;
export type AlarmUpdate = Updateable<AlarmsTable>;
export type WorkOrderRow = Selectable<WorkOrdersTable>;
export type NewWorkOrder = Insertable<WorkOrdersTable>;
