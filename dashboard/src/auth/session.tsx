import type { LoginRequest, MeResponse } from '@caretaker/protocol';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, onUnauthorized } from '../api/client.js';

/**
 * Who is using the dashboard. GET /api/auth/me decides: 200 signed in (the demo's anonymous
 * administrator included), 401 the sign-in page, 404 a hub without accounts (demo, no sign-in).
 */
export type Session =
  | { status: 'checking' }
  | { status: 'signed-in'; me: MeResponse; demo: boolean }
  | { status: 'signed-out'; expired: boolean }
  | { status: 'unreachable'; error: string };

interface SessionApi {
  session: Session;
  signIn(credentials: LoginRequest): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
  /** The demo's "sign in as one of the demo people": the sign-in page, without a session to end. */
  showSignIn(): void;
}

const SessionContext = createContext<SessionApi | null>(null);

/** The hub's demo mode answers as this anonymous administrator (hub/src/people/actor.ts). */
const DEMO_USER = 'demo';
const NO_ACCOUNTS: MeResponse = {
  username: DEMO_USER,
  display_name: DEMO_USER,
  role: 'admin',
  sites: 'all',
  permissions: [],
};

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>({ status: 'checking' });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is the retry trigger
  useEffect(() => {
    const controller = new AbortController();
    setSession({ status: 'checking' });
    api.me(controller.signal).then(
      (me) => setSession({ status: 'signed-in', me, demo: me.username === DEMO_USER && me.role === 'admin' }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401)
          setSession({ status: 'signed-out', expired: false });
        else if (err instanceof ApiError && err.status === 404)
          setSession({ status: 'signed-in', me: NO_ACCOUNTS, demo: true });
        else setSession({ status: 'unreachable', error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => {
    onUnauthorized(() => setSession((s) => ({ status: 'signed-out', expired: s.status === 'signed-in' })));
    return () => onUnauthorized(null);
  }, []);

  const signIn = useCallback(async (credentials: LoginRequest) => {
    const { expires_at: _expires, ...me } = await api.login(credentials);
    setSession({ status: 'signed-in', me, demo: false });
  }, []);
  const signOut = useCallback(async () => {
    await api.logout().catch(() => undefined);
    setSession({ status: 'signed-out', expired: false });
  }, []);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const showSignIn = useCallback(() => setSession({ status: 'signed-out', expired: false }), []);

  const value = useMemo(
    () => ({ session, signIn, signOut, retry, showSignIn }),
    [session, signIn, signOut, retry, showSignIn],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a SessionProvider');
  return value;
}
