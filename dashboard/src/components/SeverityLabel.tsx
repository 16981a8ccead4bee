import type { AlarmSeverity } from '@caretaker/protocol';
import { useTranslation } from 'react-i18next';

const ICONS: Record<AlarmSeverity, string> = { critical: '‼', major: '⚠', warning: '▲', info: 'ℹ' };

export function SeverityLabel({ severity }: { severity: AlarmSeverity }) {
  const { t } = useTranslation();
  return (
    <span className={`severity severity-${severity}`}>
      <span aria-hidden="true">{ICONS[severity]}</span> {t(`severity.${severity}`)}
    </span>
  );
}
