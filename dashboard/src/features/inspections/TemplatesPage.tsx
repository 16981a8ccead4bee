import type { InspectionObject } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useTitle } from '../../components/use-title.js';
import { LoadProblem, useLoad } from './common.js';
import {
  DescriptionField,
  EditorFrame,
  NameField,
  SiteField,
  useEditor,
  useSiteChoice,
} from './editor-parts.js';
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
  const editor = useEditor();
  const { hub } = editor;
  const { sites, site, setSite } = useSiteChoice(stored?.site);
  const [name, setName] = useState(stored?.name ?? '');
  const [description, setDescription] = useState(stored?.description ?? '');
  const [chosen, setChosen] = useState<number[]>(stored?.object_ids ?? []);
  const ofSite = objects.filter((o) => o.site === site);

  const submit = () => {
    // Only objects of the chosen site go: a site changed after ticking keeps no stale ones.
    const ids = chosen.filter((id) => ofSite.some((o) => o.id === id));
    void editor.save(
      () => inspectionsApi.saveTemplate(stored?.id ?? null, { site, name, description, object_ids: ids }),
      () => '/inspections/templates',
    );
  };
  return (
    <EditorFrame
      editor={editor}
      testid="template-form"
      heading={stored ? t('inspections.editor.editTemplate') : t('inspections.editor.newTemplate')}
      back="/inspections/templates"
      backLabel={t('inspections.editor.templates')}
      onSubmit={submit}
      archive={
        stored && {
          what: 'inspection-templates',
          id: stored.id,
          label: t('inspections.editor.archiveTemplate'),
          consequence: t('inspections.editor.archiveTemplateNote'),
        }
      }
    >
      <SiteField hub={hub} sites={sites} value={site} onChange={setSite} />
      <NameField hub={hub} value={name} onChange={setName} />
      <DescriptionField hub={hub} value={description} onChange={setDescription} />
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
                setChosen((list) => (e.target.checked ? [...list, o.id] : list.filter((id) => id !== o.id)))
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
    </EditorFrame>
  );
}
