import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { OrderEventNotice, WorkOrderService } from '../workorders/work-order.service.js';
import { SerialQueue } from './serial-queue.js';

export interface OrderFollowerOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  now?: () => number;
}

/**
 * A service that reacts to order events (after their commit) and makes its changes one at a
 * time, so that its work on the same order never interleaves; `stop()` lets the queued work end.
 */
export abstract class OrderEventFollower<O extends OrderFollowerOptions> {
  protected readonly db: Kysely<Database>;
  protected readonly now: () => number;
  protected readonly queue = new SerialQueue();
  private unsubscribe: (() => void) | null = null;

  constructor(protected readonly opts: O) {
    this.db = opts.db;
    this.now = opts.now ?? Date.now;
  }

  protected abstract onOrderEvent(event: OrderEventNotice): void;

  /** Starts following order events; a service does so before it catches up with the past. */
  protected follow(): void {
    this.unsubscribe = this.opts.orders.onEvent((event) => this.onOrderEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.idle();
  }

  /** Resolves once everything queued so far is done. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
