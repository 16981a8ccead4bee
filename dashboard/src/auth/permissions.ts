import { useCallback } from 'react';
import { useSession } from './session.js';

/**
 * What the signed-in user may do (GET /api/auth/me's `permissions`, the hub's role table): the
 * dashboard hides what the hub would refuse. The hub still checks every request; this is only
 * so that nobody is offered a button that can only fail. The demo's anonymous administrator may
 * do everything.
 */
export function useCan(): (permission: string) => boolean {
  const { session } = useSession();
  return useCallback(
    (permission: string) =>
      session.status === 'signed-in' && (session.demo || session.me.permissions.includes(permission)),
    [session],
  );
}
