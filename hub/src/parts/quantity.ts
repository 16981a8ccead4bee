import { z } from 'zod';

/**
 * Quantities are whole units with up to three decimals on the API (2.5 m of cable, 0.75 L of
 * oil) and integer thousandths in the database: sums stay exact, so stock and ledger agree to
 * the last digit and "never below zero" is never a rounding question.
 */
export const QUANTITY_SCALE = 1000;
const MAX_QUANTITY = 1_000_000_000;

function hasThreeDecimals(q: number): boolean {
  const scaled = q * QUANTITY_SCALE;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

/** A positive quantity (receive, issue, return, transfer, a minimum of more than zero). */
export const quantitySchema = z
  .number()
  .positive()
  .max(MAX_QUANTITY)
  .refine(hasThreeDecimals, 'must have at most three decimals');

/** Zero or more (a minimum level; zero: no minimum). */
export const levelSchema = z
  .number()
  .min(0)
  .max(MAX_QUANTITY)
  .refine(hasThreeDecimals, 'must have at most three decimals');

/** A signed, non-zero change (an adjustment). */
export const deltaSchema = z
  .number()
  .min(-MAX_QUANTITY)
  .max(MAX_QUANTITY)
  .refine((q) => q !== 0, 'must not be zero')
  .refine(hasThreeDecimals, 'must have at most three decimals');

export function toMilli(quantity: number): number {
  return Math.round(quantity * QUANTITY_SCALE);
}

export function fromMilli(milli: number): number {
  return Number(milli) / QUANTITY_SCALE;
}
