import { useCallback, useState } from 'react';

/**
 * A form's submission: busy while it runs (so the button can be disabled), then either done or
 * its failure in words (`describe` turns the thrown error into a message). `finish` runs in any
 * case, e.g. to clear a file input.
 */
export function useSubmission(describe: (err: unknown) => string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const run = useCallback(
    async (work: () => Promise<unknown>, onDone?: () => void, finish?: () => void) => {
      setBusy(true);
      setError(null);
      setDone(false);
      try {
        await work();
        setDone(true);
        onDone?.();
      } catch (err) {
        setError(describe(err));
      } finally {
        setBusy(false);
        finish?.();
      }
    },
    [describe],
  );
  return { busy, error, done, run, setError };
}
