import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import { useCan } from '../auth/permissions.js';
import { useSession } from '../auth/session.js';
import { useConnection } from '../store/hooks.js';
import { LanguageSelect } from './LanguageSelect.js';
import { TrappedBanner } from './TrappedBanner.js';

/** The pages, each shown to those whose role may use it (the hub checks again). */
const NAV: ReadonlyArray<{ to: string; key: string; end: boolean; permission?: string }> = [
  { to: '/', key: 'nav.board', end: true },
  { to: '/devices', key: 'nav.devices', end: false },
  { to: '/alarms', key: 'nav.alarms', end: false },
  { to: '/orders', key: 'nav.orders', end: false, permission: 'orders.read' },
  { to: '/inspections', key: 'nav.inspections', end: false, permission: 'orders.read' },
  { to: '/energy', key: 'nav.energy', end: false, permission: 'reports.read' },
  { to: '/reports', key: 'nav.reports', end: false, permission: 'reports.read' },
];

export function Shell({ children, error }: { children: ReactNode; error: string | null }) {
  const { t } = useTranslation();
  const connection = useConnection();
  const { session, signOut, showSignIn } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  const can = useCan();
  return (
    <>
      <a className="skip" href="#content">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <p className="brand">{t('app.name')}</p>
        <nav aria-label={t('nav.label')}>
          <ul>
            {NAV.filter((item) => !item.permission || can(item.permission)).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end}>
                  {t(item.key)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <p className={`connection connection-${connection}`} role="status" data-testid="connection">
          {t(`connection.${connection}`)}
        </p>
        <LanguageSelect />
        {session.status === 'signed-in' ? (
          session.demo ? (
            <div className="user">
              <span className="muted">{t('auth.demo')}</span>
              <button type="button" onClick={showSignIn}>
                {t('auth.signInAsPerson')}
              </button>
            </div>
          ) : (
            <div className="user">
              <span>
                {t('auth.signedInAs', {
                  name: session.me.display_name,
                  role: t(`roles.${session.me.role}`, { defaultValue: session.me.role }),
                })}
              </span>
              <button
                type="button"
                disabled={signingOut}
                onClick={() => {
                  setSigningOut(true);
                  void signOut().finally(() => setSigningOut(false));
                }}
              >
                {t('auth.signOut')}
              </button>
            </div>
          )
        ) : null}
      </header>
      <TrappedBanner />
      <main id="content" tabIndex={-1}>
        {error ? (
          <p className="banner" role="alert">
            {t('error.generic', { error })}
          </p>
        ) : null}
        {children}
      </main>
    </>
  );
}
