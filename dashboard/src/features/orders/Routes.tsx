import { useTranslation } from 'react-i18next';
import { useTitle } from '../../components/use-title.js';

/** The orders pages, mounted at /orders/* by App.tsx (the feature's own sub-routes go here). */
export default function OrdersRoutes() {
  const { t } = useTranslation();
  useTitle(t('orders.title'));
  return <h1>{t('orders.title')}</h1>;
}
