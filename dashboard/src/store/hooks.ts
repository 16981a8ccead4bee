import type { AlarmSummary } from '@caretaker/protocol';
import { createContext, useCallback, useContext, useRef, useSyncExternalStore } from 'react';
import type { BoardLayout, Connection, DeviceView, LiveStore } from './live-store.js';

export const LiveStoreContext = createContext<LiveStore | null>(null);

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore outside a LiveStoreContext');
  return store;
}

/** One device; the component re-renders only when that device's view is replaced. */
export function useDevice(id: string): DeviceView | undefined {
  const store = useLiveStore();
  const subscribe = useCallback((listener: () => void) => store.subscribeDevice(id, listener), [store, id]);
  return useSyncExternalStore(subscribe, () => store.device(id));
}

/**
 * A device for a tile: every change while `live`, otherwise only changes of what the tile's
 * header shows (state, alarm, place). Readings of off-screen devices then cost a comparison.
 */
export function useTileDevice(id: string, live: boolean): DeviceView | undefined {
  const store = useLiveStore();
  const shown = useRef<DeviceView | undefined>(undefined);
  const subscribe = useCallback((listener: () => void) => store.subscribeDevice(id, listener), [store, id]);
  const getSnapshot = useCallback(() => {
    const next = store.device(id);
    if (!live && shown.current && next && sameHeader(shown.current, next)) return shown.current;
    shown.current = next;
    return next;
  }, [store, id, live]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

function sameHeader(a: DeviceView, b: DeviceView): boolean {
  return (
    a.state === b.state &&
    a.alarm === b.alarm &&
    a.building === b.building &&
    a.site === b.site &&
    a.summary.type === b.summary.type &&
    a.summary.error === b.summary.error
  );
}

export function useLayout(): BoardLayout {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribeLayout, () => store.layout());
}

export function useAlarms(): readonly AlarmSummary[] {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribeAlarms, () => store.alarms());
}

export function useConnection(): Connection {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribeConnection, () => store.connection());
}
