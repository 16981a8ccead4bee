import { useTranslation } from 'react-i18next';
import { Route, Routes } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useSession } from '../../auth/session.js';
import { useTitle } from '../../components/use-title.js';
import { useFeatureMessages } from '../../i18n/i18n.js';
import { EnergyPage } from './EnergyPage.js';
import * as messages from './messages.js';

/**
 * The energy pages, mounted at /energy/* by App.tsx. Roles without reports.read get a sentence
 * instead of charts the hub would refuse (403).
 */
export default function EnergyRoutes() {
  useFeatureMessages('energy', messages);
  const can = useCan();
  if (!can('reports.read')) return <Denied />;
  return (
    <Routes>
      <Route path="*" element={<EnergyPage />} />
    </Routes>
  );
}

function Denied() {
  const { t } = useTranslation();
  const { session } = useSession();
  useTitle(t('energy.title'));
  const role = session.status === 'signed-in' ? session.me.role : '';
  return (
    <section aria-labelledby="energy-title">
      <h1 id="energy-title">{t('energy.title')}</h1>
      <p role="alert" data-testid="energy-denied">
        {t('energy.denied', { role: t(`roles.${role}`, { defaultValue: role }) })}
      </p>
    </section>
  );
}
