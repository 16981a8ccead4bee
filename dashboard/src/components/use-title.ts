import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** The page's title in the tab (and for screen readers on navigation). */
export function useTitle(title: string): void {
  const { t } = useTranslation();
  const app = t('app.name');
  useEffect(() => {
    document.title = `${title} · ${app}`;
  }, [title, app]);
}
