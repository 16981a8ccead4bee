import {
  type ChangeEvent,
  type FormEvent,
  type ReactNode,
  type RefObject,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useLayout } from '../../store/hooks.js';
import { matchField } from './checklist-form.js';
import { inspectionsApi } from './inspections.api.js';

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

/**
 * The site an editor works in. The board's sites may arrive after the form opens: until one is
 * chosen, the first is meant.
 */
export function useSiteChoice(initial: string | undefined) {
  const sites = useSitesAndDevices();
  const [chosen, setSite] = useState(initial ?? '');
  const site = chosen || sites[0]?.id || '';
  return { sites, site, setSite };
}

/**
 * An editor's form state: the hub's refusals, and saving or archiving: the form is disabled while
 * the hub works; on success the editor goes where `to` says, on a refusal the hub's message is
 * shown (beside its field, or above the form).
 */
export function useEditor() {
  const hub = useHubForm();
  const navigate = useNavigate();
  const [saving, setSaving] = useState(false);
  const run = async <T,>(work: () => Promise<T>, to: (result: T) => string) => {
    setSaving(true);
    try {
      navigate(to(await work()));
    } catch (err) {
      hub.setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  return {
    hub,
    saving,
    /** A save starts afresh: the last refusal goes until the hub answers again. */
    save: <T,>(work: () => Promise<T>, to: (result: T) => string) => {
      hub.setError(null);
      return run(work, to);
    },
    /** Archiving leaves a refusal of the form in view until the hub answers otherwise. */
    archive: run,
  };
}
export type Editor = ReturnType<typeof useEditor>;

/**
 * An editor's page: the way back, its heading, the form (the hub's refusals in it, every control
 * disabled while saving, save and cancel at the end) and, for a stored record, its archive button
 * (archived, the editor goes back).
 */
export function EditorFrame({
  editor,
  testid,
  heading,
  back,
  backLabel,
  onSubmit,
  archive,
  children,
}: {
  editor: Editor;
  /** The form's test id; the heading's id is made from it. */
  testid: string;
  heading: string;
  /** Where the back link and cancel go. */
  back: string;
  backLabel: string;
  onSubmit: () => void;
  archive?: {
    what: 'inspection-objects' | 'inspection-templates';
    id: number;
    label: string;
    consequence: string;
  } | null;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const { hub, saving } = editor;
  const titleId = `insp-${testid}-title`;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <section aria-labelledby={titleId}>
      <p>
        <Link to={back}>← {backLabel}</Link>
      </p>
      <h1 id={titleId} className="insp-editor-heading">
        {heading}
      </h1>
      <form ref={hub.form} className="insp-editor" noValidate onSubmit={submit} data-testid={testid}>
        {hub.general}
        <fieldset disabled={saving} className="insp-editor-fields">
          {children}
          <div className="insp-editor-actions">
            <SaveButton saving={saving} />
            <Link to={back}>{t('inspections.editor.cancel')}</Link>
          </div>
        </fieldset>
      </form>
      {archive ? (
        <ConfirmArchive
          label={archive.label}
          consequence={archive.consequence}
          onConfirm={() =>
            void editor.archive(
              () => inspectionsApi.archive(archive.what, archive.id),
              () => back,
            )
          }
          busy={saving}
        />
      ) : null}
    </section>
  );
}

/** The site select of an editor, bound to the hub's message about `site`. */
export function SiteField({
  hub,
  sites,
  value,
  onChange,
}: {
  hub: HubForm;
  sites: Array<{ id: string; name: string }>;
  value: string;
  onChange: (site: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <label>
      {t('inspections.editor.site')}
      <select value={value} onChange={(e) => onChange(e.target.value)} {...hub.control('site')}>
        {sites.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      {hub.message('site')}
    </label>
  );
}

/** A labelled text input (or, `multiline`, a text area) bound to the hub's message about `field`. */
export function TextField({
  hub,
  field,
  label,
  value,
  onChange,
  multiline = false,
}: {
  hub: HubForm;
  field: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  multiline?: boolean;
}) {
  const props = {
    value,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(e.target.value),
    ...hub.control(field),
  };
  // Two branches, so that the linter sees each label holds its control.
  if (multiline) {
    return (
      <label>
        {label}
        <textarea {...props} />
        {hub.message(field)}
      </label>
    );
  }
  return (
    <label>
      {label}
      <input {...props} />
      {hub.message(field)}
    </label>
  );
}

type FieldProps = { hub: HubForm; value: string; onChange: (value: string) => void };

export function NameField(props: FieldProps) {
  const { t } = useTranslation();
  return <TextField {...props} field="name" label={t('inspections.editor.name')} />;
}

export function DescriptionField(props: FieldProps) {
  const { t } = useTranslation();
  return <TextField {...props} field="description" label={t('inspections.editor.description')} multiline />;
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
