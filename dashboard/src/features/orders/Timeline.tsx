import type { OrderEvent } from '@caretaker/protocol';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../i18n/format.js';
import { eventFields } from './timeline-text.js';

/** Every recorded change of the order, oldest first: who, when, from → to, why. */
export function Timeline({ events }: { events: readonly OrderEvent[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const status = (s: string) => t(`orderStatus.${s}`, { defaultValue: s });
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
            {eventFields(event).map(({ field, value }) => (
              <p key={field} className="small timeline-detail">
                <span className="muted">{t(`orders.field.${field}`)}:</span>{' '}
                {field === 'fault_category' ? t(`orders.fault.${value}`, { defaultValue: value }) : value}
              </p>
            ))}
          </li>
        ))}
      </ol>
    </section>
  );
}
