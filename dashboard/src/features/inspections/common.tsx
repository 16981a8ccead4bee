import type { InspectionItemStatus, InspectionStatus } from '@caretaker/protocol';
import { type DependencyList, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { pointLabel } from '../../components/point-label.js';
import { useFormat } from '../../i18n/format.js';
import { useLiveStore } from '../../store/hooks.js';
import type { WordsContext } from './schedule-words.js';

/** Pieces the inspection pages share: loading, live refresh, status labels. */

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'error'; error: string }
  | { state: 'ready'; data: T };

/** Loads with `fetcher` whenever `deps` change; a newer load supersedes an older one. */
export function useLoad<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): [Loaded<T>, (data: T) => void, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps (and retries) decide when to load again
  useEffect(() => {
    const controller = new AbortController();
    fetcher(controller.signal).then(
      (data) => setLoaded({ state: 'ready', data }),
      (err: unknown) => {
        if (!controller.signal.aborted)
          setLoaded({ state: 'error', error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => controller.abort();
  }, [...deps, attempt]);
  const set = useCallback((data: T) => setLoaded({ state: 'ready', data }), []);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return [loaded, set, retry];
}

/**
 * A number that goes up whenever the hub announces a maintenance change (socket.io
 * `maintenance.changed`, which the live connection answers by reloading the alarms): a
 * generated occurrence or a changed order shows without a reload.
 */
export function useMaintenanceVersion(): number {
  const store = useLiveStore();
  const [version, setVersion] = useState(0);
  useEffect(() => store.subscribeAlarms(() => setVersion((n) => n + 1)), [store]);
  return version;
}

export function LoadProblem({ error, retry }: { error: string; retry: () => void }) {
  const { t } = useTranslation();
  return (
    <div role="alert" className="banner">
      <p>{t('inspections.failedToLoad', { error })}</p>
      <button type="button" onClick={retry}>
        {t('inspections.retry')}
      </button>
    </div>
  );
}

const STATUS_ICONS: Record<string, string> = {
  open: '○',
  overdue: '⚠',
  done: '✓',
  done_on_time: '✓',
  done_late: '✓',
  skipped: '⤼',
  pending: '…',
  pass: '✓',
  fail: '✗',
};

/** An inspection's status: an icon and a word, never colour alone. */
export function StatusLabel({ status }: { status: InspectionStatus | 'done_on_time' | 'done_late' }) {
  const { t } = useTranslation();
  return (
    <span className={`insp-status insp-status-${status}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICONS[status]}</span> {t(`inspections.status.${status}`)}
    </span>
  );
}

/** One item's result: an icon and a word. */
export function ItemStatusLabel({ status }: { status: InspectionItemStatus }) {
  const { t } = useTranslation();
  return (
    <span className={`insp-status insp-item-${status}`} data-item-status={status}>
      <span aria-hidden="true">{STATUS_ICONS[status]}</span> {t(`inspections.item.${status}`)}
    </span>
  );
}

/** What the schedule-in-words functions need, in the reader's language. */
export function useWordsContext(): WordsContext {
  const { t } = useTranslation();
  const format = useFormat();
  return useMemo(
    () => ({
      t: (key, options) => t(key, options ?? {}),
      locale: format.locale,
      number: format.number,
      point: (point) => pointLabel(t, point),
    }),
    [t, format],
  );
}

/** A date and time with its machine-readable form. */
export function When({ ms, format }: { ms: number; format: (ms: number) => string }) {
  return <time dateTime={new Date(ms).toISOString()}>{format(ms)}</time>;
}
