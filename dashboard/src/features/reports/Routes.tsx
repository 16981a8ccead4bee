import { useTranslation } from 'react-i18next';
import { useTitle } from '../../components/use-title.js';

/** The reports pages, mounted at /reports/* by App.tsx (the feature's own sub-routes go here). */
export default function ReportsRoutes() {
  const { t } = useTranslation();
  useTitle(t('reports.title'));
  return <h1>{t('reports.title')}</h1>;
}
