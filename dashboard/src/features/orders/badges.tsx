import type { WorkOrderStatus } from '@caretaker/protocol';
import type { TFunction } from 'i18next';
import type { DeskSla } from './desk-filters.js';
import type { LimitPhase } from './sla-countdown.js';

/**
 * An order's status, priority and time-limit state: each an icon and a word, never colour alone.
 * The icons are plain Unicode symbols that common fonts carry (no emoji font needed on a wall screen).
 */

const STATUS_ICONS: Record<WorkOrderStatus, string> = {
  pending_acceptance: '✉',
  to_dispatch: '➜',
  in_repair: '⚒',
  awaiting_check: '☑',
  deferred: '‖',
  completed: '✔',
  closed: '▣',
  cancelled: '⊘',
};

export function StatusBadge({ status, t }: { status: WorkOrderStatus; t: TFunction }) {
  return (
    <span className={`obadge ostatus-${status}`} data-testid="order-status" data-status={status}>
      <span aria-hidden="true">{STATUS_ICONS[status]}</span> {t(`orderStatus.${status}`)}
    </span>
  );
}

const PRIORITY_ICONS = ['', '‼', '!', '•', '·'];

export function PriorityBadge({ priority, t }: { priority: number; t: TFunction }) {
  return (
    <span className={`obadge opriority-${priority}`} data-priority={priority}>
      <span aria-hidden="true">{PRIORITY_ICONS[priority] ?? ''}</span>{' '}
      {t(`orders.priority.p${priority}`, { defaultValue: `P${priority}` })}
    </span>
  );
}

const SLA_ICONS: Record<DeskSla | LimitPhase, string> = {
  overdue: '✖',
  at_risk: '⚠',
  on_track: '✓',
  running: '◔',
  paused: '‖',
  done: '✔',
  met_on_time: '✔',
  met_late: '✔',
  stopped: '■',
  none: '–',
};

export function SlaBadge({ sla, t }: { sla: DeskSla; t: TFunction }) {
  return (
    <span className={`obadge osla-${sla}`} data-testid="order-sla" data-sla={sla}>
      <span aria-hidden="true">{SLA_ICONS[sla]}</span> {t(`orders.sla.${sla}`)}
    </span>
  );
}

export function PhaseBadge({ phase, t }: { phase: LimitPhase; t: TFunction }) {
  return (
    <span className={`obadge ophase-${phase}`} data-phase={phase}>
      <span aria-hidden="true">{SLA_ICONS[phase]}</span> {t(`orders.slaPhase.${phase}`)}
    </span>
  );
}

/** `pump_fault` → the translated name, or `Pump fault` for a type without a translation. */
export function problemName(t: TFunction, type: string): string {
  const plain = type.replaceAll('_', ' ').replaceAll('.', ' ');
  return t(`orders.problem.${type}`, { defaultValue: plain.charAt(0).toUpperCase() + plain.slice(1) });
}
