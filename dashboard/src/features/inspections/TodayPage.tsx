import type { InspectionSummary } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useSession } from '../../auth/session.js';
import { useNow } from '../../components/use-now.js';
import { useTitle } from '../../components/use-title.js';
import { useFormat } from '../../i18n/format.js';
import { LoadProblem, StatusLabel, useLoad, useMaintenanceVersion } from './common.js';
import { inspectionsApi } from './inspections.api.js';
import { endOfLocalDay } from './period.js';

/**
 * Today's inspection tasks of the signed-in person: overdue first, then those due today, then
 * the rest still open; each opens its checklist. Supervisors may look at everyone's.
 */
export function TodayPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const can = useCan();
  const { session } = useSession();
  const me = session.status === 'signed-in' ? session.me.username : '';
  const planner = can('plans.manage');
  const [mineOnly, setMineOnly] = useState(true);
  const version = useMaintenanceVersion();
  const now = useNow(60_000);
  useTitle(t('inspections.today'));
  // Those who do inspections see their own tasks (planners may widen it); the others, and the
  // demo's anonymous administrator (nobody's assignee), see every task on their sites.
  const worker = can('orders.work') && !(session.status === 'signed-in' && session.demo);
  const assignee = worker && (!planner || mineOnly) ? me : undefined;
  const [loaded, , retry] = useLoad(
    async (signal) => {
      const query = assignee ? { assignee } : {};
      const [overdue, open] = await Promise.all([
        inspectionsApi.list({ ...query, status: 'overdue' }, signal),
        inspectionsApi.list({ ...query, status: 'open' }, signal),
      ]);
      return [...overdue, ...open];
    },
    [assignee, version],
  );

  const endOfToday = endOfLocalDay(now);
  const byDue = (a: InspectionSummary, b: InspectionSummary) => a.due_at - b.due_at || a.id - b.id;
  const tasks = loaded.state === 'ready' ? [...loaded.data].sort(byDue) : [];
  const groups: Array<{ key: string; title: string; items: InspectionSummary[] }> = [
    {
      key: 'overdue',
      title: t('inspections.todayPage.overdue'),
      items: tasks.filter((x) => x.status === 'overdue'),
    },
    {
      key: 'today',
      title: t('inspections.todayPage.dueToday'),
      items: tasks.filter((x) => x.status === 'open' && x.due_at < endOfToday),
    },
    {
      key: 'later',
      title: t('inspections.todayPage.later'),
      items: tasks.filter((x) => x.status === 'open' && x.due_at >= endOfToday),
    },
  ];

  return (
    <section aria-labelledby="insp-today-title" data-testid="inspections-today">
      <div className="page-head">
        <h1 id="insp-today-title">{t('inspections.todayPage.heading')}</h1>
        {planner && worker ? (
          <label className="check">
            <input type="checkbox" checked={mineOnly} onChange={(e) => setMineOnly(e.target.checked)} />{' '}
            {t('inspections.todayPage.mine')}
          </label>
        ) : null}
      </div>
      {loaded.state === 'loading' ? <p className="muted">{t('inspections.loading')}</p> : null}
      {loaded.state === 'error' ? <LoadProblem error={loaded.error} retry={retry} /> : null}
      {loaded.state === 'ready' && tasks.length === 0 ? (
        <p className="muted">{t('inspections.todayPage.none')}</p>
      ) : null}
      {groups
        .filter((g) => g.items.length > 0)
        .map((group) => (
          <section key={group.key} aria-labelledby={`insp-group-${group.key}`} data-group={group.key}>
            <h2 id={`insp-group-${group.key}`}>
              {group.title} ({format.number(group.items.length)})
            </h2>
            <ul className="insp-cards">
              {group.items.map((task) => (
                <li key={task.id}>
                  <Link
                    to={`/inspections/tasks/${task.id}`}
                    className={`insp-card insp-card-${task.status}`}
                    data-testid="task"
                    data-inspection={task.id}
                  >
                    <span className="insp-card-title">{task.plan_name}</span>
                    <span className="insp-card-line">
                      <StatusLabel status={task.status} />
                      <span>
                        {t('inspections.todayPage.due', { when: format.relative(task.due_at, now) })}
                      </span>
                    </span>
                    <span className="insp-card-line muted small">
                      {task.order?.code ? <span>{task.order.code}</span> : null}
                      <span>
                        {t('inspections.todayPage.progress', {
                          answered: format.number(task.answered_count),
                          items: format.number(task.item_count),
                        })}
                      </span>
                      {task.failed_count > 0 ? (
                        <span>
                          {t('inspections.todayPage.failed', {
                            count: task.failed_count,
                            n: format.number(task.failed_count),
                          })}
                        </span>
                      ) : null}
                      {!assignee ? (
                        <span>
                          {task.order?.assignee
                            ? t('inspections.todayPage.assignee', { name: task.order.assignee })
                            : t('inspections.todayPage.unassigned')}
                        </span>
                      ) : null}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        ))}
    </section>
  );
}
