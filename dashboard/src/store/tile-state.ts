import type { AlarmSeverity, AlarmSummary, DeviceSummary } from '@caretaker/protocol';

/** What a tile shows at a glance; always as an icon and a word too, never by colour alone. */
export const TILE_STATES = ['alarm', 'warning', 'offline', 'stale', 'normal'] as const;
export type TileState = (typeof TILE_STATES)[number];

export const TILE_ICONS: Record<TileState, string> = {
  alarm: '⚠',
  warning: '▲',
  offline: '✕',
  stale: '◷',
  normal: '●',
};

const SEVERITY_RANK: Record<AlarmSeverity, number> = { info: 0, warning: 1, major: 2, critical: 3 };

export function severityRank(severity: AlarmSeverity): number {
  return SEVERITY_RANK[severity] ?? 0;
}

/** The hub's own communication-loss rule: the device's state already says offline or stale. */
export const COMM_LOSS_RULE = 'comm_loss';

export function isOpen(alarm: AlarmSummary): boolean {
  return alarm.state === 'active' || alarm.state === 'clearing';
}

/**
 * A passenger trapped in a lift: the rule pack names it `elevator.passenger_trapped`; a site's own
 * pack may name it differently, so any rule whose id says "trapped" counts.
 */
export function isPassengerTrapped(alarm: AlarmSummary): boolean {
  return /trapped/i.test(alarm.rule_id);
}

/**
 * What the trapped-passenger banner shows: every trapped alarm still in force, and one that
 * cleared before anybody acknowledged it; it rings while any of them is unacknowledged.
 */
export function trappedBanner(alarms: readonly AlarmSummary[]): { shown: AlarmSummary[]; ringing: boolean } {
  const shown = alarms.filter(
    (a) => isPassengerTrapped(a) && a.raised_at !== null && (a.state !== 'cleared' || !a.acknowledged),
  );
  return { shown, ringing: shown.some((a) => !a.acknowledged) };
}

/** The worst open alarm of each device (communication loss aside). */
export function worstAlarmByDevice(alarms: readonly AlarmSummary[]): Map<string, AlarmSummary> {
  const worst = new Map<string, AlarmSummary>();
  for (const alarm of alarms) {
    if (!alarm.device || !isOpen(alarm) || alarm.rule_id === COMM_LOSS_RULE) continue;
    const current = worst.get(alarm.device);
    if (
      !current ||
      severityRank(alarm.severity) > severityRank(current.severity) ||
      (alarm.severity === current.severity && (alarm.raised_at ?? 0) > (current.raised_at ?? 0))
    ) {
      worst.set(alarm.device, alarm);
    }
  }
  return worst;
}

/**
 * A major or critical alarm outranks everything (a trapped passenger in a lift that then drops
 * off-line is still the news); then off-line; then a minor alarm; then no fresh data.
 */
export function tileState(device: DeviceSummary, alarm: AlarmSummary | undefined): TileState {
  if (alarm && severityRank(alarm.severity) >= SEVERITY_RANK.major) return 'alarm';
  if (device.status === 'offline') return 'offline';
  if (alarm) return 'warning';
  if (device.status === 'stale' || device.status === 'unknown') return 'stale';
  return 'normal';
}

/** Alarm lists: open before cleared, then the most severe, then the newest. */
export function compareAlarms(a: AlarmSummary, b: AlarmSummary): number {
  return (
    Number(isOpen(b)) - Number(isOpen(a)) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    (b.raised_at ?? 0) - (a.raised_at ?? 0) ||
    b.id - a.id
  );
}
