import type { OrderEvent } from '@caretaker/protocol';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../i18n/format.js';
import { formatCountdown } from './sla-countdown.js';
import { eventFields, type ShownField } from './timeline-text.js';

/** Every recorded change of the order, oldest first: who, when, from → to, why. */
export function Timeline({ events }: { events: readonly OrderEvent[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const status = (s: string) => t(`orderStatus.${s}`, { defaultValue: s });
  const value = (field: ShownField, text: string) => {
    if (field === 'fault_category') return t(`orders.fault.${text}`, { defaultValue: text });
    // Instants and durations are stored as milliseconds: shown in the reader's language.
    if (field === 'until' && Number.isFinite(Number(text))) return format.dateTime(Number(text));
    if (field === 'paused_ms' && Number.isFinite(Number(text)))
      return formatCountdown(Number(text), format.locale);
    return text;
  };
  return (
    <section className="panel order-timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t('orders.page.timeline')}</h2>
      {events.length === 0 ? <p className="muted">{t('orders.page.noEvents')}</p> : null}
      <ol className="timeline" data-testid="timeline">
        {events.map((event) => (
          <li key={event.id} data-event={event.type}>
            <p className="timeline-head">
              <strong>
                {t(`orders.action.${event.type}`, {
                  defaultValue: t(`orders.event.${event.type}`, {
                    defaultValue: event.type.replaceAll('_', ' '),
                  }),
                })}
              </strong>
              {event.to_status && event.from_status !== event.to_status ? (
                <span className="transition">
                  {' '}
                  {event.from_status
                    ? t('orders.timeline.transition', {
                        from: status(event.from_status),
                        to: status(event.to_status),
                      })
                    : `→ ${status(event.to_status)}`}
                </span>
              ) : null}
            </p>
            <p className="muted small">
              {event.actor === 'system' || event.actor === 'sensor'
                ? t(`orders.timeline.${event.actor}`)
                : event.actor}
              {' · '}
              <time dateTime={new Date(event.ts).toISOString()}>{format.dateTime(event.ts)}</time>
            </p>
            {eventFields(event).map(({ field, value: text }) => (
              <p key={field} className="small timeline-detail">
                <span className="muted">
                  {t('orders.timeline.fieldLabel', { field: t(`orders.field.${field}`) })}
                </span>
                {value(field, text)}
              </p>
            ))}
          </li>
        ))}
      </ol>
    </section>
  );
}
