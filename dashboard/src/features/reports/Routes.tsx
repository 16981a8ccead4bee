import { useTranslation } from 'react-i18next';
import { Route, Routes } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useSession } from '../../auth/session.js';
import { useTitle } from '../../components/use-title.js';
import { useFeatureMessages } from '../../i18n/i18n.js';
import * as messages from './messages.js';
import { ReportsPage } from './ReportsPage.js';

/**
 * The reports pages, mounted at /reports/* by App.tsx. Technicians and requesters may not read
 * reports (the hub answers 403): they are told so instead of being shown empty charts.
 */
export default function ReportsRoutes() {
  useFeatureMessages('reports', messages);
  const can = useCan();
  if (!can('reports.read')) return <Denied />;
  return (
    <Routes>
      <Route path="*" element={<ReportsPage />} />
    </Routes>
  );
}

function Denied() {
  const { t } = useTranslation();
  const { session } = useSession();
  useTitle(t('reports.title'));
  const role = session.status === 'signed-in' ? session.me.role : '';
  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">{t('reports.title')}</h1>
      <p role="alert" data-testid="reports-denied">
        {t('reports.denied', { role: t(`roles.${role}`, { defaultValue: role }) })}
      </p>
    </section>
  );
}
