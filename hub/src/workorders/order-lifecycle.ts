import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AttachmentService } from './attachment.service.js';
import { AttachmentStore } from './attachment.store.js';
import { QrReportService } from './qr-report.service.js';
import { QrSigner } from './qr-signer.js';
import type { WorkOrderService } from './work-order.service.js';
import type { Workflow } from './workflow.js';
import { type AssigneeCheck, WorkflowService } from './workflow.service.js';

export interface OrderLifecycleOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  workflow: Workflow;
  /** Attachments and the QR secret live here. */
  dataDir: string;
  deviceSite: (device: string) => string | undefined;
  now?: () => number;
  checkAssignee?: AssigneeCheck;
  maxAttachmentBytes?: number;
}

/**
 * The people's side of work orders, in one place for the composition root: the transition
 * table (`workflow.perform`), photo attachments, and QR codes with the reports they bring.
 */
export class OrderLifecycle {
  readonly workflow: WorkflowService;
  readonly attachments: AttachmentService;
  readonly qrSigner: QrSigner;
  readonly qrReports: QrReportService;
  readonly deviceSite: (device: string) => string | undefined;

  constructor(opts: OrderLifecycleOptions) {
    const now = opts.now ?? Date.now;
    this.deviceSite = opts.deviceSite;
    this.workflow = new WorkflowService({
      db: opts.db,
      orders: opts.orders,
      workflow: opts.workflow,
      now,
      ...(opts.checkAssignee ? { checkAssignee: opts.checkAssignee } : {}),
    });
    const store = new AttachmentStore(opts.dataDir, opts.maxAttachmentBytes);
    this.attachments = new AttachmentService(opts.db, opts.orders, store, now);
    this.qrSigner = QrSigner.open(opts.dataDir);
    this.qrReports = new QrReportService({
      db: opts.db,
      orders: opts.orders,
      signer: this.qrSigner,
      store,
      deviceSite: opts.deviceSite,
      now,
    });
  }
}
