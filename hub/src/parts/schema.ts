import type { PartMovementKind } from '@caretaker/protocol';
import type { Generated, Selectable } from 'kysely';

/**
 * Spare parts (migration 0006_parts_webhooks). Quantities are stored in thousandths of the
 * part's unit (integers), so 0.1 m + 0.2 m is exactly 0.3 m and "never below zero" is exact;
 * the API speaks whole units with up to three decimals.
 */
export interface PartsTable {
  id: Generated<number>;
  /** The catalogue number, unique, starting with a letter (so a URL segment of digits is an id). */
  part_no: string;
  name: string;
  /** pcs, m, L, kg, set... */
  unit: string;
  category: string;
  /** JSON array of the device types it fits (pump, elevator, power_meter...). */
  device_types: string;
  description: Generated<string>;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface StoresTable {
  id: Generated<number>;
  /** Unique, starting with a letter. */
  code: string;
  name: string;
  site: string;
  location: string | null;
  active: Generated<number>;
  created_at: number;
}

/** What a store holds of a part: kept equal to the sum of its ledger rows, in the same transaction. */
export interface StockTable {
  part_id: number;
  store_id: number;
  /** Thousandths of the unit; a CHECK constraint keeps it at or above zero. */
  quantity: number;
  /** Thousandths; 0 means no minimum. */
  min_quantity: number;
  updated_at: number;
}

export {
  PART_MOVEMENT_KINDS as MOVEMENT_KINDS,
  type PartMovementKind as MovementKind,
} from '@caretaker/protocol';

/** The ledger: one row per change of a stock, never updated or deleted. */
export interface StockMovementsTable {
  id: Generated<number>;
  ts: number;
  part_id: number;
  store_id: number;
  kind: PartMovementKind;
  /** Signed change in thousandths (issue and transfer_out negative). */
  quantity: number;
  /** The stock right after this movement, in thousandths. */
  balance_after: number;
  /** The work order of an issue or a return. */
  order_id: number | null;
  /** Both halves of a transfer share it. */
  transfer_id: string | null;
  /** Why (required for adjustments). */
  reason: string | null;
  /** A delivery note, an invoice, a stock-count sheet. */
  reference: string | null;
  actor: string;
}

/** A stock below its minimum: one open alert per part and store until restocked. */
export interface LowStockAlertsTable {
  id: Generated<number>;
  part_id: number;
  store_id: number;
  raised_at: number;
  /** Thousandths, when raised. */
  quantity: number;
  min_quantity: number;
  /** The movement (or null: a raised minimum) that took it below. */
  movement_id: number | null;
  cleared_at: number | null;
}

export interface PartsTables {
  parts: PartsTable;
  stores: StoresTable;
  stock: StockTable;
  stock_movements: StockMovementsTable;
  low_stock_alerts: LowStockAlertsTable;
}

export type PartRow = Selectable<PartsTable>;
export type StoreRow = Selectable<StoresTable>;
export type StockRow = Selectable<StockTable>;
export type MovementRow = Selectable<StockMovementsTable>;
export type LowStockAlertRow = Selectable<LowStockAlertsTable>;
