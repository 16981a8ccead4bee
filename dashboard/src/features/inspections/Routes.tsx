import { useTranslation } from 'react-i18next';
import { useTitle } from '../../components/use-title.js';

/** The inspections pages, mounted at /inspections/* by App.tsx (the feature's own sub-routes go here). */
export default function InspectionsRoutes() {
  const { t } = useTranslation();
  useTitle(t('inspections.title'));
  return <h1>{t('inspections.title')}</h1>;
}
