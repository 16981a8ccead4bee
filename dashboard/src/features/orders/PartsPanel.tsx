import { CLOSED_ORDER_STATUSES, type OrderParts, type StockLevel, type WorkOrder } from '@caretaker/protocol';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCan } from '../../auth/permissions.js';
import { DataTable, FormOutcome } from '../../components/page-parts.js';
import { useSubmission } from '../../components/use-submission.js';
import { useFormat } from '../../i18n/format.js';
import { errorText, ordersApi } from './orders.api.js';

/**
 * Parts on the order: what was issued and returned, and (for those who may use parts: the
 * order's technicians, supervisors) the form to issue from or return to a store of the site.
 */
export function PartsPanel({
  order,
  worksOn,
  version,
  onDone,
}: {
  order: WorkOrder;
  worksOn: boolean;
  version: number;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const can = useCan();
  const [parts, setParts] = useState<OrderParts | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The hub's rule (PartsService): managers on any open order, technicians on theirs.
  const mayMove =
    can('parts.use') && (can('parts.manage') || worksOn) && !CLOSED_ORDER_STATUSES.includes(order.status);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` reloads after a change
  useEffect(() => {
    const controller = new AbortController();
    ordersApi.parts(order.id, controller.signal).then(
      (res) => {
        setParts(res);
        setError(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [order.id, version]);

  return (
    <section className="panel" aria-labelledby="parts-title" data-testid="order-parts">
      <h2 id="parts-title">{t('orders.parts.heading')}</h2>
      {error ? (
        <p className="error" role="alert">
          {t('orders.parts.failed', { error })}
        </p>
      ) : null}
      {parts && parts.parts.length === 0 ? <p className="muted">{t('orders.parts.none')}</p> : null}
      {parts && parts.parts.length > 0 ? (
        <DataTable
          rows={parts.parts}
          rowKey={(p) => p.part_no}
          columns={[
            {
              key: 'part',
              header: t('orders.parts.part'),
              rowHeader: true,
              cell: (p) => `${p.part_no} · ${p.name}`,
            },
            ...(['issued', 'returned', 'used'] as const).map((k) => ({
              key: k,
              header: t(`orders.parts.${k}`),
              num: true,
              cell: (p: OrderParts['parts'][number]) => `${format.number(p[k])} ${p.unit}`,
            })),
          ]}
        />
      ) : null}
      {mayMove ? <PartsForm order={order} onDone={onDone} /> : null}
    </section>
  );
}

function PartsForm({ order, onDone }: { order: WorkOrder; onDone: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const id = useId();
  const [stock, setStock] = useState<StockLevel[] | null>(null);
  const [choice, setChoice] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [action, setAction] = useState<'issue' | 'return'>('issue');
  const { busy, error, done, run, setError } = useSubmission(errorText);

  useEffect(() => {
    const controller = new AbortController();
    ordersApi.stock(order.site, controller.signal).then(
      (res) => setStock(res.stock),
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [order.site, setError]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const row = stock?.find((s) => `${s.part_id}/${s.store_id}` === choice);
    if (!row) return;
    await run(
      () =>
        ordersApi.moveParts(order.id, {
          part: row.part_id,
          store: row.store_id,
          quantity: Number(quantity),
          action,
        }),
      onDone,
    );
  };

  if (stock && stock.length === 0) return <p className="muted small">{t('orders.parts.noStock')}</p>;
  return (
    <form className="parts-form" onSubmit={(e) => void submit(e)}>
      <fieldset className="segmented view-switch">
        <legend className="visually-hidden">{t('orders.parts.heading')}</legend>
        {(['issue', 'return'] as const).map((a) => (
          <button key={a} type="button" aria-pressed={action === a} onClick={() => setAction(a)}>
            {t(`orders.parts.${a}`)}
          </button>
        ))}
      </fieldset>
      <label htmlFor={`${id}-part`}>
        {t('orders.parts.choosePart')}
        <select id={`${id}-part`} required value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value="" />
          {(stock ?? []).map((s) => (
            <option key={`${s.part_id}/${s.store_id}`} value={`${s.part_id}/${s.store_id}`}>
              {t('orders.parts.inStock', {
                part: s.part_no,
                name: s.name,
                quantity: format.number(s.quantity),
                unit: s.unit,
                store: s.store,
              })}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor={`${id}-qty`}>
        {t('orders.parts.quantity')}
        <input
          id={`${id}-qty`}
          type="number"
          inputMode="decimal"
          min={0.001}
          step={0.001}
          required
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
        />
      </label>
      <button type="submit" className="primary" disabled={busy || !choice}>
        {t('orders.parts.submit')}
      </button>
      <FormOutcome error={error} done={done ? t('orders.parts.recorded') : null} />
    </form>
  );
}
