import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { useNow } from '../../components/use-now.js';
import { useTitle } from '../../components/use-title.js';
import { useFormat } from '../../i18n/format.js';
import { LoadProblem, useLoad, useMaintenanceVersion, useWordsContext, When } from './common.js';
import { inspectionsApi } from './inspections.api.js';
import { type Catalogue, PlanBadge, PlanRecord, PlanScope } from './plan-parts.js';

/** Loads the plans with the objects and templates their names come from. */
export async function loadCatalogue(signal: AbortSignal): Promise<Catalogue> {
  const [objects, templates] = await Promise.all([
    inspectionsApi.objects(signal),
    inspectionsApi.templates(signal),
  ]);
  return {
    objects: new Map(objects.map((o) => [o.id, o])),
    templates: new Map(templates.map((tpl) => [tpl.id, tpl])),
  };
}

/** Every plan of the user's sites: what, when (in words), next due, last done, how it stands. */
export function PlansPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const words = useWordsContext();
  const version = useMaintenanceVersion();
  const now = useNow(60_000);
  const can = useCan();
  useTitle(t('inspections.plans'));
  const [loaded, , retry] = useLoad(
    async (signal) => {
      const [plans, catalogue] = await Promise.all([inspectionsApi.plans(signal), loadCatalogue(signal)]);
      return { plans, catalogue };
    },
    [version],
  );
  if (loaded.state === 'loading') return <p className="muted">{t('inspections.loading')}</p>;
  if (loaded.state === 'error') return <LoadProblem error={loaded.error} retry={retry} />;
  const { plans, catalogue } = loaded.data;
  const sites = new Set(plans.map((p) => p.site));
  return (
    <section aria-labelledby="insp-plans-title" data-testid="inspection-plans">
      <div className="page-head">
        <h1 id="insp-plans-title">{t('inspections.plansPage.heading')}</h1>
        {can('plans.manage') ? (
          <Link className="insp-head-link" to="/inspections/plans/new">
            {t('inspections.editor.newPlan')}
          </Link>
        ) : null}
      </div>
      {plans.length === 0 ? <p className="muted">{t('inspections.plansPage.none')}</p> : null}
      <ul className="insp-cards insp-plans">
        {plans.map((plan) => (
          <li key={plan.id} className="insp-card insp-plan" data-plan={plan.id}>
            <div className="insp-card-line">
              <h2 className="insp-card-title">
                <Link to={`/inspections/plans/${plan.id}`}>{plan.name}</Link>
              </h2>
              <PlanBadge active={plan.active} />
            </div>
            <dl className="insp-facts">
              {sites.size > 1 ? (
                <div>
                  <dt>{t('inspections.plansPage.site')}</dt>
                  <dd>{plan.site}</dd>
                </div>
              ) : null}
              <PlanScope plan={plan} catalogue={catalogue} words={words} />
              {plan.next_due_at !== null && plan.active ? (
                <div>
                  <dt>{t('inspections.plansPage.nextDue')}</dt>
                  <dd data-testid="plan-next-due">
                    <When ms={plan.next_due_at} format={(ms) => format.relative(ms, now)} />
                  </dd>
                </div>
              ) : null}
              <PlanRecord plan={plan} format={format} testId="plan-last-done" />
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
