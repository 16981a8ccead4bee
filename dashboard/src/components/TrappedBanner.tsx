import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { AlarmSound } from '../audio/alarm-sound.js';
import { useFormat } from '../i18n/format.js';
import { useAlarms, useLiveStore } from '../store/hooks.js';
import { trappedBanner } from '../store/tile-state.js';
import { Acknowledgement } from './Acknowledgement.js';

/**
 * A passenger trapped in a lift cannot be missed: a banner on every page and a repeating tone
 * until a person acknowledges it. The acknowledgement is the hub's (who and when, told to every
 * screen): it silences every wall screen and phone at once, and the banner stays, marked
 * acknowledged, until the alarm clears. An alarm that cleared before anyone acknowledged it keeps
 * its banner and sound until someone does (while the hub still lists it).
 */
export function TrappedBanner() {
  const { t } = useTranslation();
  const format = useFormat();
  const alarms = useAlarms();
  const store = useLiveStore();
  const sound = useRef<AlarmSound | null>(null);
  sound.current ??= new AlarmSound();
  const soundState = useSyncExternalStore(sound.current.subscribe, () => sound.current?.state() ?? 'off');

  const { shown, ringing } = trappedBanner(alarms);
  useEffect(() => {
    if (ringing) sound.current?.start();
    else sound.current?.stop();
  }, [ringing]);
  useEffect(() => () => sound.current?.stop(), []);

  if (shown.length === 0) return null;
  return (
    <section
      className={`trapped${ringing ? '' : ' trapped-acknowledged'}`}
      role="alert"
      aria-live="assertive"
      data-testid="trapped-banner"
      data-sound={soundState}
    >
      {shown.map((alarm) => {
        const view = alarm.device ? store.device(alarm.device) : undefined;
        return (
          <div className="trapped-item" key={alarm.id} data-alarm={alarm.id}>
            <p className="trapped-title">
              <span aria-hidden="true">⚠ </span>
              {t('trapped.banner', { device: alarm.device ?? alarm.gateway ?? '?' })}
            </p>
            <p>
              {alarm.title} ·{' '}
              {t('trapped.where', {
                site: view?.site.name ?? alarm.site,
                building: [view?.building?.name, view?.room?.name].filter(Boolean).join(' · ') || '—',
                time: format.time(alarm.raised_at ?? 0),
              })}
              {alarm.state === 'cleared' ? ` · ${t('alarmState.cleared')}` : ''}
            </p>
            <Acknowledgement alarm={alarm} className="trapped-ack" />
          </div>
        );
      })}
      {ringing && soundState === 'blocked' ? <p className="small">{t('trapped.soundBlocked')}</p> : null}
    </section>
  );
}
