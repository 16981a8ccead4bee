import type { ChecklistSpec, InspectionItem } from '@caretaker/protocol';
import type { ResultEntry } from './inspections.api.js';

/**
 * How an entry looks against its item while it is typed, before the hub judges it (the hub's
 * rules: hub/src/preventive/checklist.ts): a number outside its limits fails, a meter reading
 * further from the device's counter than its tolerance fails. Pure, so it is tested directly.
 */

/** A typed number, or null when empty; NaN when it is not a number. */
export function parseEntry(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : Number.NaN;
}

export type NumberVerdict =
  | { kind: 'empty' }
  | { kind: 'invalid' }
  | { kind: 'ok' }
  | { kind: 'below'; min: number }
  | { kind: 'above'; max: number };

export function numberVerdict(
  spec: Extract<ChecklistSpec, { type: 'number' }>,
  value: number | null,
): NumberVerdict {
  if (value === null) return { kind: 'empty' };
  if (Number.isNaN(value)) return { kind: 'invalid' };
  if (spec.min !== undefined && value < spec.min) return { kind: 'below', min: spec.min };
  if (spec.max !== undefined && value > spec.max) return { kind: 'above', max: spec.max };
  return { kind: 'ok' };
}

export type MeterVerdict =
  | { kind: 'empty' }
  | { kind: 'invalid' }
  | { kind: 'negative' }
  /** No counter to compare with (no point, no tolerance or no live value): the hub accepts it. */
  | { kind: 'unchecked' }
  | { kind: 'close'; tolerance: number }
  | { kind: 'off'; off: number; tolerance: number };

export function meterVerdict(
  spec: Extract<ChecklistSpec, { type: 'meter' }>,
  value: number | null,
  live: number | null,
): MeterVerdict {
  if (value === null) return { kind: 'empty' };
  if (Number.isNaN(value)) return { kind: 'invalid' };
  if (value < 0) return { kind: 'negative' };
  if (spec.tolerance === undefined || live === null) return { kind: 'unchecked' };
  const off = Math.abs(value - live);
  // Rounded as the hub words it, so 0.1 + 0.2 does not read as 0.30000000000000004.
  const shown = Number(off.toPrecision(6));
  return off > spec.tolerance
    ? { kind: 'off', off: shown, tolerance: spec.tolerance }
    : { kind: 'close', tolerance: spec.tolerance };
}

/** Whether an entry, as typed, would fail its item (the form flags it at once). */
export function failsAsTyped(verdict: NumberVerdict | MeterVerdict): boolean {
  return verdict.kind === 'below' || verdict.kind === 'above' || verdict.kind === 'off';
}

/** What a person has entered for one item in this form (nothing is sent until they submit). */
export interface Draft {
  passed?: boolean;
  text?: string;
  attachmentId?: number;
  note?: string;
}

/**
 * The results to send for the items a person touched: untouched items are left as they are
 * (results are recorded item by item). An entry with only a remark is sent too when the item
 * already has its answer (the hub then updates the remark). Invalid numbers are sent as they are
 * not: they are reported per item instead, and nothing is sent while any is left.
 */
export function resultsToSend(
  items: readonly InspectionItem[],
  drafts: ReadonlyMap<number, Draft>,
): { results: ResultEntry[]; invalid: number[] } {
  const results: ResultEntry[] = [];
  const invalid: number[] = [];
  for (const item of items) {
    const draft = drafts.get(item.id);
    if (!draft) continue;
    const note = draft.note?.trim() ? { note: draft.note.trim() } : {};
    const base = { item_id: item.id, ...note };
    switch (item.type) {
      case 'pass_fail': {
        const passed = draft.passed ?? (item.status === 'pending' ? undefined : item.status === 'pass');
        if (passed !== undefined) results.push({ ...base, passed });
        break;
      }
      case 'number':
      case 'meter': {
        const typed = draft.text === undefined ? null : parseEntry(draft.text);
        if (typed !== null && Number.isNaN(typed)) {
          invalid.push(item.id);
          break;
        }
        const value = typed ?? (item.status === 'pending' ? null : item.value);
        if (value !== null) results.push({ ...base, value });
        break;
      }
      case 'photo': {
        const attachment = draft.attachmentId ?? item.attachment_id ?? undefined;
        if (attachment !== undefined) results.push({ ...base, attachment_id: attachment });
        break;
      }
    }
  }
  return { results, invalid };
}
