import type { Logger } from '@caretaker/protocol/log';

export interface GatewaySequence {
  site: string;
  gateway: string;
  /** The highest sequence number seen. */
  last_seq: number;
  /** Batches never received: the sum of the holes between consecutive sequence numbers. */
  missing: number;
  /** Batches received again or out of order (harmless: the store overwrites). */
  repeated: number;
  /** How often the gateway started counting again (a new install, a lost spool). */
  restarts: number;
}

/** A sequence number this far below the last one means the gateway started over. */
const RESTART_DROP = 1000;
/** Holes remembered per gateway, so a late batch that fills one is not counted as missing. */
const MAX_REMEMBERED_HOLES = 10_000;

/**
 * Detects gaps in each gateway's batch sequence numbers. Gateways number every batch they
 * publish (and keep the counter across restarts), so a hole is a batch lost on the way.
 */
export class SequenceTracker {
  private readonly gateways = new Map<string, GatewaySequence>();
  private readonly holes = new Map<string, Set<number>>();

  constructor(private readonly log: Logger) {}

  observe(ref: { site: string; gateway: string }, seq: number): void {
    const key = `${ref.site}/${ref.gateway}`;
    const state = this.gateways.get(key);
    if (!state) {
      this.gateways.set(key, {
        site: ref.site,
        gateway: ref.gateway,
        last_seq: seq,
        missing: 0,
        repeated: 0,
        restarts: 0,
      });
      return;
    }
    if (seq === state.last_seq + 1) {
      state.last_seq = seq;
    } else if (seq > state.last_seq + 1) {
      const hole = seq - state.last_seq - 1;
      state.missing += hole;
      const remembered = this.holes.get(key) ?? new Set<number>();
      this.holes.set(key, remembered);
      for (let s = state.last_seq + 1; s < seq && remembered.size < MAX_REMEMBERED_HOLES; s += 1)
        remembered.add(s);
      this.log.warn(
        { gateway: key, from: state.last_seq + 1, to: seq - 1, missing: hole },
        'batches missing from a gateway',
      );
      state.last_seq = seq;
    } else if (this.holes.get(key)?.delete(seq)) {
      // A late batch (delivered out of order) fills its hole.
      state.missing -= 1;
    } else if (state.last_seq - seq > RESTART_DROP) {
      state.restarts += 1;
      state.last_seq = seq;
      this.holes.delete(key);
    } else {
      state.repeated += 1;
    }
  }

  list(): GatewaySequence[] {
    return [...this.gateways.values()].map((g) => ({ ...g }));
  }

  get missing(): number {
    let total = 0;
    for (const g of this.gateways.values()) total += g.missing;
    return total;
  }
}
