import type { InspectionObject } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useTitle } from '../../components/use-title.js';
import { useLiveStore } from '../../store/hooks.js';
import {
  fromChecklist,
  ITEM_TYPES,
  type ItemDraft,
  moveItem,
  newItem,
  toChecklist,
} from './checklist-form.js';
import { LoadProblem, useLoad } from './common.js';
import {
  EditorFrame,
  type HubForm,
  NameField,
  numericPoints,
  SiteField,
  TextField,
  useEditor,
  useSiteChoice,
} from './editor-parts.js';
import { type Body, inspectionsApi } from './inspections.api.js';

/** Inspection objects (a device or a place with its checklist): the list and the editor. */
export function ObjectsPage() {
  const { t } = useTranslation();
  useTitle(t('inspections.editor.objects'));
  const [loaded, , retry] = useLoad((signal) => inspectionsApi.objects(signal), []);
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  return (
    <section aria-labelledby="insp-objects-title" data-testid="inspection-objects">
      <div className="page-head">
        <h1 id="insp-objects-title">{t('inspections.editor.objects')}</h1>
        <Link className="insp-head-link" to="/inspections/objects/new">
          {t('inspections.editor.newObject')}
        </Link>
      </div>
      {loaded.data.length === 0 ? <p className="muted">{t('inspections.editor.noObjects')}</p> : null}
      <ul className="insp-cards">
        {loaded.data.map((o) => (
          <li key={o.id} className="insp-card" data-object={o.id}>
            <div className="insp-card-line">
              <h2 className="insp-card-title">
                <Link to={`/inspections/objects/${o.id}`}>{o.name}</Link>
              </h2>
            </div>
            <p className="muted small">
              {[o.device, o.building, o.location].filter(Boolean).join(' · ')} ·{' '}
              {t('inspections.editor.itemCount', { count: o.items.length })}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A new object (no id) or one to change. */
export function ObjectEditorPage() {
  const { t } = useTranslation();
  const param = useParams().id;
  const id = param === undefined ? null : Number(param);
  const [loaded, , retry] = useLoad(
    async (signal) => (id === null ? null : inspectionsApi.object(id, signal)),
    [id],
  );
  useTitle(id === null ? t('inspections.editor.newObject') : t('inspections.editor.editObject'));
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  return <ObjectForm key={id ?? 'new'} stored={loaded.data} />;
}

function ObjectForm({ stored }: { stored: InspectionObject | null }) {
  const { t } = useTranslation();
  const editor = useEditor();
  const { hub } = editor;
  const { sites, site, setSite } = useSiteChoice(stored?.site);
  const [name, setName] = useState(stored?.name ?? '');
  const [device, setDevice] = useState(stored?.device ?? '');
  const [building, setBuilding] = useState(stored?.building ?? '');
  const [location, setLocation] = useState(stored?.location ?? '');
  const [items, setItems] = useState<ItemDraft[]>(() =>
    stored ? fromChecklist(stored.items) : [newItem('pass_fail')],
  );
  const devices = sites.find((s) => s.id === site)?.devices ?? [];

  const submit = () => {
    const body: Body = {
      site,
      name,
      device: device || null,
      building: building.trim() || null,
      location: location.trim() || null,
      items: toChecklist(items),
    };
    void editor.save(
      () => inspectionsApi.saveObject(stored?.id ?? null, body),
      () => '/inspections/objects',
    );
  };

  return (
    <EditorFrame
      editor={editor}
      testid="object-form"
      heading={stored ? t('inspections.editor.editObject') : t('inspections.editor.newObject')}
      back="/inspections/objects"
      backLabel={t('inspections.editor.objects')}
      onSubmit={submit}
      archive={
        stored && {
          what: 'inspection-objects',
          id: stored.id,
          label: t('inspections.editor.archiveObject'),
          consequence: t('inspections.editor.archiveObjectNote'),
        }
      }
    >
      <SiteField hub={hub} sites={sites} value={site} onChange={setSite} />
      <NameField hub={hub} value={name} onChange={setName} />
      <label>
        {t('inspections.editor.device')}
        <select value={device} onChange={(e) => setDevice(e.target.value)} {...hub.control('device')}>
          <option value="">{t('inspections.editor.noDevice')}</option>
          {devices.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        {hub.message('device')}
      </label>
      <TextField
        hub={hub}
        field="building"
        label={t('inspections.editor.building')}
        value={building}
        onChange={setBuilding}
      />
      <TextField
        hub={hub}
        field="location"
        label={t('inspections.editor.location')}
        value={location}
        onChange={setLocation}
      />
      <ChecklistEditor items={items} setItems={setItems} device={device} hub={hub} />
    </EditorFrame>
  );
}

/** The checklist: items in order, each with its type's fields; moved by buttons, not only dragged. */
function ChecklistEditor({
  items,
  setItems,
  device,
  hub,
}: {
  items: ItemDraft[];
  setItems: (update: (items: ItemDraft[]) => ItemDraft[]) => void;
  device: string;
  hub: HubForm;
}) {
  const { t } = useTranslation();
  const store = useLiveStore();
  const points = numericPoints(store.device(device)?.summary.latest).map((c) => c.point);
  const change = (uid: number, patch: Partial<ItemDraft>) =>
    setItems((list) => list.map((i) => (i.uid === uid ? { ...i, ...patch } : i)));
  const move = (index: number, by: -1 | 1) => {
    setItems((list) => moveItem(list, index, by));
    // The moved item's button keeps the keyboard, so it can go on moving.
    // At the top or bottom that button is disabled: the other way's button takes the keyboard.
    requestAnimationFrame(() => {
      const same = document.querySelector<HTMLButtonElement>(`[data-move="${index + by}:${by}"]`);
      const other = document.querySelector<HTMLButtonElement>(`[data-move="${index + by}:${-by}"]`);
      (same && !same.disabled ? same : other)?.focus();
    });
  };
  return (
    <fieldset className="insp-checklist-editor" {...hub.control('items')} tabIndex={-1}>
      <legend>{t('inspections.editor.checklist')}</legend>
      {hub.message('items')}
      <ol className="insp-item-drafts">
        {items.map((item, index) => {
          const f = (field: string) => `items.${index}.${field}`;
          const n = index + 1;
          return (
            <li key={item.uid} className="insp-item-draft" data-testid="item-draft">
              <fieldset {...hub.control(`items.${index}`)} tabIndex={-1}>
                <legend>{t('inspections.editor.itemN', { n })}</legend>
                {hub.message(`items.${index}`)}
                <label>
                  {t('inspections.editor.itemLabel')}
                  <input
                    value={item.label}
                    onChange={(e) => change(item.uid, { label: e.target.value })}
                    {...hub.control(f('label'))}
                  />
                  {hub.message(f('label'))}
                </label>
                <label>
                  {t('inspections.editor.itemType')}
                  <select
                    value={item.type}
                    onChange={(e) => change(item.uid, { type: e.target.value as ItemDraft['type'] })}
                    {...hub.control(f('type'))}
                  >
                    {ITEM_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {t(`inspections.editor.type.${type}`)}
                      </option>
                    ))}
                  </select>
                  {hub.message(f('type'))}
                </label>
                {item.type === 'number' || item.type === 'meter' ? (
                  <label>
                    {t('inspections.editor.unit')}
                    <input
                      value={item.unit}
                      onChange={(e) => change(item.uid, { unit: e.target.value })}
                      {...hub.control(f('unit'))}
                    />
                    {hub.message(f('unit'))}
                  </label>
                ) : null}
                {item.type === 'number' ? (
                  <>
                    <label>
                      {t('inspections.editor.min')}
                      <input
                        inputMode="decimal"
                        value={item.min}
                        onChange={(e) => change(item.uid, { min: e.target.value })}
                        {...hub.control(f('min'))}
                      />
                      {hub.message(f('min'))}
                    </label>
                    <label>
                      {t('inspections.editor.max')}
                      <input
                        inputMode="decimal"
                        value={item.max}
                        onChange={(e) => change(item.uid, { max: e.target.value })}
                        {...hub.control(f('max'))}
                      />
                      {hub.message(f('max'))}
                    </label>
                  </>
                ) : null}
                {item.type === 'meter' ? (
                  <>
                    <label>
                      {t('inspections.editor.point')}
                      <select
                        value={item.point}
                        onChange={(e) => change(item.uid, { point: e.target.value })}
                        {...hub.control(f('point'))}
                      >
                        <option value="">{t('inspections.editor.noPoint')}</option>
                        {[...new Set([...points, ...(item.point ? [item.point] : [])])].map((p) => (
                          <option key={p} value={p}>
                            {p}
                          </option>
                        ))}
                      </select>
                      {hub.message(f('point'))}
                    </label>
                    <label>
                      {t('inspections.editor.tolerance')}
                      <input
                        inputMode="decimal"
                        value={item.tolerance}
                        onChange={(e) => change(item.uid, { tolerance: e.target.value })}
                        {...hub.control(f('tolerance'))}
                      />
                      {hub.message(f('tolerance'))}
                    </label>
                  </>
                ) : null}
                <div className="insp-item-moves">
                  <button
                    type="button"
                    data-move={`${index}:-1`}
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                    aria-label={t('inspections.editor.moveUp', { n })}
                  >
                    <span aria-hidden="true">↑</span> {t('inspections.editor.up')}
                  </button>
                  <button
                    type="button"
                    data-move={`${index}:1`}
                    disabled={index === items.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={t('inspections.editor.moveDown', { n })}
                  >
                    <span aria-hidden="true">↓</span> {t('inspections.editor.down')}
                  </button>
                  <button
                    type="button"
                    className="insp-danger"
                    onClick={() => setItems((list) => list.filter((i) => i.uid !== item.uid))}
                    aria-label={t('inspections.editor.removeItem', { n })}
                  >
                    <span aria-hidden="true">✕</span> {t('inspections.editor.remove')}
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="insp-secondary"
        onClick={() => setItems((list) => [...list, newItem()])}
      >
        + {t('inspections.editor.addItem')}
      </button>
    </fieldset>
  );
}
