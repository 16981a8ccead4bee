import type { Generated, Selectable } from 'kysely';

/** Tables of the order lifecycle (migration 0009_qr_reports). */
export interface QrReportsTable {
  id: Generated<number>;
  device: string;
  site: string;
  reporter_name: string;
  reporter_phone: string;
  description: string;
  /** The photo, stored like an attachment (DATA_DIR/attachments/<key>) until it joins an order. */
  photo_key: string | null;
  photo_type: string | null;
  photo_size: number | null;
  photo_sha256: string | null;
  /** pending, approved (order_id set) or rejected (review_reason set). */
  status: 'pending' | 'approved' | 'rejected';
  created_at: number;
  reviewed_by: string | null;
  reviewed_at: number | null;
  review_reason: string | null;
  order_id: number | null;
}
export type QrReportRow = Selectable<QrReportsTable>;

export interface WorkOrderTables {
  qr_reports: QrReportsTable;
}
