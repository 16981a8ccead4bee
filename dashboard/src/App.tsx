import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Route, Routes } from 'react-router';
import { useSession } from './auth/session.js';
import { PageErrorBoundary } from './components/PageErrorBoundary.js';
import { Shell } from './components/Shell.js';
import { AlarmsPage } from './pages/AlarmsPage.js';
import { BoardPage } from './pages/BoardPage.js';
import { DevicesPage } from './pages/DevicesPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { LiveStoreContext } from './store/hooks.js';
import { connectStore } from './store/live-connection.js';
import { LiveStore } from './store/live-store.js';

// The device page carries the chart library: loaded when first opened, not with the board.
const DevicePage = lazy(() => import('./pages/DevicePage.js'));
// Each feature's pages load when first opened: the wall screen's board never carries them.
const OrdersRoutes = lazy(() => import('./features/orders/Routes.js'));
const InspectionsRoutes = lazy(() => import('./features/inspections/Routes.js'));
const EnergyRoutes = lazy(() => import('./features/energy/Routes.js'));
const ReportsRoutes = lazy(() => import('./features/reports/Routes.js'));

/** Signed in: the live store, fed by the hub, and the pages. Otherwise the sign-in page. */
export function App() {
  const { session, retry } = useSession();
  const { t } = useTranslation();
  if (session.status === 'checking') return <p className="centered muted">{t('auth.checking')}</p>;
  if (session.status === 'unreachable') {
    return (
      <div className="centered" role="alert">
        <p>{t('auth.unreachable', { error: session.error })}</p>
        <button type="button" onClick={retry}>
          {t('auth.retry')}
        </button>
      </div>
    );
  }
  if (session.status === 'signed-out') return <LoginPage expired={session.expired} />;
  return <LiveApp />;
}

function LiveApp() {
  const [store] = useState(() => new LiveStore());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => connectStore(store, setError), [store]);
  useEffect(() => {
    // The benchmark and the browser tests read the store's flushes (nothing else uses this).
    (window as unknown as { __caretakerStore?: LiveStore }).__caretakerStore = store;
  }, [store]);
  return (
    <LiveStoreContext.Provider value={store}>
      <BrowserRouter>
        <Shell error={error}>
          <PageErrorBoundary>
            <Suspense fallback={null}>
              <Routes>
                <Route index element={<BoardPage />} />
                <Route path="devices" element={<DevicesPage />} />
                <Route path="devices/:id" element={<DevicePage />} />
                <Route path="alarms" element={<AlarmsPage />} />
                <Route path="orders/*" element={<OrdersRoutes />} />
                <Route path="inspections/*" element={<InspectionsRoutes />} />
                <Route path="energy/*" element={<EnergyRoutes />} />
                <Route path="reports/*" element={<ReportsRoutes />} />
                <Route path="*" element={<BoardPage />} />
              </Routes>
            </Suspense>
          </PageErrorBoundary>
        </Shell>
      </BrowserRouter>
    </LiveStoreContext.Provider>
  );
}
