import { FAULT_CATEGORIES, type OrderDetail, type WorkflowActionSummary } from '@caretaker/protocol';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormOutcome, SelectField } from '../../components/page-parts.js';
import { type Candidate, errorText, ordersApi, type Ranking } from './orders.api.js';

/** The transition table, read once per page load (it only changes with the hub's configuration). */
let workflowOnce: Promise<WorkflowActionSummary[]> | null = null;
function loadWorkflow(): Promise<WorkflowActionSummary[]> {
  workflowOnce ??= ordersApi.workflow().then(
    (res) => res.actions,
    (err: unknown) => {
      workflowOnce = null;
      throw err;
    },
  );
  return workflowOnce;
}

/** Fields every action form shows when the table names them, in this order. */
const FIELD_ORDER = [
  'assignee',
  'assignees',
  'resolution',
  'labour_minutes',
  'fault_category',
  'rating',
  'comment',
  'reason',
  'until',
  'note',
] as const;
type Field = (typeof FIELD_ORDER)[number];
type Values = Partial<Record<Field, string | string[]>>;

/** Destructive or final: asked for in a form even without fields, never taken on one click. */
const CONFIRM = new Set(['cancel', 'close', 'pass_check']);

/**
 * Buttons for exactly the actions the hub allows this person on this order (`actions_allowed`),
 * each opening the form its body needs (from GET /api/workflow); the hub's refusal is shown as
 * it words it.
 */
export function ActionsPanel({ detail, onDone }: { detail: OrderDetail; onDone: () => void }) {
  const { t } = useTranslation();
  const [workflow, setWorkflow] = useState<WorkflowActionSummary[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const panel = useRef<HTMLElement>(null);
  const order = detail.work_order;
  const helpers = detail.assignees.filter((a) => a.role === 'assistant').map((a) => a.username);

  useEffect(() => {
    loadWorkflow().then(setWorkflow, (err: unknown) => setError(errorText(err)));
  }, []);
  // A change elsewhere may take an open form's action away.
  useEffect(() => {
    if (open && !detail.actions_allowed.includes(open)) setOpen(null);
  }, [detail.actions_allowed, open]);

  const fieldsOf = (name: string): { required: Field[]; optional: Field[] } => {
    const action = workflow?.find((a) => a.name === name);
    const pick = (list: string[] | undefined) => FIELD_ORDER.filter((f) => list?.includes(f));
    return { required: pick(action?.body.required), optional: pick(action?.body.optional) };
  };

  const perform = async (name: string, body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      await ordersApi.act(order.id, name, body);
      setOpen(null);
      setMessage(t('orders.form.done', { action: t(`orders.action.${name}`, { defaultValue: name }) }));
      // The form (and the button that opened it) may be gone: the keyboard stays in this panel,
      // where the outcome is read out, instead of falling back to the top of the page.
      panel.current?.querySelector<HTMLElement>('h2')?.focus();
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const close = (name: string) => {
    setOpen(null);
    panel.current?.querySelector<HTMLElement>(`button[data-action="${name}"]`)?.focus();
  };

  const click = (name: string) => {
    const { required, optional } = fieldsOf(name);
    if (required.length === 0 && optional.length === 0 && !CONFIRM.has(name)) void perform(name, {});
    else {
      setOpen(name);
      setError(null);
      setMessage(null);
    }
  };

  return (
    <section ref={panel} className="panel" aria-labelledby="actions-title" data-testid="order-actions">
      <h2 id="actions-title" tabIndex={-1}>
        {t('orders.page.actions')}
      </h2>
      {detail.actions_allowed.length === 0 ? <p className="muted">{t('orders.page.noActions')}</p> : null}
      <div className="action-buttons">
        {detail.actions_allowed.map((name) => (
          <button
            key={name}
            type="button"
            className={name === 'cancel' || name === 'reject' ? 'danger' : 'primary'}
            data-action={name}
            aria-expanded={open === name}
            disabled={busy || workflow === null}
            onClick={() => click(name)}
          >
            {t(`orders.action.${name}`, { defaultValue: name })}
          </button>
        ))}
      </div>
      {open ? (
        <ActionForm
          key={open}
          name={open}
          orderId={order.id}
          fields={fieldsOf(open)}
          people={{ assignee: order.assignee, helpers }}
          busy={busy}
          error={error}
          onSubmit={(body) => void perform(open, body)}
          onCancel={() => close(open)}
        />
      ) : null}
      {/* An open form shows its refusal itself, beside the field it names. */}
      <FormOutcome error={open ? null : error} done={message} errorTestId="action-error" />
    </section>
  );
}

function ActionForm({
  name,
  orderId,
  fields,
  people,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  name: string;
  orderId: number;
  fields: { required: Field[]; optional: Field[] };
  /** Who works on the order already: not offered again. */
  people: { assignee: string | null; helpers: string[] };
  busy: boolean;
  /** The hub's refusal of the last submission (`field: what is wrong`), or nothing. */
  error: string | null;
  onSubmit: (body: Record<string, unknown>) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [values, setValues] = useState<Values>({});
  const form = useRef<HTMLFormElement>(null);
  // The keyboard lands in the form that just opened (or on its confirm button).
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea, button[type="submit"]')?.focus();
  }, []);
  const all = [...fields.required, ...fields.optional];
  const set = (field: Field, value: string | string[]) => setValues((v) => ({ ...v, [field]: value }));
  const label = t(`orders.action.${name}`, { defaultValue: name });
  const errorId = `${id}-error`;
  // The hub names the field it refuses first: that control is marked and gets the keyboard.
  const invalid = error ? all.find((f) => error.startsWith(`${f}:`) || error.startsWith(`${f}.`)) : undefined;
  const aria = (field: Field) =>
    field === invalid ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
  useEffect(() => {
    if (!invalid) return;
    const control =
      document.getElementById(`${id}-${invalid}`) ??
      form.current?.querySelector<HTMLElement>(`[data-field="${invalid}"] input:not(:disabled)`);
    control?.focus();
  }, [id, invalid]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    for (const field of all) {
      const value = values[field];
      if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
      if (field === 'labour_minutes' || field === 'rating') body[field] = Number(value);
      else if (field === 'until') body[field] = new Date(value as string).getTime();
      else body[field] = value;
    }
    onSubmit(body);
  };

  return (
    <form
      ref={form}
      className="action-form"
      onSubmit={submit}
      aria-label={label}
      aria-busy={busy}
      data-form={name}
    >
      {/* Nothing to change while the hub is deciding; a disabled fieldset says so to every control. */}
      <fieldset className="action-fields" disabled={busy}>
        {all.map((field) => {
          const required = fields.required.includes(field);
          const fieldLabel = required
            ? t(`orders.field.${field}`)
            : t('orders.form.optionalField', { field: t(`orders.field.${field}`) });
          const fid = `${id}-${field}`;
          if (field === 'assignee' || field === 'assignees') {
            return (
              <CandidatePicker
                key={field}
                orderId={orderId}
                multiple={field === 'assignees'}
                // A helper may become the one responsible; nobody is added twice.
                taken={
                  field === 'assignee'
                    ? people.assignee
                      ? [people.assignee]
                      : []
                    : [...(people.assignee ? [people.assignee] : []), ...people.helpers]
                }
                legend={fieldLabel}
                field={field}
                describedBy={field === invalid ? errorId : undefined}
                value={values[field]}
                onChange={(v) => set(field, v)}
                required={required}
              />
            );
          }
          if (field === 'fault_category') {
            return (
              <SelectField
                key={field}
                id={fid}
                label={fieldLabel}
                required={required}
                value={(values[field] as string) ?? ''}
                onChange={(v) => set(field, v)}
                options={FAULT_CATEGORIES.map((c) => ({ value: c, label: t(`orders.fault.${c}`) }))}
              >
                <option value="" />
              </SelectField>
            );
          }
          if (field === 'rating') {
            return (
              <fieldset key={field} className="rating" data-field={field} {...aria(field)}>
                <legend>{fieldLabel}</legend>
                {[1, 2, 3, 4, 5].map((n) => (
                  <label key={n} className="rating-star">
                    <input
                      type="radio"
                      name={fid}
                      value={n}
                      required={required}
                      checked={values.rating === String(n)}
                      onChange={() => set('rating', String(n))}
                    />
                    <span aria-hidden="true">{'★'.repeat(n)}</span>
                    <span className="visually-hidden">{t('orders.form.ratingStars', { count: n })}</span>
                  </label>
                ))}
              </fieldset>
            );
          }
          if (field === 'labour_minutes') {
            return (
              <label key={field} htmlFor={fid}>
                {fieldLabel}
                <input
                  id={fid}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={100000}
                  step={1}
                  required={required}
                  {...aria(field)}
                  value={(values[field] as string) ?? ''}
                  onChange={(e) => set(field, e.target.value)}
                />
              </label>
            );
          }
          if (field === 'until') {
            return (
              <label key={field} htmlFor={fid}>
                {fieldLabel}
                <input
                  id={fid}
                  type="datetime-local"
                  // A deferral is into the future; the hub takes any instant, the picker offers these.
                  min={localMinute(Date.now())}
                  required={required}
                  {...aria(field)}
                  value={(values[field] as string) ?? ''}
                  onChange={(e) => set(field, e.target.value)}
                />
              </label>
            );
          }
          return (
            <label key={field} htmlFor={fid}>
              {fieldLabel}
              <textarea
                id={fid}
                rows={field === 'resolution' ? 4 : 2}
                required={required}
                maxLength={field === 'resolution' ? 4000 : 2000}
                {...aria(field)}
                value={(values[field] as string) ?? ''}
                onChange={(e) => set(field, e.target.value)}
              />
            </label>
          );
        })}
        <div id={errorId}>
          <FormOutcome error={error} errorTestId="action-error" />
        </div>
        <div className="form-buttons">
          <button
            type="submit"
            className={name === 'cancel' || name === 'reject' ? 'danger' : 'primary'}
            disabled={busy}
          >
            {busy ? t('orders.form.working') : t('orders.form.confirm', { action: label })}
          </button>
          <button type="button" onClick={onCancel} disabled={busy}>
            {t('orders.form.cancel')}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

/** The site's technicians as the hub ranks them for this order, each with why (manual dispatch). */
/** `2026-12-06T04:30` in the browser's time zone: the form of a datetime-local input's value. */
function localMinute(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function CandidatePicker({
  orderId,
  multiple,
  taken,
  legend,
  field,
  describedBy,
  value,
  onChange,
  required,
}: {
  orderId: number;
  multiple: boolean;
  taken: readonly string[];
  legend: ReactNode;
  field: Field;
  describedBy: string | undefined;
  value: string | string[] | undefined;
  onChange: (value: string | string[]) => void;
  required: boolean;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [ranking, setRanking] = useState<Ranking | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    ordersApi.candidates(orderId, controller.signal).then(
      (res) => setRanking(res.ranking),
      (err: unknown) => {
        if (!controller.signal.aborted) setError(errorText(err));
      },
    );
    return () => controller.abort();
  }, [orderId]);
  const chosen = Array.isArray(value) ? value : value ? [value] : [];
  const toggle = (c: Candidate, on: boolean) => {
    if (!multiple) onChange(c.username);
    else onChange(on ? [...chosen, c.username] : chosen.filter((u) => u !== c.username));
  };
  return (
    <fieldset
      className="candidates"
      data-testid="candidates"
      data-field={field}
      aria-invalid={describedBy !== undefined || undefined}
      aria-describedby={describedBy}
    >
      <legend>{legend}</legend>
      {error ? (
        <p className="error" role="alert">
          {t('orders.form.candidatesFailed', { error })}
        </p>
      ) : null}
      {!ranking && !error ? <p className="muted small">{t('orders.form.candidatesLoading')}</p> : null}
      {ranking && !ranking.candidates.some((c) => c.eligible) ? (
        <p className="muted">{t('orders.form.noCandidates', { why: ranking.why })}</p>
      ) : null}
      <ul>
        {ranking?.candidates.map((c) => {
          const onOrder = taken.includes(c.username);
          return (
            <li
              key={c.username}
              className={c.eligible && !onOrder ? 'candidate' : 'candidate passed'}
              data-candidate={c.username}
            >
              <label htmlFor={`${id}-${c.username}`}>
                <input
                  id={`${id}-${c.username}`}
                  type={multiple ? 'checkbox' : 'radio'}
                  name={`${id}-pick`}
                  value={c.username}
                  // A person passed over can still be chosen by a dispatcher who knows better; the
                  // hub checks what must hold (site, role, active).
                  required={required && !multiple}
                  disabled={onOrder}
                  checked={chosen.includes(c.username)}
                  onChange={(e) => toggle(c, e.target.checked)}
                />
                <span>
                  <strong>{c.display_name}</strong> ({c.username}) ·{' '}
                  {onOrder
                    ? t('orders.form.onOrder')
                    : c.rank !== null
                      ? t('orders.form.rank', { rank: c.rank })
                      : t('orders.form.passedOver')}{' '}
                  · {t('orders.form.openOrders', { count: c.open_orders })}
                </span>
              </label>
              <p className="muted small candidate-why">
                {c.eligible ? c.explanation : c.passed_over.join('; ') || c.explanation}
              </p>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
