import { useEffect, useState } from 'react';
import { useLiveStore } from '../../store/hooks.js';

/**
 * A number that goes up whenever the hub announces a maintenance change (socket.io
 * `maintenance.changed`: an order created or changed, an alarm raised or cleared). The live
 * connection answers each announcement by reloading the alarms into the store, so the store's
 * alarm notifications are that signal, already coalesced (a burst costs one reload here too).
 */
export function useMaintenanceVersion(): number {
  const store = useLiveStore();
  const [version, setVersion] = useState(0);
  useEffect(() => store.subscribeAlarms(() => setVersion((n) => n + 1)), [store]);
  return version;
}
