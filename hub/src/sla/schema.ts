import type { Generated } from 'kysely';

/**
 * Tables of service levels and dispatch (migration 0004_sla_dispatch). The SLA columns added to
 * `work_orders` by the same migration are typed in `SlaOrderColumns` and merged into the
 * work-order table through `Database` (see hub/src/db/schema.ts).
 */

/** A weekly shift: on `weekday` (ISO, 1 = Monday) from start to end minute, site-local time. */
export interface ShiftsTable {
  id: Generated<number>;
  username: string;
  weekday: number;
  /** Minutes after local midnight, 0 to 1439. */
  start_minute: number;
  /** 1 to 1440; not after start_minute means the shift runs past midnight into the next day. */
  end_minute: number;
  /** Only at this site; null: at any of the user's sites. */
  site: string | null;
}

/**
 * A dated roster entry: it replaces the weekly shifts of that user for that local date (a
 * swap, an extra day, leave). `on_duty` 0 with no times is a day off.
 */
export interface RosterDaysTable {
  id: Generated<number>;
  username: string;
  /** Local date, YYYY-MM-DD. */
  day: string;
  start_minute: number | null;
  end_minute: number | null;
  site: string | null;
  on_duty: number;
  note: string | null;
}

/** A warning recorded at a share of a limit: at most one per order, limit and percent. */
export interface SlaWarningsTable {
  order_id: number;
  /** response or completion. */
  limit_kind: string;
  percent: number;
  ts: number;
}

/** One escalation step: at most one per order, limit and level. */
export interface SlaEscalationsTable {
  order_id: number;
  limit_kind: string;
  level: number;
  ts: number;
  /** JSON array of the user names notified (empty: nobody further up the chain). */
  notified: string;
  reason: string;
}

export interface SlaDispatchTables {
  /** Merged with the core work_orders table (an intersection in `Database`). */
  work_orders: SlaOrderColumns;
  shifts: ShiftsTable;
  roster_days: RosterDaysTable;
  sla_warnings: SlaWarningsTable;
  sla_escalations: SlaEscalationsTable;
}

/** Columns of `work_orders` added by 0004_sla_dispatch. */
export interface SlaOrderColumns {
  /** The limits applied (ms of running clock), fixed at creation, tightened by a priority raise. */
  response_limit_ms: number | null;
  completion_limit_ms: number | null;
  /** How much of sla_paused_ms has already moved the due times (makes the shift idempotent). */
  sla_applied_pause_ms: Generated<number>;
  /** When the SLA sweep next has something to do for this order (a hint: early is harmless). */
  sla_next_check_at: number | null;
}
