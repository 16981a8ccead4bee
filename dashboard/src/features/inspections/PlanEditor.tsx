import type { InspectionObject, Plan, PlanAssignTo } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { useTitle } from '../../components/use-title.js';
import { useLiveStore } from '../../store/hooks.js';
import { LoadProblem, useLoad, useWordsContext } from './common.js';
import {
  DescriptionField,
  EditorFrame,
  type HubForm,
  NameField,
  numericPoints,
  SiteField,
  useEditor,
  useSiteChoice,
} from './editor-parts.js';
import { type Body, inspectionsApi, type Template } from './inspections.api.js';
import {
  emptySchedule,
  FREQUENCIES,
  fromSchedule,
  type ScheduleDraft,
  toSchedule,
  WEEKDAY_CODES,
  type WindowUnit,
  windowParts,
  windowText,
} from './schedule-form.js';
import { scheduleWords } from './schedule-words.js';

/**
 * A plan made or changed with controls, not typed syntax: what it inspects (a template or its
 * own objects), when (a calendar rule in the site's time zone, or every so much of a device's
 * counter — shown in words as it is edited), who does it and how long they have.
 */
export function PlanEditorPage() {
  const { t } = useTranslation();
  const param = useParams().id;
  const id = param === undefined ? null : Number(param);
  const [loaded, , retry] = useLoad(
    async (signal) => {
      const [plan, plans, objects, templates] = await Promise.all([
        id === null ? null : inspectionsApi.plan(id, signal),
        inspectionsApi.plans(signal),
        inspectionsApi.objects(signal),
        inspectionsApi.templates(signal),
      ]);
      // A site's time zone is known from its plans (the hub reports it with each).
      const zones = new Map(plans.map((p) => [p.site, p.timezone]));
      return { plan, objects, templates, zones };
    },
    [id],
  );
  useTitle(id === null ? t('inspections.editor.newPlan') : t('inspections.editor.editPlan'));
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  return <PlanForm key={id ?? 'new'} {...loaded.data} />;
}

type AssignKind = 'none' | 'technician' | 'skill' | 'contractor';
function assignParts(assign: PlanAssignTo | null): { kind: AssignKind; who: string } {
  if (!assign) return { kind: 'none', who: '' };
  if ('technician' in assign) return { kind: 'technician', who: assign.technician };
  if ('skill' in assign) return { kind: 'skill', who: assign.skill };
  return { kind: 'contractor', who: assign.contractor };
}

function PlanForm({
  plan,
  objects,
  templates,
  zones,
}: {
  plan: Plan | null;
  objects: InspectionObject[];
  templates: Template[];
  zones: Map<string, string>;
}) {
  const { t } = useTranslation();
  const editor = useEditor();
  const { hub } = editor;
  const words = useWordsContext();
  const { sites, site, setSite } = useSiteChoice(plan?.site);
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [source, setSource] = useState<'template' | 'objects'>(
    plan && plan.template_id === null ? 'objects' : 'template',
  );
  const [templateId, setTemplateId] = useState(plan?.template_id ? `${plan.template_id}` : '');
  const [objectIds, setObjectIds] = useState<number[]>(plan?.object_ids ?? []);
  const [schedule, setSchedule] = useState<ScheduleDraft>(() =>
    plan ? fromSchedule(plan.schedule) : emptySchedule(),
  );
  const initialWindow = windowParts(plan?.window_ms ?? 86_400_000);
  const [windowAmount, setWindowAmount] = useState(initialWindow.amount);
  const [windowUnit, setWindowUnit] = useState<WindowUnit>(initialWindow.unit);
  const [priority, setPriority] = useState(`${plan?.priority ?? 3}`);
  const initialAssign = assignParts(plan?.assign_to ?? null);
  const [assignKind, setAssignKind] = useState<AssignKind>(initialAssign.kind);
  const [assignWho, setAssignWho] = useState(initialAssign.who);
  const [active, setActive] = useState(plan?.active ?? true);

  const siteTemplates = templates.filter((tpl) => tpl.site === site);
  const siteObjects = objects.filter((o) => o.site === site);
  const devices = sites.find((s) => s.id === site)?.devices ?? [];
  const zone = zones.get(site);

  const body = (): Body => {
    const numberOf = (text: string) =>
      text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    return {
      site,
      name,
      description,
      template_id: source === 'template' ? numberOf(templateId) || null : null,
      object_ids:
        source === 'objects' ? objectIds.filter((id) => siteObjects.some((o) => o.id === id)) : null,
      schedule: toSchedule(schedule),
      window: windowText(windowAmount, windowUnit),
      priority: Number(priority),
      assign_to: assignKind === 'none' ? null : { [assignKind]: assignWho },
      active,
    };
  };
  const submit = () =>
    void editor.save(
      () => inspectionsApi.savePlan(plan?.id ?? null, body()),
      (saved) => `/inspections/plans/${saved.id}`,
    );

  let inWords: string;
  try {
    inWords = scheduleWords(toSchedule(schedule), words);
  } catch {
    inWords = '…';
  }
  return (
    <EditorFrame
      editor={editor}
      testid="plan-form"
      heading={plan ? t('inspections.editor.editPlan') : t('inspections.editor.newPlan')}
      back={plan ? `/inspections/plans/${plan.id}` : '/inspections/plans'}
      backLabel={plan ? plan.name : t('inspections.plans')}
      onSubmit={submit}
    >
      <SiteField hub={hub} sites={sites} value={site} onChange={setSite} />
      <NameField hub={hub} value={name} onChange={setName} />
      <DescriptionField hub={hub} value={description} onChange={setDescription} />

      <fieldset className="insp-choices">
        <legend>{t('inspections.editor.what')}</legend>
        <div className="insp-radios">
          <label className="insp-choice">
            <input
              type="radio"
              name="plan-source"
              checked={source === 'template'}
              onChange={() => setSource('template')}
            />
            {t('inspections.editor.fromTemplate')}
          </label>
          <label className="insp-choice">
            <input
              type="radio"
              name="plan-source"
              checked={source === 'objects'}
              onChange={() => setSource('objects')}
            />
            {t('inspections.editor.fromObjects')}
          </label>
        </div>
        {source === 'template' ? (
          <label>
            {t('inspections.editor.template')}
            <select
              value={templateId}
              onChange={(e) => setTemplateId(e.target.value)}
              {...hub.control('template_id')}
            >
              <option value="">{t('inspections.editor.chooseTemplate')}</option>
              {siteTemplates.map((tpl) => (
                <option key={tpl.id} value={tpl.id}>
                  {tpl.name}
                </option>
              ))}
            </select>
            {hub.message('template_id')}
          </label>
        ) : (
          <fieldset className="insp-choices" {...hub.control('object_ids')} tabIndex={-1}>
            <legend>{t('inspections.editor.planObjects')}</legend>
            {hub.message('object_ids')}
            {siteObjects.map((o) => (
              <label key={o.id} className="insp-choice">
                <input
                  type="checkbox"
                  checked={objectIds.includes(o.id)}
                  onChange={(e) =>
                    setObjectIds((list) =>
                      e.target.checked ? [...list, o.id] : list.filter((id) => id !== o.id),
                    )
                  }
                />
                {o.name}
              </label>
            ))}
          </fieldset>
        )}
      </fieldset>

      <ScheduleControls draft={schedule} set={setSchedule} devices={devices} zone={zone} hub={hub} />
      <p className="insp-schedule-words" aria-live="polite">
        <span className="muted">{t('inspections.editor.inWords')}</span>{' '}
        <strong data-testid="schedule-preview">{inWords}</strong>
      </p>

      <div className="insp-editor-row">
        <label>
          {t('inspections.editor.window')}
          <input
            inputMode="numeric"
            value={windowAmount}
            onChange={(e) => setWindowAmount(e.target.value)}
            {...hub.control('window')}
          />
          {hub.message('window')}
        </label>
        <label>
          {t('inspections.editor.windowUnit')}
          <select value={windowUnit} onChange={(e) => setWindowUnit(e.target.value as WindowUnit)}>
            {(['m', 'h', 'd'] as const).map((u) => (
              <option key={u} value={u}>
                {t(`inspections.editor.unitOf.${u}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        {t('inspections.editor.priority')}
        <select value={priority} onChange={(e) => setPriority(e.target.value)} {...hub.control('priority')}>
          {[1, 2, 3, 4].map((p) => (
            <option key={p} value={p}>
              {t(`inspections.editor.priorityOf.${p}`)}
            </option>
          ))}
        </select>
        {hub.message('priority')}
      </label>
      <div className="insp-editor-row">
        <label>
          {t('inspections.editor.assign')}
          <select value={assignKind} onChange={(e) => setAssignKind(e.target.value as AssignKind)}>
            {(['none', 'technician', 'skill', 'contractor'] as const).map((k) => (
              <option key={k} value={k}>
                {t(`inspections.editor.assignOf.${k}`)}
              </option>
            ))}
          </select>
        </label>
        {assignKind !== 'none' ? (
          <label>
            {t(`inspections.editor.assignWho.${assignKind}`)}
            <input
              value={assignWho}
              onChange={(e) => setAssignWho(e.target.value)}
              {...hub.control('assign_to')}
            />
            {hub.message('assign_to')}
          </label>
        ) : null}
      </div>
      <label className="insp-choice">
        <input
          type="checkbox"
          checked={active}
          onChange={(e) => setActive(e.target.checked)}
          {...hub.control('active')}
        />
        {t('inspections.editor.active')}
      </label>
    </EditorFrame>
  );
}

function ScheduleControls({
  draft,
  set,
  devices,
  zone,
  hub,
}: {
  draft: ScheduleDraft;
  set: (draft: ScheduleDraft) => void;
  devices: string[];
  zone: string | undefined;
  hub: HubForm;
}) {
  const { t } = useTranslation();
  const words = useWordsContext();
  const store = useLiveStore();
  const change = (patch: Partial<ScheduleDraft>) => set({ ...draft, ...patch });
  const f = (field: string) => `schedule.${field}`;
  const counters = numericPoints(store.device(draft.device)?.summary.latest);
  const points = counters.map((c) => c.point);
  const freq = draft.frequency;
  const periodic = freq === 'monthly' || freq === 'quarterly' || freq === 'yearly';
  const showDays = !periodic || draft.monthMode === 'nth';
  const weekdayName = (code: string) =>
    new Intl.DateTimeFormat(words.locale, { weekday: 'long', timeZone: 'UTC' }).format(
      Date.UTC(2024, 0, 1 + WEEKDAY_CODES.indexOf(code as (typeof WEEKDAY_CODES)[number])),
    );
  const monthName = (m: number) =>
    new Intl.DateTimeFormat(words.locale, { month: 'long', timeZone: 'UTC' }).format(
      Date.UTC(2024, m - 1, 1),
    );
  return (
    <fieldset className="insp-choices" {...hub.control('schedule')} tabIndex={-1}>
      <legend>{t('inspections.editor.when')}</legend>
      {hub.message('schedule')}
      <div className="insp-radios">
        <label className="insp-choice">
          <input
            type="radio"
            name="schedule-kind"
            checked={draft.kind === 'calendar'}
            onChange={() => change({ kind: 'calendar' })}
          />
          {t('inspections.editor.calendar')}
        </label>
        <label className="insp-choice">
          <input
            type="radio"
            name="schedule-kind"
            checked={draft.kind === 'usage'}
            onChange={() => change({ kind: 'usage' })}
          />
          {t('inspections.editor.usage')}
        </label>
      </div>
      {draft.kind === 'calendar' && draft.rrule !== null ? (
        <div className="insp-note">
          <p>{t('inspections.editor.ruleKept', { rule: draft.rrule })}</p>
          <button type="button" className="insp-secondary" onClick={() => change({ rrule: null })}>
            {t('inspections.editor.replaceRule')}
          </button>
        </div>
      ) : null}
      {draft.kind === 'calendar' && draft.rrule === null ? (
        <>
          <div className="insp-editor-row">
            <label>
              {t('inspections.editor.frequency')}
              <select
                value={freq}
                onChange={(e) => change({ frequency: e.target.value as ScheduleDraft['frequency'] })}
                {...hub.control(f('frequency'))}
              >
                {FREQUENCIES.map((fr) => (
                  <option key={fr} value={fr}>
                    {t(`inspections.editor.frequencyOf.${fr}`)}
                  </option>
                ))}
              </select>
              {hub.message(f('frequency'))}
            </label>
            {freq === 'daily' || freq === 'weekly' || freq === 'monthly' ? (
              <label>
                {t(`inspections.editor.intervalOf.${freq}`)}
                <input
                  inputMode="numeric"
                  value={draft.interval}
                  onChange={(e) => change({ interval: e.target.value })}
                  {...hub.control(f('interval'))}
                />
                {hub.message(f('interval'))}
              </label>
            ) : null}
          </div>
          {periodic ? (
            <div className="insp-radios">
              <label className="insp-choice">
                <input
                  type="radio"
                  name="month-mode"
                  checked={draft.monthMode === 'day'}
                  onChange={() => change({ monthMode: 'day' })}
                />
                {t('inspections.editor.onDay')}
              </label>
              <label className="insp-choice">
                <input
                  type="radio"
                  name="month-mode"
                  checked={draft.monthMode === 'nth'}
                  onChange={() => change({ monthMode: 'nth' })}
                />
                {t('inspections.editor.onNth')}
              </label>
            </div>
          ) : null}
          <div className="insp-editor-row">
            {freq === 'yearly' ? (
              <label>
                {t('inspections.editor.month')}
                <select
                  value={draft.month}
                  onChange={(e) => change({ month: e.target.value })}
                  {...hub.control(f('month'))}
                >
                  {Array.from({ length: 12 }, (_, i) => i + 1).map((m) => (
                    <option key={m} value={m}>
                      {monthName(m)}
                    </option>
                  ))}
                </select>
                {hub.message(f('month'))}
              </label>
            ) : null}
            {periodic && draft.monthMode === 'day' ? (
              <label>
                {t('inspections.editor.dayOfMonth')}
                <select
                  value={draft.day}
                  onChange={(e) => change({ day: e.target.value })}
                  {...hub.control(f('day_of_month'))}
                >
                  {Array.from({ length: 31 }, (_, i) => i + 1).map((d) => (
                    <option key={d} value={d}>
                      {words.number(d)}
                    </option>
                  ))}
                  <option value="-1">{t('inspections.schedule.lastDay')}</option>
                </select>
                {hub.message(f('day_of_month'))}
              </label>
            ) : null}
            {periodic && draft.monthMode === 'nth' ? (
              <label>
                {t('inspections.editor.nth')}
                <select
                  value={draft.nth}
                  onChange={(e) => change({ nth: e.target.value })}
                  {...hub.control(f('nth'))}
                >
                  {['1', '2', '3', '4', '5', '-1'].map((n) => (
                    <option key={n} value={n}>
                      {t(`inspections.schedule.nth.${n}`)}
                    </option>
                  ))}
                </select>
                {hub.message(f('nth'))}
              </label>
            ) : null}
          </div>
          {showDays ? (
            <fieldset className="insp-weekdays" {...hub.control(f('weekdays'))} tabIndex={-1}>
              <legend>{t('inspections.editor.weekdays')}</legend>
              {hub.message(f('weekdays'))}
              {WEEKDAY_CODES.map((code) => (
                <label key={code} className="insp-choice">
                  <input
                    type="checkbox"
                    value={code}
                    checked={draft.weekdays.includes(code)}
                    onChange={(e) =>
                      change({
                        weekdays: e.target.checked
                          ? [...draft.weekdays, code]
                          : draft.weekdays.filter((d) => d !== code),
                      })
                    }
                  />
                  {weekdayName(code)}
                </label>
              ))}
            </fieldset>
          ) : null}
          <div className="insp-editor-row">
            <label>
              {t('inspections.editor.time')}
              <input
                type="time"
                value={draft.time}
                onChange={(e) => change({ time: e.target.value })}
                {...hub.control(f('time'))}
              />
              {hub.message(f('time'))}
            </label>
            <label>
              {t('inspections.editor.starts')}
              <input
                type="date"
                value={draft.starts}
                onChange={(e) => change({ starts: e.target.value })}
                {...hub.control(f('starts'))}
              />
              {hub.message(f('starts'))}
            </label>
          </div>
          <p className="muted small">
            {zone ? t('inspections.editor.zone', { zone }) : t('inspections.editor.siteZone')}
          </p>
        </>
      ) : null}
      {draft.kind === 'usage' ? (
        <>
          <div className="insp-editor-row">
            <label>
              {t('inspections.editor.device')}
              <select
                value={draft.device}
                onChange={(e) => change({ device: e.target.value, point: '' })}
                {...hub.control(f('device'))}
              >
                <option value="">{t('inspections.editor.chooseDevice')}</option>
                {[...new Set([...devices, ...(draft.device ? [draft.device] : [])])].map((d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ))}
              </select>
              {hub.message(f('device'))}
            </label>
            <label>
              {t('inspections.editor.counter')}
              <select
                value={draft.point}
                onChange={(e) => {
                  // The counter's own unit is the likely one; the planner may still change it.
                  const unit = counters.find((c) => c.point === e.target.value)?.unit;
                  change({ point: e.target.value, unit: draft.unit || unit || '' });
                }}
                {...hub.control(f('point'))}
              >
                <option value="">{t('inspections.editor.choosePoint')}</option>
                {[...new Set([...points, ...(draft.point ? [draft.point] : [])])].map((p) => (
                  <option key={p} value={p}>
                    {words.point(p)}
                  </option>
                ))}
              </select>
              {hub.message(f('point'))}
            </label>
          </div>
          <div className="insp-editor-row">
            <label>
              {t('inspections.editor.every')}
              <input
                inputMode="decimal"
                value={draft.every}
                onChange={(e) => change({ every: e.target.value })}
                {...hub.control(f('every'))}
              />
              {hub.message(f('every'))}
            </label>
            <label>
              {t('inspections.editor.unit')}
              <input
                value={draft.unit}
                onChange={(e) => change({ unit: e.target.value })}
                {...hub.control(f('unit'))}
              />
              {hub.message(f('unit'))}
            </label>
          </div>
          <label>
            {t('inspections.editor.lastService')}
            <input
              inputMode="decimal"
              value={draft.lastService}
              onChange={(e) => change({ lastService: e.target.value })}
              {...hub.control(f('last_service_value'))}
            />
            {hub.message(f('last_service_value'))}
          </label>
        </>
      ) : null}
    </fieldset>
  );
}
