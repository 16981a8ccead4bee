import type { AlarmSummary } from '@caretaker/protocol';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { AlarmSound } from '../audio/alarm-sound.js';
import { useSession } from '../auth/session.js';
import { useFormat } from '../i18n/format.js';
import { useAlarms, useLiveStore } from '../store/hooks.js';
import { isPassengerTrapped } from '../store/tile-state.js';

const ACK_KEY = 'caretaker.acknowledged-alarms';
const KEEP_ACKS_MS = 7 * 24 * 3_600_000;

interface Acknowledgement {
  by: string;
  at: number;
}

/** One raise of an alarm: a re-raise after it cleared must be acknowledged again. */
const raiseKey = (a: AlarmSummary) => `${a.id}:${a.raised_at ?? 0}`;

function loadAcks(): Record<string, Acknowledgement> {
  try {
    const all = JSON.parse(localStorage.getItem(ACK_KEY) ?? '{}') as Record<string, Acknowledgement>;
    const now = Date.now();
    return Object.fromEntries(Object.entries(all).filter(([, a]) => now - a.at < KEEP_ACKS_MS));
  } catch {
    return {};
  }
}

/**
 * A passenger trapped in a lift cannot be missed: a banner on every page and a repeating tone,
 * both until a person presses Acknowledge, even if the alarm clears meanwhile. Acknowledgements
 * are kept in this browser (each wall screen is acknowledged where it stands).
 */
export function TrappedBanner() {
  const { t } = useTranslation();
  const format = useFormat();
  const alarms = useAlarms();
  const store = useLiveStore();
  const { session } = useSession();
  const [acks, setAcks] = useState(loadAcks);
  const [seen, setSeen] = useState<ReadonlyMap<string, AlarmSummary>>(new Map());
  const sound = useRef<AlarmSound | null>(null);
  sound.current ??= new AlarmSound();
  const soundState = useSyncExternalStore(sound.current.subscribe, () => sound.current?.state() ?? 'off');

  useEffect(() => {
    setSeen((previous) => {
      let next: Map<string, AlarmSummary> | null = null;
      for (const alarm of alarms) {
        if (!isPassengerTrapped(alarm) || alarm.state === 'cleared' || alarm.raised_at === null) continue;
        const key = raiseKey(alarm);
        if (acks[key] || previous.get(key) === alarm) continue;
        next ??= new Map(previous);
        next.set(key, alarm);
      }
      return next ?? previous;
    });
  }, [alarms, acks]);

  const pending = [...seen.entries()].filter(([key]) => !acks[key]);
  const ringing = pending.length > 0;
  useEffect(() => {
    if (ringing) sound.current?.start();
    else sound.current?.stop();
  }, [ringing]);
  useEffect(() => () => sound.current?.stop(), []);

  if (!ringing) return null;
  const acknowledge = (key: string) => {
    const by = session.status === 'signed-in' ? session.me.display_name : '?';
    const next = { ...loadAcks(), [key]: { by, at: Date.now() } };
    localStorage.setItem(ACK_KEY, JSON.stringify(next));
    setAcks(next);
  };
  return (
    <section
      className="trapped"
      role="alert"
      aria-live="assertive"
      data-testid="trapped-banner"
      data-sound={soundState}
    >
      {pending.map(([key, alarm]) => {
        const view = alarm.device ? store.device(alarm.device) : undefined;
        return (
          <div className="trapped-item" key={key}>
            <p className="trapped-title">
              <span aria-hidden="true">⚠ </span>
              {t('trapped.banner', { device: alarm.device ?? alarm.gateway ?? '?' })}
            </p>
            <p>
              {alarm.title} ·{' '}
              {t('trapped.where', {
                site: view?.site.name ?? alarm.site,
                building: view?.building?.name ?? '—',
                time: format.time(alarm.raised_at ?? 0),
              })}
            </p>
            <button type="button" className="ack" onClick={() => acknowledge(key)} data-testid="acknowledge">
              {t('trapped.acknowledge')}
            </button>
          </div>
        );
      })}
      {soundState === 'blocked' ? <p className="small">{t('trapped.soundBlocked')}</p> : null}
    </section>
  );
}
