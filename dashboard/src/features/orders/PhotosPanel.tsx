import type { OrderAttachment, WorkOrder } from '@caretaker/protocol';
import { type ChangeEvent, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../auth/session.js';
import { FormOutcome } from '../../components/page-parts.js';
import { useSubmission } from '../../components/use-submission.js';
import { useFormat } from '../../i18n/format.js';
import { errorText, ordersApi } from './orders.api.js';

/** The roles the hub lets add photos (hub/src/workorders/attachment.service.ts). */
const ATTACHING = new Set(['admin', 'supervisor', 'technician', 'reviewer', 'requester']);

/**
 * The order's photos: thumbnails that open the full picture, and an upload that opens the
 * phone's camera (`capture`); the hub reads the type from the bytes and refuses anything else.
 */
export function PhotosPanel({
  order,
  attachments,
  onDone,
}: {
  order: WorkOrder;
  attachments: readonly OrderAttachment[];
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const { session } = useSession();
  const id = useId();
  const { busy, error, done, run } = useSubmission(errorText);
  const role = session.status === 'signed-in' ? session.me.role : '';
  const mayAdd = ATTACHING.has(role) && order.status !== 'closed' && order.status !== 'cancelled';

  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const file = input.files?.[0];
    if (!file) return;
    await run(
      () => ordersApi.upload(order.id, file),
      onDone,
      () => {
        input.value = '';
      },
    );
  };

  return (
    <section className="panel" aria-labelledby="photos-title" data-testid="order-photos">
      <h2 id="photos-title">{t('orders.photos.heading')}</h2>
      {attachments.length === 0 ? <p className="muted">{t('orders.photos.none')}</p> : null}
      <ul className="photos">
        {attachments.map((a) => {
          const url = ordersApi.attachmentUrl(order.id, a.id);
          return (
            <li key={a.id}>
              <a
                href={url}
                target="_blank"
                rel="noreferrer"
                aria-label={t('orders.photos.open', { name: a.filename })}
              >
                <img src={url} alt={a.filename} loading="lazy" width={120} height={120} />
              </a>
              <p className="muted small">
                {t('orders.photos.by', { name: a.uploaded_by, time: format.dateTime(a.uploaded_at) })}
              </p>
            </li>
          );
        })}
      </ul>
      {mayAdd ? (
        <div className="photo-add">
          <label htmlFor={`${id}-file`} className="button">
            + {busy ? t('orders.photos.uploading') : t('orders.photos.add')}
          </label>
          <input
            id={`${id}-file`}
            className="file-input"
            type="file"
            accept="image/*"
            capture="environment"
            disabled={busy}
            onChange={(e) => void upload(e)}
            aria-describedby={`${id}-hint`}
          />
          <p id={`${id}-hint`} className="muted small">
            {t('orders.photos.hint')}
          </p>
        </div>
      ) : null}
      <FormOutcome error={error} done={done ? t('orders.photos.uploaded') : null} />
    </section>
  );
}
