import { useTranslation } from 'react-i18next';
import { useTitle } from '../../components/use-title.js';

/** The energy pages, mounted at /energy/* by App.tsx (the feature's own sub-routes go here). */
export default function EnergyRoutes() {
  const { t } = useTranslation();
  useTitle(t('energy.title'));
  return <h1>{t('energy.title')}</h1>;
}
