import { useEffect, useState } from 'react';

/** The time, refreshed every `everyMs`: for "3 minutes ago" texts (only where they are shown). */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
