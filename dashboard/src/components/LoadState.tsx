import type { ReactNode } from 'react';

/**
 * What a view shows while its data load and when loading failed: the loading line is a polite
 * status, the failure an alert (screen readers announce both). Nothing once the data are there.
 */
export function LoadState({
  loading,
  loadingText,
  error,
  errorClassName = 'error',
  errorTestId,
}: {
  loading: boolean;
  loadingText: ReactNode;
  /** The failure in words (already translated), or nothing. */
  error?: ReactNode;
  /** `error` (a line) or `banner` (a box across the page). */
  errorClassName?: 'error' | 'banner';
  errorTestId?: string;
}) {
  return (
    <>
      {error ? (
        <p role="alert" className={errorClassName} data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      {loading && !error ? (
        <p role="status" className="muted">
          {loadingText}
        </p>
      ) : null}
    </>
  );
}

/** What became of a form's submission: its failure as an alert, its success as a status line. */
export function FormOutcome({
  error,
  done,
  errorTestId,
}: {
  error: ReactNode;
  done?: ReactNode;
  errorTestId?: string;
}) {
  return (
    <>
      {error ? (
        <p className="banner" role="alert" data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
      {done ? (
        <p className="ok" role="status">
          {done}
        </p>
      ) : null}
    </>
  );
}
