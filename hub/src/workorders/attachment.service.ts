import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Actor, type ActorRole, canSeeSite } from '../people/actor.js';
import { type AttachmentStore, UnsupportedFileError } from './attachment.store.js';
import type { WorkOrderService } from './work-order.service.js';
import { WorkflowError } from './workflow.service.js';

/** Everyone who works with orders may add a photo; viewers and machines may not. */
const ATTACHING_ROLES: readonly ActorRole[] = ['admin', 'supervisor', 'technician', 'reviewer', 'requester'];

/** Keeps the name a person recognises, without paths or control characters. */
export function cleanFilename(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\p{Cc}"]/gu, '')
    .trim()
    .slice(0, 200);
  return clean || fallback;
}

const EXTENSION: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Photos of an order (before, during, after the repair; a QR reporter's photo). */
export class AttachmentService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly orders: WorkOrderService,
    readonly store: AttachmentStore,
    private readonly now: () => number = Date.now,
  ) {}

  private async orderFor(orderId: number, actor: Actor) {
    const order = await this.orders.get(orderId);
    if (!order) throw new WorkflowError(404, `id: no work order ${orderId}`);
    if (!canSeeSite(actor, order.site)) {
      throw new WorkflowError(403, `site: ${order.site} is not one of ${actor.username}'s sites`);
    }
    return order;
  }

  async add(orderId: number, actor: Actor, file: { bytes: Uint8Array; filename?: string }) {
    const order = await this.orderFor(orderId, actor);
    if (!ATTACHING_ROLES.includes(actor.role)) {
      throw new WorkflowError(403, `role ${actor.role} may not add attachments`);
    }
    if (order.status === 'closed' || order.status === 'cancelled') {
      throw new WorkflowError(409, `file: ${order.code} is ${order.status}; its record is final`);
    }
    let stored: Awaited<ReturnType<AttachmentStore['put']>>;
    try {
      stored = await this.store.put(file.bytes);
    } catch (err) {
      if (!(err instanceof UnsupportedFileError)) throw err;
      const tooBig = file.bytes.byteLength > this.store.maxBytes;
      throw new WorkflowError(tooBig ? 413 : 415, `file: ${err.message}`);
    }
    const ts = this.now();
    const filename = cleanFilename(file.filename, `photo.${EXTENSION[stored.contentType]}`);
    return this.orders.inTransaction(async (trx) => {
      const row = await trx
        .insertInto('work_order_attachments')
        .values({
          order_id: order.id,
          filename,
          content_type: stored.contentType,
          size: stored.size,
          sha256: stored.sha256,
          storage_key: stored.key,
          uploaded_by: actor.username,
          uploaded_at: ts,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.orders.event(trx, order.id, ts, actor.username, 'attachment_added', null, null, {
        attachment_id: Number(row.id),
        filename,
        size: stored.size,
      });
      return { ...row, id: Number(row.id) };
    });
  }

  async list(orderId: number) {
    const rows = await this.db
      .selectFrom('work_order_attachments')
      .select(['id', 'filename', 'content_type', 'size', 'sha256', 'uploaded_by', 'uploaded_at'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** One attachment of an order the actor may see, and where its bytes are. */
  async open(orderId: number, attachmentId: number, actor: Actor) {
    await this.orderFor(orderId, actor);
    const row = await this.db
      .selectFrom('work_order_attachments')
      .selectAll()
      .where('order_id', '=', orderId)
      .where('id', '=', attachmentId)
      .executeTakeFirst();
    if (!row) throw new WorkflowError(404, `aid: no attachment ${attachmentId} on order ${orderId}`);
    return { row, path: this.store.pathOf(row.storage_key) };
  }
}
