import type { InspectionObject } from '@caretaker/protocol';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { useTitle } from '../../components/use-title.js';
import { LoadProblem, useLoad } from './common.js';
import { ConfirmArchive, errorText, SaveButton, useHubForm, useSitesAndDevices } from './editor-parts.js';
import { inspectionsApi, type Template } from './inspections.api.js';

/** Checklist templates (a named set of objects a plan inspects): the list and the editor. */
export function TemplatesPage() {
  const { t } = useTranslation();
  useTitle(t('inspections.editor.templates'));
  const [loaded, , retry] = useLoad(async (signal) => {
    const [templates, objects] = await Promise.all([
      inspectionsApi.templates(signal),
      inspectionsApi.objects(signal),
    ]);
    return { templates, objects: new Map(objects.map((o) => [o.id, o])) };
  }, []);
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  const { templates, objects } = loaded.data;
  return (
    <section aria-labelledby="insp-templates-title" data-testid="inspection-templates">
      <div className="page-head">
        <h1 id="insp-templates-title">{t('inspections.editor.templates')}</h1>
        <Link className="insp-head-link" to="/inspections/templates/new">
          {t('inspections.editor.newTemplate')}
        </Link>
      </div>
      {templates.length === 0 ? <p className="muted">{t('inspections.editor.noTemplates')}</p> : null}
      <ul className="insp-cards">
        {templates.map((tpl) => (
          <li key={tpl.id} className="insp-card" data-template={tpl.id}>
            <h2 className="insp-card-title">
              <Link to={`/inspections/templates/${tpl.id}`}>{tpl.name}</Link>
            </h2>
            <p className="muted small">
              {tpl.object_ids.map((id) => objects.get(id)?.name ?? `#${id}`).join(', ')}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function TemplateEditorPage() {
  const { t } = useTranslation();
  const param = useParams().id;
  const id = param === undefined ? null : Number(param);
  const [loaded, , retry] = useLoad(
    async (signal) => {
      const [template, objects] = await Promise.all([
        id === null ? null : inspectionsApi.template(id, signal),
        inspectionsApi.objects(signal),
      ]);
      return { template, objects };
    },
    [id],
  );
  useTitle(id === null ? t('inspections.editor.newTemplate') : t('inspections.editor.editTemplate'));
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  return <TemplateForm key={id ?? 'new'} stored={loaded.data.template} objects={loaded.data.objects} />;
}

function TemplateForm({ stored, objects }: { stored: Template | null; objects: InspectionObject[] }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const sites = useSitesAndDevices();
  const hub = useHubForm();
  const [saving, setSaving] = useState(false);
  const [chosenSite, setSite] = useState(stored?.site ?? '');
  // The board's sites may arrive after the form opens: until one is chosen, the first is meant.
  const site = chosenSite || sites[0]?.id || '';
  const [name, setName] = useState(stored?.name ?? '');
  const [description, setDescription] = useState(stored?.description ?? '');
  const [chosen, setChosen] = useState<number[]>(stored?.object_ids ?? []);
  const ofSite = objects.filter((o) => o.site === site);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    hub.setError(null);
    try {
      // Only objects of the chosen site go: a site changed after ticking keeps no stale ones.
      const ids = chosen.filter((id) => ofSite.some((o) => o.id === id));
      await inspectionsApi.saveTemplate(stored?.id ?? null, { site, name, description, object_ids: ids });
      navigate('/inspections/templates');
    } catch (err) {
      hub.setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  const archive = async () => {
    if (!stored) return;
    setSaving(true);
    try {
      await inspectionsApi.archive('inspection-templates', stored.id);
      navigate('/inspections/templates');
    } catch (err) {
      hub.setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };
  const heading = stored ? t('inspections.editor.editTemplate') : t('inspections.editor.newTemplate');
  return (
    <section aria-labelledby="insp-template-form-title">
      <p>
        <Link to="/inspections/templates">← {t('inspections.editor.templates')}</Link>
      </p>
      <h1 id="insp-template-form-title" className="insp-editor-heading">
        {heading}
      </h1>
      <form
        ref={hub.form}
        className="insp-editor"
        noValidate
        onSubmit={(e) => void submit(e)}
        data-testid="template-form"
      >
        {hub.general}
        <fieldset disabled={saving} className="insp-editor-fields">
          <label>
            {t('inspections.editor.site')}
            <select value={site} onChange={(e) => setSite(e.target.value)} {...hub.control('site')}>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {hub.message('site')}
          </label>
          <label>
            {t('inspections.editor.name')}
            <input value={name} onChange={(e) => setName(e.target.value)} {...hub.control('name')} />
            {hub.message('name')}
          </label>
          <label>
            {t('inspections.editor.description')}
            <textarea
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              {...hub.control('description')}
            />
            {hub.message('description')}
          </label>
          <fieldset className="insp-choices" {...hub.control('object_ids')} tabIndex={-1}>
            <legend>{t('inspections.editor.templateObjects')}</legend>
            {hub.message('object_ids')}
            {ofSite.length === 0 ? <p className="muted">{t('inspections.editor.noObjects')}</p> : null}
            {ofSite.map((o) => (
              <label key={o.id} className="insp-choice">
                <input
                  type="checkbox"
                  checked={chosen.includes(o.id)}
                  onChange={(e) =>
                    setChosen((list) =>
                      e.target.checked ? [...list, o.id] : list.filter((id) => id !== o.id),
                    )
                  }
                />
                {o.name}
                <span className="muted small">
                  {' '}
                  ({t('inspections.editor.itemCount', { count: o.items.length })})
                </span>
              </label>
            ))}
          </fieldset>
          <div className="insp-editor-actions">
            <SaveButton saving={saving} />
            <Link to="/inspections/templates">{t('inspections.editor.cancel')}</Link>
          </div>
        </fieldset>
      </form>
      {stored ? (
        <ConfirmArchive
          label={t('inspections.editor.archiveTemplate')}
          consequence={t('inspections.editor.archiveTemplateNote')}
          onConfirm={() => void archive()}
          busy={saving}
        />
      ) : null}
    </section>
  );
}
