import type { AlarmSeverity } from './api.js';

/**
 * Work orders as the hub serves them: the orders themselves (/api/work-orders), their SLA clocks
 * (/api/work-orders/<id>/sla, /api/service-levels), the workflow (/api/workflow) and the parts
 * they used (/api/work-orders/<id>/parts, /api/stock). Times are epoch milliseconds.
 */

/** Every status; open ones are all but the closed ones. */
export const ORDER_STATUSES = [
  'pending_acceptance',
  'to_dispatch',
  'in_repair',
  'awaiting_check',
  /** Moved into a plan with a supervisor's approval: open, but its clock is stopped. */
  'deferred',
  'completed',
  'closed',
  'cancelled',
] as const;
export type WorkOrderStatus = (typeof ORDER_STATUSES)[number];
export const CLOSED_ORDER_STATUSES: readonly WorkOrderStatus[] = ['completed', 'closed', 'cancelled'];
/** What a technician names as the cause when completing an order. */
export const FAULT_CATEGORIES = ['natural_wear', 'misuse', 'human_damage', 'other'] as const;
export type FaultCategory = (typeof FAULT_CATEGORIES)[number];
/** 1 (most urgent) to 4. */
export const ORDER_PRIORITIES = [1, 2, 3, 4] as const;
export type OrderPriority = (typeof ORDER_PRIORITIES)[number];
export type OrderSource = 'sensor' | 'manual' | 'qr' | 'preventive';
export type OrderKind = 'corrective' | 'preventive';

/** What a sensor order carries: the rule that fired, the alarm and the readings before it. */
export interface OrderEvidence {
  rule?: {
    id: string;
    title?: string;
    when?: Array<{ point?: string }>;
    trend?: { point?: string };
  };
  alarm?: { id: number; raised_at: number | null };
  values?: Record<string, number>;
}

/** One work order as the API shows it (its `evidence` parsed). */
export interface WorkOrder {
  id: number;
  code: string;
  /** Same key as the alarm; at most one open order per key. */
  incident_key: string;
  status: WorkOrderStatus;
  source: OrderSource;
  kind: OrderKind;
  site: string;
  building: string | null;
  location: string | null;
  device: string | null;
  rule_id: string | null;
  title: string;
  description: string;
  problem_type: string;
  /** 1 (most urgent) to 4. */
  priority: number;
  severity: AlarmSeverity;
  alarm_id: number | null;
  previous_order_id: number | null;
  occurrences: number;
  reopen_count: number;
  /** 0 once the same incident came back within 72 h of completion. */
  first_time_fix: number;
  /** Who asked for it: a user name, or the name a QR report gave. */
  requester: string | null;
  /** The technician responsible; co-assignees are listed with the order's detail. */
  assignee: string | null;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  dispatched_at: number | null;
  started_at: number | null;
  check_requested_at: number | null;
  completed_at: number | null;
  closed_at: number | null;
  cancelled_at: number | null;
  cancel_reason: string | null;
  response_due_at: number | null;
  completion_due_at: number | null;
  /** The limits applied (ms of running clock), fixed at creation, tightened by a priority raise. */
  response_limit_ms?: number | null;
  completion_limit_ms?: number | null;
  /** While deferred (or otherwise paused) the SLA clock stops: since when, and the total so far. */
  sla_paused_since: number | null;
  sla_paused_ms: number;
  /** 0: not escalated; n: escalated n levels up the chain. */
  escalation_level: number;
  defer_requested_at: number | null;
  defer_reason: string | null;
  deferred_until: number | null;
  /** The preventive plan that generated it. */
  plan_id: number | null;
  labour_minutes: number;
  fault_category: string | null;
  resolution: string | null;
  /** The requester's satisfaction, 1 to 5. */
  rating: number | null;
  rating_comment: string | null;
  /** Times the acceptance check sent it back. */
  reject_count: number;
  evidence: OrderEvidence;
}

/**
 * How a list of orders is ordered; every order has the id as the last tie-breaker, so paging
 * with limit/offset neither repeats nor skips an order. `urgent`: open before done, overdue and
 * at-risk first (judged at the answer's `as_of`), then priority, nearest deadline, newest.
 * `newest`: by creation. `updated`: most recently changed first (finished ones: most recently
 * finished).
 */
export const ORDER_LIST_SORTS = ['urgent', 'newest', 'updated'] as const;
export type OrderListSort = (typeof ORDER_LIST_SORTS)[number];

/** GET /api/work-orders: one page of the filtered orders and how many there are in all. */
export interface WorkOrderPage {
  work_orders: WorkOrder[];
  /** Every order the filters match, not only this page's. */
  total: number;
  limit: number;
  offset: number;
  sort: OrderListSort;
  /** The instant time-dependent filters and the urgent order were judged at (pass it back to page on). */
  as_of: number;
}

/** The desk's board: one column per stage of the lifecycle; completed and closed share the last. */
export const ORDER_BOARD_COLUMNS = [
  { key: 'pending_acceptance', statuses: ['pending_acceptance'] },
  { key: 'to_dispatch', statuses: ['to_dispatch'] },
  { key: 'in_repair', statuses: ['in_repair'] },
  { key: 'awaiting_check', statuses: ['awaiting_check'] },
  { key: 'deferred', statuses: ['deferred'] },
  { key: 'done', statuses: ['completed', 'closed'] },
] as const satisfies ReadonlyArray<{ key: string; statuses: readonly WorkOrderStatus[] }>;
export type OrderBoardColumnKey = (typeof ORDER_BOARD_COLUMNS)[number]['key'];

export interface OrderBoardColumn {
  key: OrderBoardColumnKey;
  /** The column's statuses the filters let through (none: the column is empty by filter). */
  statuses: WorkOrderStatus[];
  /** Every order of the column, however many cards it shows. */
  total: number;
  /** How its cards are ordered: the list's order, the done column's most recently finished first. */
  sort: OrderListSort;
  work_orders: WorkOrder[];
}

/** GET /api/work-orders/board: the first cards of each column and the columns' true counts. */
export interface OrderBoard {
  columns: OrderBoardColumn[];
  per_column: number;
  as_of: number;
}

/** One entry of an order's history: who did what when, the status before and after. */
export interface OrderEvent {
  id: number;
  order_id: number;
  ts: number;
  actor: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  detail: Record<string, unknown>;
}

export interface OrderAttachment {
  id: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  uploaded_by: string;
  uploaded_at: number;
}

export interface OrderAssignee {
  order_id: number;
  username: string;
  /** primary or assistant. */
  role: string;
  added_at: number;
  added_by: string;
}

/** GET /api/work-orders/<id>. */
export interface OrderDetail {
  work_order: WorkOrder;
  events: OrderEvent[];
  alarms: unknown[];
  assignees: OrderAssignee[];
  attachments: OrderAttachment[];
  /** The workflow actions this user may take on the order now. */
  actions_allowed: string[];
}

/** One action of the transition table as GET /api/workflow describes it. */
export interface WorkflowActionSummary {
  name: string;
  from: readonly WorkOrderStatus[];
  /** `same`: the action leaves the status as it is. */
  to: WorkOrderStatus | 'same';
  roles: ReadonlyArray<{ role: string; must_be?: string; from?: readonly WorkOrderStatus[] }>;
  /** The guards, as the workflow file states them. */
  when: readonly unknown[];
  body: { required: string[]; optional: string[] };
  effect: unknown;
}

/** GET /api/workflow. */
export interface WorkflowResponse {
  statuses: readonly WorkOrderStatus[];
  actions: WorkflowActionSummary[];
}

export const SLA_LIMIT_KINDS = ['response', 'completion'] as const;
export type SlaLimitKind = (typeof SLA_LIMIT_KINDS)[number];

/** One of an order's two SLA limits as of a moment. */
export interface SlaLimitState {
  kind: SlaLimitKind;
  /** The length of the limit on the running clock. */
  limit_ms: number;
  /** The deadline now, pauses included (moves while the order is deferred). */
  due_at: number;
  /** When the limit was met (null: not yet, or the order was cancelled first). */
  met_at: number | null;
  /** Running-clock time used so far (until met, cancelled or now). */
  elapsed_ms: number;
  /** Negative once overdue. */
  remaining_ms: number;
  /** Share of the limit used, one decimal (over 100 once overdue). */
  percent: number;
  breached: boolean;
  /** The clock of this limit is running now (not met, not cancelled, not paused). */
  running: boolean;
}

export interface SlaState {
  order_id: number;
  priority: number;
  paused: boolean;
  /** Time paused so far, the current pause included. */
  paused_ms: number;
  escalation_level: number;
  response: SlaLimitState | null;
  completion: SlaLimitState | null;
  /** Either limit breached. */
  breached: boolean;
}

/** GET /api/work-orders/<id>/sla. */
export interface SlaDetail {
  order_id: number;
  code: string;
  site: string;
  status: WorkOrderStatus;
  problem_type: string;
  at: number;
  sla: SlaState;
  /** `limit`: response or completion. */
  warnings: Array<{ limit: string; percent: number; ts: number }>;
  escalations: Array<{ limit: string; level: number; ts: number; notified: string[]; reason: string }>;
}

export interface ServiceLevelLimits {
  priority: number;
  response_ms: number;
  completion_ms: number;
  escalate_every_ms: number;
  max_level: number;
}

/** GET /api/service-levels: the limits per priority and per problem type. */
export interface ServiceLevelsResponse {
  response_ends: 'dispatched' | 'accepted';
  /** Percentages of a limit at which a warning goes out. */
  warn_at: readonly number[];
  priorities: Array<ServiceLevelLimits & { name: string }>;
  problem_types: Array<ServiceLevelLimits & { problem_type: string; description: string | null }>;
}

export const PART_MOVEMENT_KINDS = [
  'receive',
  'issue',
  'return',
  'adjust',
  'transfer_out',
  'transfer_in',
] as const;
export type PartMovementKind = (typeof PART_MOVEMENT_KINDS)[number];

/** A ledger row as the API shows it (quantities in units). */
export interface PartMovement {
  id: number;
  ts: number;
  kind: PartMovementKind;
  part_id: number;
  part_no: string;
  store_id: number;
  store: string;
  site: string;
  quantity: number;
  balance_after: number;
  unit: string;
  order_id: number | null;
  transfer_id: string | null;
  reason: string | null;
  reference: string | null;
  actor: string;
}

/** A part's stock in one store (GET /api/stock). */
export interface StockLevel {
  part_id: number;
  part_no: string;
  name: string;
  unit: string;
  store_id: number;
  store: string;
  site: string;
  quantity: number;
  min_quantity: number;
  low: boolean;
  updated_at: number;
}

/** GET /api/work-orders/<id>/parts: every movement and the net quantity per part. */
export interface OrderParts {
  order_id: number;
  code: string;
  movements: PartMovement[];
  parts: Array<{
    part_id: number;
    part_no: string;
    name: string;
    unit: string;
    issued: number;
    returned: number;
    used: number;
  }>;
}
