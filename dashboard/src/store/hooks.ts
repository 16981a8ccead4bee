import type { AlarmSummary } from '@caretaker/protocol';
import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';
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
