import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Actor, type ActorRole, canSeeSite } from '../people/actor.js';
import { type AttachmentStore, type StoredFile, UnsupportedFileError } from './attachment.store.js';
import type { QrApproveInput, QrReportInput } from './order.inputs.js';
import type { QrSigner } from './qr-signer.js';
import type { QrReportRow } from './schema.js';
import type { WorkOrderService } from './work-order.service.js';
import { WorkflowError } from './workflow.service.js';

/** Who reviews what strangers report through a device's code. */
export const QR_REVIEW_ROLES: readonly ActorRole[] = ['admin', 'supervisor', 'reviewer'];

export interface QrReportServiceOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  signer: QrSigner;
  store: AttachmentStore;
  /** The site of a device (live state, asset map); undefined for a device the hub does not know. */
  deviceSite: (device: string) => string | undefined;
  now?: () => number;
}

/**
 * QR reports: anybody with a printed code may report a fault on that device without an
 * account; a report is only a request until a reviewer of the site approves it into an
 * order (source "qr", the reporter as requester, the photo as its first attachment) or
 * rejects it with a reason.
 */
export class QrReportService {
  private readonly now: () => number;

  constructor(private readonly opts: QrReportServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A report from the public form; the signature must be the one printed for the device. */
  async submit(input: QrReportInput, photo?: Uint8Array): Promise<QrReportRow> {
    if (!this.opts.signer.verify(input.device, input.s)) {
      throw new WorkflowError(403, 's: not a valid code for this device (print a new one from the hub)');
    }
    const site = this.opts.deviceSite(input.device);
    if (!site) throw new WorkflowError(404, `device: ${input.device} is not known to the hub`);
    let stored: StoredFile | undefined;
    if (photo) {
      try {
        stored = await this.opts.store.put(photo);
      } catch (err) {
        if (!(err instanceof UnsupportedFileError)) throw err;
        throw new WorkflowError(
          photo.byteLength > this.opts.store.maxBytes ? 413 : 415,
          `photo: ${err.message}`,
        );
      }
    }
    return this.opts.db
      .insertInto('qr_reports')
      .values({
        device: input.device,
        site,
        reporter_name: input.name,
        reporter_phone: input.phone,
        description: input.description,
        photo_key: stored?.key ?? null,
        photo_type: stored?.contentType ?? null,
        photo_size: stored?.size ?? null,
        photo_sha256: stored?.sha256 ?? null,
        status: 'pending',
        created_at: this.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .then(normalise);
  }

  private mayReview(actor: Actor): void {
    if (!QR_REVIEW_ROLES.includes(actor.role)) {
      throw new WorkflowError(
        403,
        `role ${actor.role} may not review QR reports (reviewers: ${QR_REVIEW_ROLES.join(', ')})`,
      );
    }
  }

  async list(
    actor: Actor,
    query: { status?: QrReportRow['status']; site?: string; limit: number; offset: number },
  ): Promise<{ reports: QrReportRow[]; total: number }> {
    this.mayReview(actor);
    if (query.site && !canSeeSite(actor, query.site)) {
      throw new WorkflowError(403, `site: ${query.site} is not one of ${actor.username}'s sites`);
    }
    let q = this.opts.db.selectFrom('qr_reports');
    if (actor.sites !== 'all') {
      if (actor.sites.length === 0) return { reports: [], total: 0 };
      q = q.where('site', 'in', actor.sites);
    }
    if (query.site) q = q.where('site', '=', query.site);
    if (query.status) q = q.where('status', '=', query.status);
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { reports: rows.map(normalise), total: Number(count.n) };
  }

  /** One report, for a reviewer of its site. */
  async get(id: number, actor: Actor): Promise<QrReportRow> {
    this.mayReview(actor);
    const report = await this.opts.db
      .selectFrom('qr_reports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!report) throw new WorkflowError(404, `id: no QR report ${id}`);
    if (!canSeeSite(actor, report.site)) {
      throw new WorkflowError(403, `site: ${report.site} is not one of ${actor.username}'s sites`);
    }
    return normalise(report);
  }

  private async pending(id: number, actor: Actor) {
    const report = await this.get(id, actor);
    if (report.status !== 'pending') {
      throw new WorkflowError(409, `QR report ${id} is already ${report.status}`);
    }
    return report;
  }

  /** Makes the report an order; the photo becomes the order's first attachment. */
  async approve(id: number, actor: Actor, input: QrApproveInput) {
    const report = await this.pending(id, actor);
    const ts = this.now();
    return this.opts.orders.inTransaction(async (trx) => {
      const order = await this.opts.orders.create(
        {
          source: 'qr',
          kind: 'corrective',
          site: report.site,
          building: input.building ?? null,
          location: input.location ?? null,
          device: report.device,
          title: input.title ?? `${report.device}: ${firstLine(report.description, 80)}`,
          problemType: input.problem_type,
          priority: input.priority,
          description: report.description,
          requester: report.reporter_name,
          evidence: {
            qr_report_id: report.id,
            reporter: { name: report.reporter_name, phone: report.reporter_phone },
            reported_at: report.created_at,
          },
          actor: `qr:${actor.username}`,
          ts,
        },
        trx,
      );
      // Only a report still pending: two reviewers approving at once make one order.
      const updated = await trx
        .updateTable('qr_reports')
        .set({ status: 'approved', reviewed_by: actor.username, reviewed_at: ts, order_id: order.id })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw new WorkflowError(409, `QR report ${id} was reviewed meanwhile`);
      }
      if (report.photo_key && report.photo_type) {
        const attachment = await trx
          .insertInto('work_order_attachments')
          .values({
            order_id: order.id,
            filename: `qr-report-${id}.${report.photo_type.split('/')[1]}`,
            content_type: report.photo_type,
            size: report.photo_size ?? 0,
            sha256: report.photo_sha256 ?? '',
            storage_key: report.photo_key,
            uploaded_by: `qr:${report.reporter_name}`,
            uploaded_at: report.created_at,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await this.opts.orders.event(
          trx,
          order.id,
          ts,
          `qr:${actor.username}`,
          'attachment_added',
          null,
          null,
          {
            attachment_id: Number(attachment.id),
            qr_report_id: id,
          },
        );
      }
      const approved = await trx
        .selectFrom('qr_reports')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return { report: normalise(approved), order };
    });
  }

  async reject(id: number, actor: Actor, reason: string): Promise<QrReportRow> {
    const report = await this.pending(id, actor);
    const ts = this.now();
    const updated = await this.opts.db
      .updateTable('qr_reports')
      .set({
        status: 'rejected',
        reviewed_by: actor.username,
        reviewed_at: ts,
        review_reason: reason,
        photo_key: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw new WorkflowError(409, `QR report ${id} was reviewed meanwhile`);
    // A stranger's photo of a report that led nowhere is not kept.
    if (report.photo_key) await this.opts.store.remove(report.photo_key);
    return normalise(
      await this.opts.db.selectFrom('qr_reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    );
  }
}

function firstLine(text: string, max: number): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** PostgreSQL hands bigserial ids back as numbers through our parser, SQLite as numbers: one shape. */
function normalise(row: QrReportRow): QrReportRow {
  return { ...row, id: Number(row.id), order_id: row.order_id === null ? null : Number(row.order_id) };
}
