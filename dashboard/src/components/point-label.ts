import type { TFunction } from 'i18next';
import { humanizePoint } from '../i18n/format.js';

/** A point's name in the reader's language; unknown points read as their id, humanised. */
export function pointLabel(t: TFunction, point: string): string {
  return t(`points.${point}`, { defaultValue: humanizePoint(point) });
}
