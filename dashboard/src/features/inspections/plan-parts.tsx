import type { InspectionObject, Plan } from '@caretaker/protocol';
import { useTranslation } from 'react-i18next';
import type { Formatters } from '../../i18n/format.js';
import { When } from './common.js';
import type { Template } from './inspections.api.js';
import { scheduleWords, usageProgress, type WordsContext } from './schedule-words.js';

/** The bits of a plan both the list and the plan's page show. */

export interface Catalogue {
  objects: Map<number, InspectionObject>;
  templates: Map<number, Template>;
}

/** The names of what a plan inspects (its template's objects or its own list). */
export function objectNames(plan: Plan, catalogue: Catalogue): string[] {
  const ids =
    plan.template_id !== null
      ? (catalogue.templates.get(plan.template_id)?.object_ids ?? [])
      : (plan.object_ids ?? []);
  return ids.map((id) => catalogue.objects.get(id)?.name ?? `#${id}`);
}

export function PlanBadge({ active }: { active: boolean }) {
  const { t } = useTranslation();
  return (
    <span
      className={`insp-badge ${active ? 'insp-badge-active' : 'insp-badge-paused'}`}
      data-testid="plan-state"
    >
      <span aria-hidden="true">{active ? '▶' : '⏸'}</span>{' '}
      {active ? t('inspections.plansPage.active') : t('inspections.plansPage.paused')}
    </span>
  );
}

/** Schedule in words, and for a usage plan its progress as a bar with the same words. */
export function PlanSchedule({ plan, words }: { plan: Plan; words: WordsContext }) {
  const progress = plan.usage ? usageProgress(plan.usage, words) : null;
  return (
    <>
      <span data-testid="plan-schedule">{scheduleWords(plan.schedule, words)}</span>
      {plan.usage && progress ? (
        <span className="insp-usage">
          <progress
            max={plan.usage.every}
            value={Math.min(plan.usage.used_since_last, plan.usage.every)}
            aria-label={progress}
          />{' '}
          <span data-testid="plan-progress">{progress}</span>
        </span>
      ) : null}
    </>
  );
}

export function PlanCounts({ plan, format }: { plan: Plan; format: Formatters }) {
  const { t } = useTranslation();
  const { stats } = plan;
  const parts: Array<[string, number, string]> = [
    ['overdue', stats.overdue, '⚠'],
    ['skipped', stats.skipped, '⤼'],
    ['open', stats.open, '○'],
    ['done', stats.done, '✓'],
  ];
  return (
    <span className="insp-counts" data-testid="plan-counts">
      {parts.map(([key, count, icon]) => (
        <span
          key={key}
          className={count > 0 ? `insp-count insp-count-${key}` : 'insp-count'}
          data-count={key}
        >
          <span aria-hidden="true">{icon}</span>{' '}
          {t(`inspections.plansPage.${key}`, { count, n: format.number(count) })}
        </span>
      ))}
    </span>
  );
}

/**
 * A plan's record as two facts of its `<dl>`: when it was last done (or never) and its counts
 * of overdue, skipped and done occurrences.
 */
export function PlanRecord({ plan, format, testId }: { plan: Plan; format: Formatters; testId?: string }) {
  const { t } = useTranslation();
  return (
    <>
      <div>
        <dt>{t('inspections.plansPage.lastDone')}</dt>
        <dd data-testid={testId}>
          {plan.stats.last_done_at !== null ? (
            <When ms={plan.stats.last_done_at} format={format.dateTime} />
          ) : (
            t('inspections.plansPage.never')
          )}
        </dd>
      </div>
      <div>
        <dt>{t('inspections.plansPage.counts')}</dt>
        <dd>
          <PlanCounts plan={plan} format={format} />
        </dd>
      </div>
    </>
  );
}

/** What a plan covers and when, as two facts of its `<dl>`; the plan's own page adds its time zone. */
export function PlanScope({
  plan,
  catalogue,
  words,
  timezone,
}: {
  plan: Plan;
  catalogue: Catalogue;
  words: WordsContext;
  timezone?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <>
      <div>
        <dt>{t('inspections.plansPage.objects')}</dt>
        <dd>{objectNames(plan, catalogue).join(', ')}</dd>
      </div>
      <div>
        <dt>{t('inspections.plansPage.schedule')}</dt>
        <dd>
          <PlanSchedule plan={plan} words={words} />
          {timezone ? (
            <>
              {' '}
              <span className="muted small">({plan.timezone})</span>
            </>
          ) : null}
        </dd>
      </div>
    </>
  );
}
