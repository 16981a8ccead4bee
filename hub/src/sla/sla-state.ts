import type { SlaLimitState, SlaState } from '@caretaker/protocol';
import type { Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { LimitKind } from './service-levels.js';

/**
 * Where an order stands against its limits, computed from its row alone (the dashboard's
 * countdown, the reports' on-time rate, the escalation sweep). Pure: no I/O, time passed in.
 *
 * The clock of a limit runs from creation until the limit is met (dispatched or accepted for
 * the response limit, completed for the completion limit) and stops while the order is
 * deferred: a deadline moves later by every paused millisecond. `response_due_at` and
 * `completion_due_at` hold the deadline with every finished pause already added (the SLA
 * service adds each one when the order resumes); a pause in progress is added here.
 */

export type SlaOrder = Pick<
  Selectable<Database['work_orders']>,
  | 'id'
  | 'status'
  | 'priority'
  | 'created_at'
  | 'acknowledged_at'
  | 'dispatched_at'
  | 'completed_at'
  | 'cancelled_at'
  | 'response_due_at'
  | 'completion_due_at'
  | 'response_limit_ms'
  | 'completion_limit_ms'
  | 'sla_paused_since'
  | 'sla_paused_ms'
  | 'sla_applied_pause_ms'
  | 'escalation_level'
>;

const CLOSED = new Set(['completed', 'closed', 'cancelled']);

/** When the limit was met: the response when dispatched (or accepted), the completion when completed. */
export function metAt(
  order: SlaOrder,
  kind: LimitKind,
  responseEnds: 'dispatched' | 'accepted',
): number | null {
  if (kind === 'completion') return order.completed_at;
  const candidates = [
    order.dispatched_at,
    responseEnds === 'accepted' ? order.acknowledged_at : null,
    // Completed without a recorded dispatch (fixed on the spot): answered by then at the latest.
    order.completed_at,
  ].filter((t): t is number => t !== null);
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

/** Whether the order's limit clock is open (not met, not over). */
export function limitOpen(
  order: SlaOrder,
  kind: LimitKind,
  responseEnds: 'dispatched' | 'accepted',
): boolean {
  return !CLOSED.has(order.status) && metAt(order, kind, responseEnds) === null;
}

export function limitState(
  order: SlaOrder,
  kind: LimitKind,
  now: number,
  responseEnds: 'dispatched' | 'accepted',
): SlaLimitState | null {
  const limit = kind === 'response' ? order.response_limit_ms : order.completion_limit_ms;
  const storedDue = kind === 'response' ? order.response_due_at : order.completion_due_at;
  if (limit === null || storedDue === null) return null;
  const met = metAt(order, kind, responseEnds);
  const stoppedAt = met ?? (order.status === 'cancelled' ? (order.cancelled_at ?? now) : null);
  const end = stoppedAt ?? now;
  let due = storedDue;
  // Pauses the stored deadline does not hold yet: only while this limit's clock was open.
  if (stoppedAt === null) due += Math.max(0, order.sla_paused_ms - order.sla_applied_pause_ms);
  if (order.sla_paused_since !== null && order.sla_paused_since < end) due += end - order.sla_paused_since;
  const remaining = due - end;
  const elapsed = limit - remaining;
  return {
    kind,
    limit_ms: limit,
    due_at: due,
    met_at: met,
    elapsed_ms: elapsed,
    remaining_ms: remaining,
    percent: limit > 0 ? Math.round((elapsed / limit) * 1000) / 10 : 100,
    // Met exactly at the deadline is on time; an open clock at its deadline is due now.
    breached: stoppedAt === null ? remaining <= 0 : remaining < 0,
    running: stoppedAt === null && order.sla_paused_since === null,
  };
}

export function slaState(order: SlaOrder, now: number, responseEnds: 'dispatched' | 'accepted'): SlaState {
  const response = limitState(order, 'response', now, responseEnds);
  const completion = limitState(order, 'completion', now, responseEnds);
  const pausedNow = order.sla_paused_since !== null ? Math.max(0, now - order.sla_paused_since) : 0;
  return {
    order_id: order.id,
    priority: order.priority,
    paused: order.sla_paused_since !== null,
    paused_ms: order.sla_paused_ms + pausedNow,
    escalation_level: order.escalation_level,
    response,
    completion,
    breached: Boolean(response?.breached || completion?.breached),
  };
}
