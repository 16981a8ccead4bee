import { createLogger } from '@caretaker/protocol/log';
import { describe, expect, it } from 'vitest';
import { SequenceTracker } from './sequence-tracker.js';

const log = createLogger('test');
log.level = 'silent';
const gw = { site: 's', gateway: 'gw-1' };

function run(seqs: number[]) {
  const tracker = new SequenceTracker(log);
  for (const seq of seqs) tracker.observe(gw, seq);
  return tracker.list()[0];
}

describe('SequenceTracker', () => {
  it.each([
    ['in order', [5, 6, 7, 8], { last_seq: 8, missing: 0, repeated: 0, restarts: 0 }],
    ['a hole', [1, 2, 6, 7], { last_seq: 7, missing: 3, repeated: 0, restarts: 0 }],
    ['a hole filled late', [1, 2, 5, 3, 4], { last_seq: 5, missing: 0, repeated: 0, restarts: 0 }],
    ['a duplicate', [1, 2, 2, 3], { last_seq: 3, missing: 0, repeated: 1, restarts: 0 }],
    ['a restart from zero', [50_000, 50_001, 0, 1], { last_seq: 1, missing: 0, repeated: 0, restarts: 1 }],
  ])('%s', (_name, seqs, expected) => {
    expect(run(seqs)).toMatchObject(expected);
  });

  it('keeps gateways apart', () => {
    const tracker = new SequenceTracker(log);
    tracker.observe(gw, 1);
    tracker.observe({ site: 's', gateway: 'gw-2' }, 10);
    tracker.observe(gw, 3);
    expect(tracker.missing).toBe(1);
    expect(tracker.list().map((g) => g.gateway)).toEqual(['gw-1', 'gw-2']);
  });
});
