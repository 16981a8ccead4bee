import { z } from 'zod';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** `90s`, `5m`, `2.5h`, `30d`, `2w` in ms; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? Number.NaN);
}

/** A duration written with its unit, as ms. Bare numbers are refused: seconds or days? */
export const durationSchema = z
  .string({ error: 'must be a duration such as 90s, 5m, 2h, 30d' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `must be a duration such as 90s, 5m, 2h, 30d, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

/** Short human form of a duration in ms, for logs and listings. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNITS.d],
    ['h', UNITS.h],
    ['m', UNITS.m],
    ['s', UNITS.s],
  ] as const) {
    if (size !== undefined && Math.abs(ms) >= size) return `${Number((ms / size).toPrecision(3))}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}
