import { useTranslation } from 'react-i18next';
import { Link, NavLink, Route, Routes, useParams } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useTitle } from '../../components/use-title.js';
import { ChecklistPage } from './ChecklistPage.js';
import { DeviceInspectionHistory } from './DeviceInspectionHistory.js';
import { ObjectEditorPage, ObjectsPage } from './ObjectsPage.js';
import { PlanEditorPage } from './PlanEditor.js';
import { PlanPage } from './PlanPage.js';
import { PlansPage } from './PlansPage.js';
import { TemplateEditorPage, TemplatesPage } from './TemplatesPage.js';
import { TodayPage } from './TodayPage.js';
import './inspections.css';
import { useFeatureMessages } from '../../i18n/i18n.js';
import * as messages from './messages.js';

/**
 * The inspection pages, mounted at /inspections/* by App.tsx: today's tasks (the index), a
 * task's checklist, the plans and one plan with its occurrences and report, a device's history.
 */
export default function InspectionsRoutes() {
  useFeatureMessages('inspections', messages);
  const { t } = useTranslation();
  // Only planners get the editors; the hub refuses anyone else anyway.
  const planner = useCan()('plans.manage');
  return (
    <div className="insp">
      <nav aria-label={t('inspections.sections')} className="insp-tabs">
        <NavLink to="/inspections" end>
          {t('inspections.today')}
        </NavLink>
        <NavLink to="/inspections/plans">{t('inspections.plans')}</NavLink>
        {planner ? (
          <>
            <NavLink to="/inspections/templates">{t('inspections.editor.templates')}</NavLink>
            <NavLink to="/inspections/objects">{t('inspections.editor.objects')}</NavLink>
          </>
        ) : null}
      </nav>
      <Routes>
        <Route index element={<TodayPage />} />
        <Route path="tasks/:id" element={<ChecklistForTask />} />
        <Route path="plans" element={<PlansPage />} />
        <Route path="plans/:id" element={<PlanPage />} />
        {planner ? null : <Route path="plans/new" element={<PlansPage />} />}
        {planner ? (
          <>
            <Route path="plans/new" element={<PlanEditorPage />} />
            <Route path="plans/:id/edit" element={<PlanEditorPage />} />
            <Route path="templates" element={<TemplatesPage />} />
            <Route path="templates/new" element={<TemplateEditorPage />} />
            <Route path="templates/:id" element={<TemplateEditorPage />} />
            <Route path="objects" element={<ObjectsPage />} />
            <Route path="objects/new" element={<ObjectEditorPage />} />
            <Route path="objects/:id" element={<ObjectEditorPage />} />
          </>
        ) : null}
        <Route path="devices/:id" element={<DeviceHistoryPage />} />
        <Route path="*" element={<TodayPage />} />
      </Routes>
    </div>
  );
}

/** One device's inspection history on its own (the checklist links its devices here). */
function DeviceHistoryPage() {
  const { t } = useTranslation();
  const device = useParams().id ?? '';
  useTitle(`${t('inspections.history.heading')} · ${device}`);
  return (
    <>
      <div className="page-head">
        <h1>
          <Link to={`/devices/${encodeURIComponent(device)}`}>{device}</Link>
        </h1>
      </div>
      <DeviceInspectionHistory deviceId={device} />
    </>
  );
}

/** A fresh checklist (no half-typed entries carried over) for each task. */
function ChecklistForTask() {
  return <ChecklistPage key={useParams().id} />;
}
