import type { Logger } from '@caretaker/protocol/log';
import type { TimeSeriesStore } from '../storage/time-series-store.js';
import type { LiveStateService } from './live-state.service.js';

/**
 * After a restart, fills the live state with the store's latest values, so the board is not empty
 * until each device reports again (their states stay unknown and the values stale until then).
 * Never fails the start: a store that is down or slow only means an empty board for a while; a
 * late answer is still merged (values that came live meanwhile are kept).
 */
export async function restoreLatest(
  store: TimeSeriesStore,
  live: LiveStateService,
  log: Logger,
  timeoutMs = 10_000,
): Promise<void> {
  const restored = store.latestAll().then(
    (devices) => {
      const added = live.restore(devices);
      log.info({ devices: devices.length, added }, 'latest values restored from the store');
    },
    (err: Error) => log.warn({ err: err.message }, 'could not restore the latest values from the store'),
  );
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ timeout_ms: timeoutMs }, 'the store is slow to list latest values; starting without them');
      resolve();
    }, timeoutMs);
    timer.unref();
  });
  await Promise.race([restored, waited]);
  clearTimeout(timer);
}
