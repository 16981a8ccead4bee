import type { AlarmSeverity } from '@caretaker/protocol';
import type { TFunction } from 'i18next';

const ICONS: Record<AlarmSeverity, string> = { critical: '‼', major: '⚠', warning: '▲', info: 'ℹ' };

/** `t` comes from the caller: the board renders a thousand of these without a hook each. */
export function SeverityLabel({ severity, t }: { severity: AlarmSeverity; t: TFunction }) {
  return (
    <span className={`severity severity-${severity}`}>
      <span aria-hidden="true">{ICONS[severity]}</span> {t(`severity.${severity}`)}
    </span>
  );
}
