import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { useSession } from '../auth/session.js';
import { LanguageSelect } from '../components/LanguageSelect.js';
import { useTitle } from '../components/use-title.js';

/** Sign-in: POST /api/auth/login sets the session cookie; the page the user asked for then opens. */
export function LoginPage({ expired }: { expired: boolean }) {
  const { t } = useTranslation();
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const userId = useId();
  const passwordId = useId();
  const errorId = useId();
  useTitle(t('auth.title'));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn({ username, password });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('auth.wrong'));
      else if (err instanceof ApiError && err.status === 429) setError(t('auth.throttled'));
      else setError(t('auth.failed', { error: err instanceof Error ? err.message : String(err) }));
      setBusy(false);
    }
  };

  return (
    <main className="login" id="content">
      <form
        className="login-form"
        onSubmit={(e) => void submit(e)}
        aria-describedby={error ? errorId : undefined}
      >
        <h1>{t('app.name')}</h1>
        <h2>{t('auth.title')}</h2>
        <p className="muted">{t('auth.intro')}</p>
        {expired || error ? (
          <p className="banner" role="alert" id={errorId}>
            {error ?? t('auth.expired')}
          </p>
        ) : null}
        <label htmlFor={userId}>{t('auth.username')}</label>
        <input
          id={userId}
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor={passwordId}>{t('auth.password')}</label>
        <input
          id={passwordId}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? t('auth.submitting') : t('auth.submit')}
        </button>
        <LanguageSelect />
      </form>
    </main>
  );
}
