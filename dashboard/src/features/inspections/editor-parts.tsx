import { type ReactNode, type RefObject, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLayout } from '../../store/hooks.js';
import { matchField } from './checklist-form.js';

/**
 * What the planners' editors share: the hub's refusal shown beside the control it names (marked
 * aria-invalid, given the keyboard), or above the form when it names none; the sites and devices
 * the board knows.
 */

export interface HubForm {
  form: RefObject<HTMLFormElement | null>;
  /** The refusal, or null. */
  error: string | null;
  setError: (error: string | null) => void;
  /** Props for the control of `field` (its path in the body, e.g. "schedule.interval"). */
  control: (field: string) => Record<string, unknown>;
  /** The message beside the control of `field`, when the refusal names it. */
  message: (field: string) => ReactNode;
  /** The refusal when it names no control of the form. */
  general: ReactNode;
}

export function useHubForm(): HubForm {
  const id = useId();
  const form = useRef<HTMLFormElement | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [matched, setMatched] = useState<{ error: string; field: string | null } | null>(null);
  // The controls on the page say which fields exist: the longest one the message's path names wins.
  useEffect(() => {
    if (!error) {
      setMatched(null);
      return;
    }
    const fields = [...(form.current?.querySelectorAll<HTMLElement>('[data-field]') ?? [])].map(
      (el) => el.dataset.field ?? '',
    );
    const field = matchField(error, fields);
    setMatched({ error, field });
  }, [error]);
  useEffect(() => {
    if (!matched) return;
    const target = matched.field
      ? form.current?.querySelector<HTMLElement>(`[data-field="${CSS.escape(matched.field)}"]`)
      : form.current?.querySelector<HTMLElement>('[data-form-problem]');
    target?.focus();
  }, [matched]);
  const current = matched && matched.error === error ? matched : null;
  const errorId = (field: string) => `${id}-${field.replace(/[^a-z0-9]/gi, '-')}-error`;
  return {
    form,
    error,
    setError,
    control: (field) => ({
      'data-field': field,
      ...(current?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId(field) } : {}),
    }),
    message: (field) =>
      current?.field === field ? (
        <span id={errorId(field)} className="insp-field-error" role="alert">
          <span aria-hidden="true">⚠</span> {current.error}
        </span>
      ) : null,
    general:
      current && current.field === null ? (
        <p className="insp-problem" role="alert" tabIndex={-1} data-form-problem>
          <span aria-hidden="true">⚠</span> {current.error}
        </p>
      ) : null,
  };
}

/** The sites the board shows the user, with their devices. */
export function useSitesAndDevices(): Array<{ id: string; name: string; devices: string[] }> {
  const layout = useLayout();
  return layout.sites.map((site) => ({
    id: site.id,
    name: site.name,
    devices: site.buildings.flatMap((b) => b.devices),
  }));
}

/** A save button that says it is saving. */
export function SaveButton({ saving }: { saving: boolean }) {
  const { t } = useTranslation();
  return (
    <button type="submit" className="insp-primary">
      {saving ? t('inspections.editor.saving') : t('inspections.editor.save')}
    </button>
  );
}

/** An archive (or retire) button that asks first, saying what happens. */
export function ConfirmArchive({
  label,
  consequence,
  onConfirm,
  busy,
}: {
  label: string;
  consequence: string;
  onConfirm: () => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        className="insp-secondary insp-danger"
        onClick={() => setAsking(true)}
        disabled={busy}
      >
        {label}
      </button>
    );
  }
  return (
    <fieldset className="insp-confirm">
      <legend>{label}</legend>
      <p>{consequence}</p>
      <button type="button" ref={confirm} className="insp-danger" onClick={onConfirm} disabled={busy}>
        {t('inspections.editor.confirm', { action: label })}
      </button>
      <button type="button" className="insp-secondary" onClick={() => setAsking(false)} disabled={busy}>
        {t('inspections.editor.keep')}
      </button>
    </fieldset>
  );
}

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A device's points that can count use (numbers: running hours, door cycles, energy) with their
 * units, from the live board; a status or alarm flag is no counter.
 */
export function numericPoints(
  latest: Record<string, { value: unknown; unit?: string }> | undefined,
): Array<{ point: string; unit: string }> {
  return Object.entries(latest ?? {})
    .filter(([, v]) => typeof v.value === 'number')
    .map(([point, v]) => ({ point, unit: v.unit ?? '' }));
}
