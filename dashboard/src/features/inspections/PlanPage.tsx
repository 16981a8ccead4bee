import type { Plan, PlanReport } from '@caretaker/protocol';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { DataTable } from '../../components/page-parts.js';
import { useNow } from '../../components/use-now.js';
import { useTitle } from '../../components/use-title.js';
import { type Formatters, useFormat } from '../../i18n/format.js';
import { LoadProblem, StatusLabel, useLoad, useMaintenanceVersion, useWordsContext, When } from './common.js';
import { ConfirmArchive, errorText } from './editor-parts.js';
import { inspectionsApi } from './inspections.api.js';
import { loadCatalogue } from './PlansPage.js';
import { PERIODS, type PeriodName, periodRange } from './period.js';
import { PlanBadge, PlanRecord, PlanScope } from './plan-parts.js';

/**
 * One plan: its schedule and who does it, its occurrences (done, overdue, skipped) and its
 * report for a period (the hub's report as tables, and its CSV). Planners pause and resume it.
 */
export function PlanPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const words = useWordsContext();
  const can = useCan();
  const planId = Number(useParams().id);
  const version = useMaintenanceVersion();
  const now = useNow(60_000);
  const navigate = useNavigate();
  const [changing, setChanging] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [loaded, setLoaded, retry] = useLoad(
    async (signal) => {
      const [plan, catalogue, occurrences] = await Promise.all([
        inspectionsApi.plan(planId, signal),
        loadCatalogue(signal),
        inspectionsApi.list({ plan: planId, limit: 100 }, signal),
      ]);
      return { plan, catalogue, occurrences };
    },
    [planId, version],
  );
  useTitle(loaded.state === 'ready' ? loaded.data.plan.name : t('inspections.plans'));
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  const { plan, catalogue, occurrences } = loaded.data;

  const toggle = async () => {
    setChanging(true);
    setProblem(null);
    try {
      const updated = await inspectionsApi.setActive(plan.id, !plan.active);
      setLoaded({ ...loaded.data, plan: updated });
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setChanging(false);
    }
  };

  const retire = async () => {
    setChanging(true);
    setProblem(null);
    try {
      await inspectionsApi.archive('plans', plan.id);
      navigate('/inspections/plans');
    } catch (err) {
      setProblem(errorText(err));
      setChanging(false);
    }
  };

  return (
    <section aria-labelledby="insp-plan-title" data-testid="inspection-plan">
      <p>
        <Link to="/inspections/plans">← {t('inspections.planPage.back')}</Link>
      </p>
      <div className="page-head">
        <h1 id="insp-plan-title">{plan.name}</h1>
        <PlanBadge active={plan.active} />
        {can('plans.manage') ? (
          <button type="button" className="insp-secondary" disabled={changing} onClick={() => void toggle()}>
            {plan.active ? t('inspections.planPage.pause') : t('inspections.planPage.resume')}
          </button>
        ) : null}
        {can('plans.manage') ? (
          <Link className="insp-head-link" to={`/inspections/plans/${plan.id}/edit`}>
            {t('inspections.editor.edit')}
          </Link>
        ) : null}
      </div>
      {can('plans.manage') ? (
        <ConfirmArchive
          label={t('inspections.editor.retirePlan')}
          consequence={t('inspections.editor.retirePlanNote', {
            count: plan.stats.open + plan.stats.overdue,
          })}
          onConfirm={() => void retire()}
          busy={changing}
        />
      ) : null}
      {problem ? (
        <p role="alert" className="insp-problem">
          {problem}
        </p>
      ) : null}
      {!plan.active ? <p className="insp-note">{t('inspections.planPage.pausedNote')}</p> : null}
      {plan.description ? <p>{plan.description}</p> : null}
      <dl className="insp-facts panel">
        <PlanScope plan={plan} catalogue={catalogue} words={words} timezone />
        <div>
          <dt>{t('inspections.planPage.window', { window: format.duration(plan.window_ms) })}</dt>
          <dd>{assignText(plan, t)}</dd>
        </div>
        {plan.active && plan.upcoming && plan.upcoming.length > 0 ? (
          <div>
            <dt>{t('inspections.planPage.upcoming')}</dt>
            <dd>
              <ul className="insp-inline">
                {plan.upcoming.map((ms) => (
                  <li key={ms}>
                    <When ms={ms} format={format.dateTime} />
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        ) : null}
        <PlanRecord plan={plan} format={format} />
      </dl>

      <h2>{t('inspections.planPage.occurrences')}</h2>
      {occurrences.length === 0 ? (
        <p className="muted">{t('inspections.planPage.noOccurrences')}</p>
      ) : (
        <ul className="insp-occurrences" data-testid="occurrences">
          {occurrences.map((o) => (
            <li key={o.id} className="insp-occurrence" data-inspection={o.id} data-status={o.status}>
              <span className="insp-card-line">
                <StatusLabel status={o.status} />
                <Link to={`/inspections/tasks/${o.id}`}>
                  <When ms={o.occurrence_at} format={format.dateTime} />
                </Link>
              </span>
              <span className="insp-card-line muted small">
                <span>
                  {t('inspections.planPage.dueAt')}:{' '}
                  <When ms={o.due_at} format={(ms) => format.relative(ms, now)} />
                </span>
                {o.order ? (
                  <span>
                    {t('inspections.planPage.order')}:{' '}
                    <Link to={`/orders/${o.order.id}`}>{o.order.code}</Link>
                  </span>
                ) : null}
                <span>
                  {t('inspections.planPage.answered')}: {format.number(o.answered_count)} /{' '}
                  {format.number(o.item_count)}
                </span>
                {o.failed_count > 0 ? (
                  <span>
                    {t('inspections.planPage.failed')}: {format.number(o.failed_count)}
                  </span>
                ) : null}
                {o.missed_reason ? <span>{o.missed_reason}</span> : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      <PlanReportSection plan={plan} format={format} version={version} />
    </section>
  );
}

function assignText(plan: Plan, t: (key: string, options?: Record<string, unknown>) => string): string {
  const a = plan.assign_to;
  if (!a) return '—';
  if ('technician' in a) return t('inspections.planPage.assignTechnician', { name: a.technician });
  if ('skill' in a) return t('inspections.planPage.assignSkill', { name: a.skill });
  return t('inspections.planPage.assignContractor', { name: a.contractor });
}

function PlanReportSection({ plan, format, version }: { plan: Plan; format: Formatters; version: number }) {
  const { t } = useTranslation();
  const [period, setPeriod] = useState<PeriodName>('thisMonth');
  // The period is fixed when chosen (not re-read every render), so the report is asked for once.
  const [range, setRange] = useState(() => periodRange('thisMonth', Date.now(), plan.timezone));
  const [loaded, , retry] = useLoad(
    (signal) => inspectionsApi.report(plan.id, range.from, range.to, signal),
    [plan.id, range.from, range.to, version],
  );
  // The period's days as the site counts them (its months start at the site's midnight).
  const siteDay = (ms: number) =>
    new Intl.DateTimeFormat(format.locale, { dateStyle: 'medium', timeZone: plan.timezone }).format(ms);
  const choose = (name: PeriodName) => {
    setPeriod(name);
    setRange(periodRange(name, Date.now(), plan.timezone));
  };
  return (
    <section aria-labelledby="insp-report-title" className="insp-report" data-testid="plan-report">
      <h2 id="insp-report-title">{t('inspections.planPage.report')}</h2>
      <div className="toolbar insp-report-controls">
        <fieldset className="segmented ranges">
          <legend className="visually-hidden">{t('inspections.planPage.period')}</legend>
          {PERIODS.map((name) => (
            <button key={name} type="button" aria-pressed={period === name} onClick={() => choose(name)}>
              {t(`inspections.planPage.${name}`)}
            </button>
          ))}
        </fieldset>
        <a
          href={inspectionsApi.reportCsvUrl(plan.id, range.from, range.to)}
          download
          data-testid="report-csv"
        >
          <span aria-hidden="true">↓</span> {t('inspections.planPage.csv')}
        </a>
      </div>
      <p className="muted small" data-testid="report-period">
        <When ms={range.from} format={siteDay} /> – <When ms={range.to - 1} format={siteDay} /> (
        {plan.timezone})
      </p>
      {loaded.state === 'loading' ? <p className="muted">{t('inspections.loading')}</p> : null}
      {loaded.state === 'error' ? <LoadProblem error={loaded.error} retry={retry} /> : null}
      {loaded.state === 'ready' ? <ReportTables report={loaded.data} format={format} /> : null}
    </section>
  );
}

const FIGURES = ['due', 'done_on_time', 'done_late', 'open', 'overdue', 'skipped', 'failed_items'] as const;

function ReportTables({ report, format }: { report: PlanReport; format: Formatters }) {
  const { t } = useTranslation();
  const compliance = report.figures.compliance;
  const percent = new Intl.NumberFormat(format.locale, { style: 'percent', maximumFractionDigits: 1 });
  return (
    <>
      <dl className="insp-figures" data-testid="report-figures">
        {FIGURES.map((key) => (
          <div key={key} data-figure={key}>
            <dt>{t(`inspections.planPage.figures.${key}`)}</dt>
            <dd>{format.number(report.figures[key])}</dd>
          </div>
        ))}
        <div data-figure="compliance">
          <dt>{t('inspections.planPage.figures.compliance')}</dt>
          <dd>
            {compliance === null ? t('inspections.planPage.complianceNone') : percent.format(compliance)}
          </dd>
        </div>
      </dl>
      {report.occurrences.length > 0 ? (
        <DataTable
          rows={report.occurrences}
          testId="report-occurrences"
          rowKey={(o) => o.inspection_id}
          columns={[
            {
              key: 'occurrence',
              header: t('inspections.planPage.occurrence'),
              cell: (o) => <When ms={o.occurrence_at} format={format.dateTime} />,
            },
            {
              key: 'state',
              header: t('inspections.planPage.state'),
              cell: (o) => (
                <>
                  <StatusLabel status={o.status} />{' '}
                  <span className="muted small">
                    ({format.number(o.answered)} / {format.number(o.items)})
                  </span>
                </>
              ),
            },
            { key: 'order', header: t('inspections.planPage.order'), cell: (o) => o.order_code ?? '—' },
          ]}
        />
      ) : null}
      <h3>{t('inspections.planPage.failedItems')}</h3>
      {report.failed_items.length === 0 ? (
        <p className="muted">{t('inspections.planPage.noFailedItems')}</p>
      ) : (
        <DataTable
          rows={report.failed_items}
          testId="report-failed"
          rowKey={(f) => `${f.inspection_id}-${f.object}-${f.label}`}
          columns={[
            { key: 'item', header: t('inspections.planPage.item'), cell: (f) => `${f.object}: ${f.label}` },
            {
              key: 'value',
              header: t('inspections.planPage.value'),
              num: true,
              cell: (f) =>
                f.value === null ? '—' : `${format.number(f.value)}${f.unit ? ` ${f.unit}` : ''}`,
            },
            {
              key: 'repair',
              header: t('inspections.planPage.repair'),
              cell: (f) =>
                f.repair_order_id !== null ? (
                  <Link to={`/orders/${f.repair_order_id}`}>
                    {f.repair_order_code ?? `#${f.repair_order_id}`}
                  </Link>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      )}
    </>
  );
}
