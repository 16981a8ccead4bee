import { api, connectLive, signalUnauthorized, takePrefetchedBoard } from '../api/client.js';
import type { LiveStore } from './live-store.js';

const ALARM_REFRESH_MS = 300;

/**
 * Feeds a LiveStore from the hub: the socket.io stream and the REST snapshots, merged by
 * timestamp whatever the order they arrive in (nothing goes back in time). Alarms
 * are refetched when the hub says they changed (a burst of changes costs one request).
 * Returns the function that disconnects.
 */
export function connectStore(store: LiveStore, onError: (message: string | null) => void): () => void {
  const socket = connectLive();
  const controller = new AbortController();
  store.historyLoader = async (device, point, from, to) => {
    // About one bucket per sparkline step.
    const buckets = Math.max(1, Math.round((to - from) / store.history.stepMs));
    const res = await api.series(device, { point, from, to, buckets }, controller.signal);
    const present = res.buckets.filter((b) => b.count > 0);
    return { ts: present.map((b) => b.ts), values: present.map((b) => b.mean) };
  };
  let alarmTimer: ReturnType<typeof setTimeout> | null = null;
  let alarmsInFlight = false;
  let alarmsAgain = false;

  const report = (err: unknown) => {
    if (!controller.signal.aborted) onError(err instanceof Error ? err.message : String(err));
  };
  const loadAlarms = async () => {
    alarmTimer = null;
    if (alarmsInFlight) {
      alarmsAgain = true;
      return;
    }
    alarmsInFlight = true;
    try {
      store.setAlarms((await api.alarms(controller.signal)).alarms);
    } catch (err) {
      report(err);
    } finally {
      alarmsInFlight = false;
      if (alarmsAgain) {
        alarmsAgain = false;
        void loadAlarms();
      }
    }
  };
  const refreshAlarms = () => {
    alarmTimer ??= setTimeout(() => void loadAlarms(), ALARM_REFRESH_MS);
  };
  const loadAll = async () => {
    try {
      const [devices, assets] = await (
        takePrefetchedBoard()?.catch(() => null) ?? Promise.resolve(null)
      ).then(
        (early) =>
          early ??
          Promise.all([
            api.devices(controller.signal),
            // An older hub has no assets: the board then groups by site only.
            api.assets(controller.signal).catch(() => ({ sites: [] })),
          ]),
      );
      store.setAssets(assets);
      store.loadDevices(devices.devices);
      await loadAlarms();
      onError(null);
    } catch (err) {
      report(err);
    }
  };

  socket.on('device.changed', ({ device }) => store.deviceChanged(device));
  socket.on('readings.updated', (event) => store.readingsUpdated(event));
  socket.on('maintenance.changed', refreshAlarms);
  // The snapshot loads while the socket connects (a first screen sooner); readings in the gap
  // are replaced by the next ones within a second. After a reconnect everything is loaded again.
  let connectedBefore = false;
  void loadAll();
  socket.on('connect', () => {
    store.setConnection('live');
    if (connectedBefore) void loadAll();
    connectedBefore = true;
  });
  socket.on('disconnect', () => store.setConnection('reconnecting'));
  socket.on('connect_error', (err) => {
    store.setConnection('reconnecting');
    if (err.message === 'unauthorized') signalUnauthorized();
    else report(err);
  });
  return () => {
    store.historyLoader = null;
    controller.abort();
    if (alarmTimer) clearTimeout(alarmTimer);
    socket.close();
  };
}
