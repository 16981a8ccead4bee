import type { WorkOrderPage } from '@caretaker/protocol';
import { type Ref, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useFormat } from '../../i18n/format.js';
import { pageRange } from './desk-filters.js';

interface PageProps {
  result: WorkOrderPage;
  page: number;
  /** The address query of page `n` with the current filters. */
  pageTo: (n: number) => URLSearchParams;
}

/**
 * "Showing 51–100 of 1,234 work orders": where this page is in the list. It takes the focus
 * after the pager moved (tabIndex -1), so a keyboard or screen-reader user goes on reading from
 * the top of the new page, not from the pager at the bottom.
 */
export function RangeLine({ result, page, pageTo, ref }: PageProps & { ref?: Ref<HTMLParagraphElement> }) {
  const { t } = useTranslation();
  const format = useFormat();
  const range = pageRange(page, result.work_orders.length, result.total);
  const total = format.number(result.total);
  return (
    <p className="muted small desk-range" role="status" data-testid="desk-count" tabIndex={-1} ref={ref}>
      {range.pastEnd ? (
        <>
          {t('orders.desk.pastEnd', {
            count: range.pages,
            page: format.number(page),
            pages: format.number(range.pages),
          })}{' '}
          <Link to={{ search: pageTo(range.pages).toString() }}>{t('orders.desk.lastPage')}</Link>
        </>
      ) : range.to === 0 || (range.from === 1 && range.to === result.total) ? (
        t('orders.desk.total', { count: result.total, total })
      ) : (
        t('orders.desk.range', {
          count: result.total,
          from: format.number(range.from),
          to: format.number(range.to),
          total,
        })
      )}
    </p>
  );
}

/**
 * First, previous, "page [2] of 25", next, last: links (the page is in the address, so each can
 * be opened in a new tab or bookmarked); the ones that lead nowhere are shown but inert.
 */
export function DeskPager({ result, page, pageTo, onNavigate }: PageProps & { onNavigate: () => void }) {
  const { t } = useTranslation();
  const { pages } = pageRange(page, result.work_orders.length, result.total);
  if (pages <= 1 && page === 1) return null;
  const step = (
    key: 'first' | 'previous' | 'next' | 'last',
    target: number,
    symbol: string,
    enabled: boolean,
  ) =>
    enabled ? (
      <Link
        className="button pager-link"
        data-testid={`pager-${key}`}
        to={{ search: pageTo(target).toString() }}
        onClick={onNavigate}
        rel={key === 'next' ? 'next' : key === 'previous' ? 'prev' : undefined}
      >
        <span aria-hidden="true">{symbol}</span> {t(`orders.desk.${key}`)}
      </Link>
    ) : (
      <span className="button pager-link" aria-disabled="true" data-testid={`pager-${key}`}>
        <span aria-hidden="true">{symbol}</span> {t(`orders.desk.${key}`)}
      </span>
    );
  return (
    <nav className="desk-pager" aria-label={t('orders.desk.pages')} data-testid="desk-pager">
      {step('first', 1, '«', page > 1)}
      {step('previous', Math.min(page - 1, pages), '‹', page > 1)}
      <PageJump page={page} pages={pages} pageTo={pageTo} onNavigate={onNavigate} />
      {step('next', page + 1, '›', page < pages)}
      {step('last', pages, '»', page < pages)}
    </nav>
  );
}

/**
 * "Page [2] of 25 Go": straight to a page of a long list. The field keeps what is typed until
 * it is sent; a number out of range is brought into it rather than refused.
 */
function PageJump({
  page,
  pages,
  pageTo,
  onNavigate,
}: {
  page: number;
  pages: number;
  pageTo: (n: number) => URLSearchParams;
  onNavigate: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const id = useId();
  const [draft, setDraft] = useState(String(page));
  useEffect(() => setDraft(String(page)), [page]);
  return (
    <form
      className="pager-where"
      data-testid="pager-jump"
      onSubmit={(e) => {
        e.preventDefault();
        const wanted = Math.round(Number(draft));
        if (!Number.isFinite(wanted)) return setDraft(String(page));
        const target = Math.min(Math.max(wanted, 1), pages);
        setDraft(String(target));
        if (target === page) return;
        onNavigate();
        navigate({ search: pageTo(target).toString() });
      }}
    >
      <label htmlFor={id}>{t('orders.desk.pageLabel')}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={1}
        max={pages}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        aria-describedby={`${id}-of`}
      />
      <span id={`${id}-of`}>{t('orders.desk.ofPages', { pages: format.number(pages) })}</span>
      <button type="submit">{t('orders.desk.go')}</button>
    </form>
  );
}
