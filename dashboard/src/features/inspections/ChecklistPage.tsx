import type { ChecklistSpec, InspectionDetail, InspectionItem, OrderDetail } from '@caretaker/protocol';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useSession } from '../../auth/session.js';
import { useNow } from '../../components/use-now.js';
import { useTitle } from '../../components/use-title.js';
import { type Formatters, useFormat } from '../../i18n/format.js';
import { useDevice } from '../../store/hooks.js';
import { ItemStatusLabel, LoadProblem, StatusLabel, useLoad, When } from './common.js';
import { inspectionsApi } from './inspections.api.js';
import {
  type Draft,
  failsAsTyped,
  meterVerdict,
  numberVerdict,
  parseEntry,
  resultsToSend,
} from './item-check.js';

const CLOSED = ['completed', 'closed', 'cancelled'];

/**
 * One inspection's checklist, made to be filled on a phone: big pass/fail toggles, numbers
 * with their limits (flagged as they are typed), meter readings beside the device's live
 * counter, photos from the camera, remarks. Submitting records every touched item; the hub
 * judges each one again, and a failed item shows the repair order it opened.
 */
export function ChecklistPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const can = useCan();
  const { session } = useSession();
  const params = useParams();
  const inspectionId = Number(params.id);
  const now = useNow(60_000);
  useTitle(t('inspections.checklist.heading'));
  const [loaded, setLoaded, retry] = useLoad(
    async (signal) => {
      const detail = await inspectionsApi.get(inspectionId, signal);
      // The order says who works on it (co-assignees too); without it the page is read only.
      const order = detail.order
        ? await inspectionsApi.order(detail.order.id, signal).catch(() => null)
        : null;
      return { detail, order };
    },
    [inspectionId],
  );
  const [drafts, setDrafts] = useState<Map<number, Draft>>(() => new Map());
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ count: number; repairs: InspectionItem[] } | null>(null);

  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  const { detail, order } = loaded.data;

  const me = session.status === 'signed-in' ? session.me : null;
  const readOnly = whyReadOnly(detail, order, me, can, t);
  const update = (itemId: number, change: Partial<Draft>) => {
    setDrafts((current) => {
      const next = new Map(current);
      next.set(itemId, { ...current.get(itemId), ...change });
      return next;
    });
    setSaved(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setSaved(null);
    const { results, invalid } = resultsToSend(detail.items, drafts);
    if (invalid.length > 0) {
      const labels = detail.items.filter((i) => invalid.includes(i.id)).map((i) => i.label);
      setProblem(`${t('inspections.checklist.notANumber')}: ${labels.join(', ')}`);
      return;
    }
    if (results.length === 0) {
      setProblem(t('inspections.checklist.nothingToSubmit'));
      return;
    }
    setSubmitting(true);
    try {
      const updated = await inspectionsApi.record(detail.id, results);
      const sent = new Set(results.map((r) => r.item_id));
      setLoaded({ detail: updated, order });
      setDrafts(new Map());
      setSaved({
        count: results.length,
        repairs: updated.items.filter((i) => sent.has(i.id) && i.repair_order_id !== null),
      });
    } catch (err) {
      // The hub's own words: `results.2.value: a counter reading is never negative ("…")`.
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setSubmitting(false);
    }
  };

  const objects = groupByObject(detail.items);
  return (
    <section aria-labelledby="insp-checklist-title" className="insp-checklist" data-testid="checklist">
      <p>
        <Link to="/inspections">← {t('inspections.checklist.back')}</Link>
      </p>
      <div className="page-head">
        <h1 id="insp-checklist-title">{detail.plan_name}</h1>
        <StatusLabel status={detail.status} />
      </div>
      <p className="muted small insp-meta">
        {detail.order?.code ? (
          <span>
            <Link to={`/orders/${detail.order.id}`}>
              {t('inspections.checklist.order', { code: detail.order.code })}
            </Link>
          </span>
        ) : null}
        <span>
          {t('inspections.checklist.due', { when: format.relative(detail.due_at, now) })} (
          <When ms={detail.due_at} format={format.dateTime} />)
        </span>
        <span data-testid="checklist-progress">
          {t('inspections.checklist.progress', {
            answered: format.number(detail.answered_count),
            items: format.number(detail.item_count),
          })}
        </span>
      </p>
      {readOnly ? (
        <p className="insp-note" data-testid="read-only">
          {t('inspections.checklist.readOnly', { why: readOnly })}
        </p>
      ) : null}
      <form onSubmit={(e) => void submit(e)} noValidate>
        {objects.map(({ name, device, items }) => (
          <section key={name} className="insp-object" aria-label={name}>
            <h2>
              {name}
              {device ? (
                <>
                  {' · '}
                  <Link to={`/inspections/devices/${encodeURIComponent(device)}`}>
                    {t('inspections.checklist.device', { device })}
                  </Link>
                </>
              ) : null}
            </h2>
            {items.map((item) => (
              <ItemField
                key={item.id}
                item={item}
                draft={drafts.get(item.id)}
                editable={!readOnly}
                orderId={detail.order?.id ?? null}
                onChange={(change) => update(item.id, change)}
              />
            ))}
          </section>
        ))}
        {problem ? (
          <p role="alert" className="insp-problem" data-testid="checklist-error">
            <span aria-hidden="true">⚠</span> {problem}
          </p>
        ) : null}
        {saved ? (
          <div role="status" className="insp-saved" data-testid="checklist-saved">
            <p>
              <span aria-hidden="true">✓</span>{' '}
              {t('inspections.checklist.saved', { count: saved.count, n: format.number(saved.count) })}
            </p>
            {saved.repairs.length > 0 ? (
              <>
                <p>{t('inspections.checklist.repairsOpened')}</p>
                <ul>
                  {saved.repairs.map((item) => (
                    <li key={item.id}>
                      {item.label}:{' '}
                      <Link to={`/orders/${item.repair_order_id}`} data-testid="repair-link">
                        {item.repair_order_code ?? `#${item.repair_order_id}`}
                      </Link>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
        ) : null}
        {readOnly ? null : (
          <div className="insp-submit-bar">
            <button type="submit" className="insp-primary" disabled={submitting}>
              {submitting ? t('inspections.checklist.submitting') : t('inspections.checklist.submit')}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}

/** Why this person cannot record results here, or null when they can (the hub's rules). */
function whyReadOnly(
  detail: InspectionDetail,
  order: OrderDetail | null,
  me: { username: string; role: string } | null,
  can: (permission: string) => boolean,
  t: (key: string, options?: Record<string, unknown>) => string,
): string | null {
  if (!detail.order) return t('inspections.checklist.whyMissed', { reason: detail.missed_reason ?? '' });
  const status = order?.work_order.status ?? detail.order.status ?? '';
  if (CLOSED.includes(status)) {
    return t('inspections.checklist.whyClosed', {
      status: t(`orderStatus.${status}`, { defaultValue: status }),
    });
  }
  if (!can('orders.work')) return t('inspections.checklist.whyRole');
  if (me?.role === 'technician') {
    const assignee = order?.work_order.assignee ?? detail.order.assignee;
    const helpers = order?.assignees.map((a) => a.username) ?? [];
    if (assignee !== me.username && !helpers.includes(me.username)) {
      return t('inspections.checklist.whyNotYours', { name: assignee ?? '—' });
    }
  }
  return null;
}

function groupByObject(items: readonly InspectionItem[]) {
  const groups: Array<{ id: number; name: string; device: string | null; items: InspectionItem[] }> = [];
  for (const item of items) {
    let group = groups.find((g) => g.id === item.object_id);
    if (!group) {
      group = { id: item.object_id, name: item.object_name, device: item.device, items: [] };
      groups.push(group);
    }
    group.items.push(item);
  }
  return groups;
}

interface ItemFieldProps {
  item: InspectionItem;
  draft: Draft | undefined;
  editable: boolean;
  orderId: number | null;
  onChange: (change: Partial<Draft>) => void;
}

function ItemField({ item, draft, editable, orderId, onChange }: ItemFieldProps) {
  const { t } = useTranslation();
  const format = useFormat();
  const id = useId();
  const failedNow = draftFails(item, draft);
  return (
    <div
      className={`insp-item${failedNow ? ' insp-item-failing' : ''}`}
      data-item={item.item_key}
      data-item-id={item.id}
      data-type={item.type}
    >
      {item.type === 'pass_fail' ? (
        <PassFail item={item} draft={draft} editable={editable} onChange={onChange} />
      ) : null}
      {item.type === 'number' || item.type === 'meter' ? (
        <NumberEntry item={item} draft={draft} editable={editable} onChange={onChange} />
      ) : null}
      {item.type === 'photo' ? (
        <PhotoEntry item={item} draft={draft} editable={editable} orderId={orderId} onChange={onChange} />
      ) : null}
      {item.status !== 'pending' ? (
        <p className="small insp-recorded">
          <ItemStatusLabel status={item.status} />
          {item.value !== null && item.type !== 'pass_fail' ? <> · {valueText(item, format)}</> : null}
          {item.recorded_by && item.recorded_at !== null ? (
            <span className="muted">
              {' · '}
              {t('inspections.checklist.recorded', {
                who: item.recorded_by,
                when: format.dateTime(item.recorded_at),
              })}
            </span>
          ) : null}
          {item.note ? <span className="muted"> · “{item.note}”</span> : null}
        </p>
      ) : null}
      {item.repair_order_id !== null ? (
        <p className="small">
          <span aria-hidden="true">↳</span>{' '}
          <Link to={`/orders/${item.repair_order_id}`} data-testid="item-repair-link">
            {t('inspections.checklist.repair', {
              code: item.repair_order_code ?? `#${item.repair_order_id}`,
            })}
          </Link>
        </p>
      ) : null}
      {editable ? (
        <div className="insp-remark">
          <label htmlFor={`${id}-note`}>{t('inspections.checklist.remark')}</label>
          <input
            id={`${id}-note`}
            type="text"
            maxLength={2000}
            value={draft?.note ?? item.note ?? ''}
            onChange={(e) => onChange({ note: e.target.value })}
          />
        </div>
      ) : null}
    </div>
  );
}

function valueText(item: InspectionItem, format: Formatters): string {
  if (item.value === null) return '';
  const unit = 'unit' in item.spec && item.spec.unit ? ` ${item.spec.unit}` : '';
  return `${format.number(item.value)}${unit}`;
}

function draftFails(item: InspectionItem, draft: Draft | undefined): boolean {
  if (!draft) return false;
  if (item.type === 'pass_fail') return draft.passed === false;
  if (item.spec.type === 'number' && draft.text !== undefined)
    return failsAsTyped(numberVerdict(item.spec, parseEntry(draft.text)));
  return false;
}

function PassFail({ item, draft, editable, onChange }: Omit<ItemFieldProps, 'orderId'>) {
  const { t } = useTranslation();
  const recorded = item.status === 'pass' ? true : item.status === 'fail' ? false : undefined;
  const passed = draft?.passed ?? recorded;
  return (
    <fieldset className="insp-passfail" disabled={!editable}>
      <legend>{item.label}</legend>
      <div className="insp-toggle">
        <button
          type="button"
          className="insp-pass"
          aria-pressed={passed === true}
          onClick={() => onChange({ passed: true })}
        >
          <span aria-hidden="true">✓</span> {t('inspections.checklist.pass')}
        </button>
        <button
          type="button"
          className="insp-fail"
          aria-pressed={passed === false}
          onClick={() => onChange({ passed: false })}
        >
          <span aria-hidden="true">✗</span> {t('inspections.checklist.fail')}
        </button>
      </div>
    </fieldset>
  );
}

function limitsText(
  spec: Extract<ChecklistSpec, { type: 'number' }>,
  format: Formatters,
  t: ItemT,
): string | null {
  const unit = spec.unit ? ` ${spec.unit}` : '';
  const n = (v: number) => `${format.number(v)}${unit}`;
  if (spec.min !== undefined && spec.max !== undefined)
    return t('inspections.checklist.range', { min: format.number(spec.min), max: n(spec.max) });
  if (spec.min !== undefined) return t('inspections.checklist.min', { min: n(spec.min) });
  if (spec.max !== undefined) return t('inspections.checklist.max', { max: n(spec.max) });
  return null;
}

type ItemT = (key: string, options?: Record<string, unknown>) => string;

function NumberEntry({ item, draft, editable, onChange }: Omit<ItemFieldProps, 'orderId'>) {
  const { t } = useTranslation();
  const format = useFormat();
  const id = useId();
  const spec = item.spec;
  const device = useDevice(item.device ?? '');
  const text = draft?.text ?? (item.value !== null && item.status !== 'pending' ? `${item.value}` : '');
  const value = parseEntry(text);
  const unit = 'unit' in spec && spec.unit ? spec.unit : '';
  const withUnit = (v: number) => `${format.number(v)}${unit ? ` ${unit}` : ''}`;
  let hint: string | null = null;
  let verdictText: string | null = null;
  let failing = false;
  if (spec.type === 'number') {
    const limits = limitsText(spec, format, t);
    hint = limits ? t('inspections.checklist.limits', { limits }) : null;
    const verdict = numberVerdict(spec, draft?.text === undefined ? null : value);
    failing = failsAsTyped(verdict);
    if (verdict.kind === 'ok') verdictText = t('inspections.checklist.withinLimits');
    if (verdict.kind === 'below')
      verdictText = t('inspections.checklist.below', { min: withUnit(verdict.min) });
    if (verdict.kind === 'above')
      verdictText = t('inspections.checklist.above', { max: withUnit(verdict.max) });
    if (verdict.kind === 'invalid') verdictText = t('inspections.checklist.notANumber');
  } else if (spec.type === 'meter') {
    const latest = spec.point ? device?.summary.latest[spec.point] : undefined;
    const live = typeof latest?.value === 'number' ? latest.value : null;
    hint = live !== null ? t('inspections.checklist.counterNow', { value: withUnit(live) }) : null;
    const verdict = meterVerdict(spec, draft?.text === undefined ? null : value, live);
    failing = failsAsTyped(verdict);
    if (verdict.kind === 'close')
      verdictText = t('inspections.checklist.counterClose', { tolerance: withUnit(verdict.tolerance) });
    if (verdict.kind === 'off') {
      verdictText = t('inspections.checklist.counterOff', {
        off: withUnit(verdict.off),
        tolerance: withUnit(verdict.tolerance),
      });
    }
    if (verdict.kind === 'negative') verdictText = t('inspections.checklist.negative');
    if (verdict.kind === 'invalid') verdictText = t('inspections.checklist.notANumber');
  }
  const describedBy = [hint ? `${id}-hint` : '', `${id}-verdict`].filter(Boolean).join(' ');
  return (
    <div className="insp-number">
      <label htmlFor={`${id}-value`}>{item.label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="small muted" data-testid="item-hint">
          {hint}
        </p>
      ) : null}
      <div className="insp-number-row">
        <input
          id={`${id}-value`}
          type="number"
          inputMode="decimal"
          step="any"
          value={text}
          disabled={!editable}
          aria-invalid={failing || undefined}
          aria-describedby={describedBy}
          onChange={(e) => onChange({ text: e.target.value })}
        />
        {unit ? <span className="insp-unit">{unit}</span> : null}
      </div>
      <p
        id={`${id}-verdict`}
        className={`small insp-verdict${failing ? ' insp-verdict-fail' : ''}`}
        aria-live="polite"
        data-testid="item-verdict"
      >
        {verdictText ? (
          <>
            <span aria-hidden="true">{failing ? '⚠' : '✓'}</span> {verdictText}
          </>
        ) : null}
      </p>
    </div>
  );
}

function PhotoEntry({ item, draft, editable, orderId, onChange }: ItemFieldProps) {
  const { t } = useTranslation();
  const id = useId();
  const [uploading, setUploading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const attachment = draft?.attachmentId ?? item.attachment_id;
  const upload = async (file: File | undefined) => {
    if (!file || orderId === null) return;
    setUploading(true);
    setProblem(null);
    try {
      const stored = await inspectionsApi.upload(orderId, file);
      onChange({ attachmentId: stored.id });
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setUploading(false);
    }
  };
  return (
    <div className="insp-photo">
      {editable ? (
        <>
          <label htmlFor={`${id}-file`}>{item.label}</label>
          <p className="small muted">{t('inspections.checklist.photo')}</p>
          <input
            id={`${id}-file`}
            type="file"
            accept="image/*"
            capture="environment"
            disabled={uploading}
            onChange={(e) => void upload(e.target.files?.[0])}
          />
        </>
      ) : (
        <p className="insp-label">{item.label}</p>
      )}
      {uploading ? <p className="small muted">{t('inspections.checklist.uploading')}</p> : null}
      {problem ? (
        <p role="alert" className="small insp-problem">
          {problem}
        </p>
      ) : null}
      {attachment && orderId !== null ? (
        <p className="small">
          <span aria-hidden="true">✓</span> {t('inspections.checklist.photoAttached')}
          <img
            className="insp-thumb"
            src={inspectionsApi.attachmentUrl(orderId, attachment)}
            alt={t('inspections.checklist.photoOf', { label: item.label })}
            data-testid="photo-thumb"
          />
        </p>
      ) : null}
    </div>
  );
}
