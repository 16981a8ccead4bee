import type { TFunction } from 'i18next';
import { createContext, useContext } from 'react';
import type { Formatters } from '../i18n/format.js';

/**
 * The board's translations and formatters, read once by the page and handed to its thousand
 * tiles through context (no i18n hook per tile). A new language is a new value: every tile
 * re-renders in it.
 */
export interface BoardText {
  t: TFunction;
  format: Formatters;
}

export const BoardTextContext = createContext<BoardText | null>(null);

export function useBoardText(): BoardText {
  const value = useContext(BoardTextContext);
  if (!value) throw new Error('useBoardText outside a BoardTextContext');
  return value;
}
