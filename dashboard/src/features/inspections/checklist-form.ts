import type { ChecklistSpec } from '@caretaker/protocol';

/**
 * The checklist editor's items and the hub's checklist, both ways, and the moves the editor
 * offers. Pure and tested. Keys are the items' stable ids (results and history hang off them):
 * a stored item keeps its key whatever its label becomes; a new one gets one from its label.
 */

export const ITEM_TYPES = ['pass_fail', 'number', 'meter', 'photo'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export interface ItemDraft {
  /** Tells React's list the items apart while they move. */
  uid: number;
  /** The stored key, or null for an item added in this edit. */
  key: string | null;
  label: string;
  type: ItemType;
  unit: string;
  min: string;
  max: string;
  point: string;
  tolerance: string;
}

let nextUid = 1;
export function newItem(type: ItemType = 'pass_fail'): ItemDraft {
  return { uid: nextUid++, key: null, label: '', type, unit: '', min: '', max: '', point: '', tolerance: '' };
}

export function fromChecklist(items: readonly ChecklistSpec[]): ItemDraft[] {
  return items.map((item) => {
    const draft = { ...newItem(item.type), key: item.key, label: item.label };
    if (item.type === 'number') {
      return {
        ...draft,
        unit: item.unit ?? '',
        min: item.min === undefined ? '' : `${item.min}`,
        max: item.max === undefined ? '' : `${item.max}`,
      };
    }
    if (item.type === 'meter') {
      return {
        ...draft,
        unit: item.unit ?? '',
        point: item.point ?? '',
        tolerance: item.tolerance === undefined ? '' : `${item.tolerance}`,
      };
    }
    return draft;
  });
}

/** A key from a label: lower-case ASCII words joined by "-" ("item" when none, e.g. Chinese). */
export function keyOf(label: string): string {
  const words = label
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return words || 'item';
}

function numberOf(text: string): number | string {
  const trimmed = text.trim();
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** The checklist the API takes; new items get keys unique within the list. */
export function toChecklist(items: readonly ItemDraft[]): ChecklistSpec[] {
  const used = new Set(items.map((i) => i.key).filter((k): k is string => k !== null));
  return items.map((item) => {
    let key = item.key;
    if (key === null) {
      const base = keyOf(item.label);
      key = base;
      for (let n = 2; used.has(key); n++) key = `${base}-${n}`;
      used.add(key);
    }
    const spec: Record<string, unknown> = { key, label: item.label, type: item.type };
    const optional = (field: string, text: string, number: boolean) => {
      if (text.trim() !== '') spec[field] = number ? numberOf(text) : text.trim();
    };
    if (item.type === 'number') {
      optional('min', item.min, true);
      optional('max', item.max, true);
      optional('unit', item.unit, false);
    } else if (item.type === 'meter') {
      optional('unit', item.unit, false);
      optional('point', item.point, false);
      optional('tolerance', item.tolerance, true);
    }
    return spec as unknown as ChecklistSpec;
  });
}

/** The list with item `index` moved by `by` places (kept inside the list). */
export function moveItem<T>(items: readonly T[], index: number, by: -1 | 1): T[] {
  const to = index + by;
  if (index < 0 || index >= items.length || to < 0 || to >= items.length) return [...items];
  const next = [...items];
  const [item] = next.splice(index, 1) as [T];
  next.splice(to, 0, item);
  return next;
}

/**
 * Which control the hub's refusal names: its message starts with a path ("schedule.interval:
 * …", "items.2.max: …"); the control is the longest known field that path starts with.
 */
export function matchField(error: string | null, fields: readonly string[]): string | null {
  if (!error) return null;
  const colon = error.indexOf(':');
  if (colon <= 0) return null;
  const path = error.slice(0, colon);
  let best: string | null = null;
  for (const field of fields) {
    if ((path === field || path.startsWith(`${field}.`)) && (best === null || field.length > best.length))
      best = field;
  }
  return best;
}
