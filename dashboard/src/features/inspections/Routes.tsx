import { useTranslation } from 'react-i18next';
import { NavLink, Route, Routes } from 'react-router';
import { ChecklistPage } from './ChecklistPage.js';
import { PlanPage } from './PlanPage.js';
import { PlansPage } from './PlansPage.js';
import { TodayPage } from './TodayPage.js';
import './inspections.css';

/**
 * The inspection pages, mounted at /inspections/* by App.tsx: today's tasks (the index), a
 * task's checklist, the plans and one plan with its occurrences and report.
 */
export default function InspectionsRoutes() {
  const { t } = useTranslation();
  return (
    <div className="insp">
      <nav aria-label={t('inspections.sections')} className="insp-tabs">
        <NavLink to="/inspections" end>
          {t('inspections.today')}
        </NavLink>
        <NavLink to="/inspections/plans">{t('inspections.plans')}</NavLink>
      </nav>
      <Routes>
        <Route index element={<TodayPage />} />
        <Route path="tasks/:id" element={<ChecklistPage />} />
        <Route path="plans" element={<PlansPage />} />
        <Route path="plans/:id" element={<PlanPage />} />
        <Route path="*" element={<TodayPage />} />
      </Routes>
    </div>
  );
}
