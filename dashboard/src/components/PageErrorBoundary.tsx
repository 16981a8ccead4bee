import type { ReactNode } from 'react';
import { ErrorBoundary, getErrorMessage } from 'react-error-boundary';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'react-router';

/**
 * A page that throws while drawing (a chart given data it cannot draw, a page's code that failed
 * to download after the hub was upgraded) shows what happened in place of the page, with a way
 * to try again; the nav, the live connection and the trapped-passenger banner stay up. Moving to
 * another page clears it.
 */
export function PageErrorBoundary({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <ErrorBoundary
      resetKeys={[pathname]}
      onError={(error) => console.error('Caretaker: a page failed', error)}
      fallbackRender={({ error, resetErrorBoundary }) => (
        <PageFailed error={error} retry={resetErrorBoundary} />
      )}
    >
      {children}
    </ErrorBoundary>
  );
}

function PageFailed({ error, retry }: { error: unknown; retry: () => void }) {
  const { t } = useTranslation();
  return (
    <section className="panel page-failed" role="alert" data-testid="page-failed">
      <h1>{t('pageFailed.title')}</h1>
      <p>{t('pageFailed.intro')}</p>
      <pre className="small">{getErrorMessage(error) ?? String(error)}</pre>
      <p className="toolbar">
        <button type="button" onClick={retry}>
          {t('pageFailed.retry')}
        </button>
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          {t('pageFailed.reload')}
        </button>
      </p>
    </section>
  );
}
