import { describe, expect, it } from 'vitest';
import { type SlaOrder, slaState } from './sla-state.js';

const T0 = 1_760_000_000_000;
const MIN = 60_000;

function order(patch: Partial<SlaOrder> = {}): SlaOrder {
  return {
    id: 1,
    status: 'to_dispatch',
    priority: 1,
    created_at: T0,
    acknowledged_at: null,
    dispatched_at: null,
    completed_at: null,
    cancelled_at: null,
    response_due_at: T0 + 10 * MIN,
    completion_due_at: T0 + 60 * MIN,
    response_limit_ms: 10 * MIN,
    completion_limit_ms: 60 * MIN,
    sla_paused_since: null,
    sla_paused_ms: 0,
    sla_applied_pause_ms: 0,
    escalation_level: 0,
    ...patch,
  };
}

describe('SLA state of an order', () => {
  it('counts down a running limit and reports the breach', () => {
    const s = slaState(order(), T0 + 4 * MIN, 'dispatched');
    expect(s.response).toMatchObject({
      elapsed_ms: 4 * MIN,
      remaining_ms: 6 * MIN,
      percent: 40,
      breached: false,
      running: true,
    });
    expect(slaState(order(), T0 + 10 * MIN, 'dispatched').response?.breached).toBe(true);
    const late = slaState(order(), T0 + 12 * MIN, 'dispatched');
    expect(late.response).toMatchObject({ remaining_ms: -2 * MIN, percent: 120, breached: true });
    expect(late.breached).toBe(true);
  });

  it('stops a limit when met: dispatched (or accepted, if so configured), completed', () => {
    const dispatched = order({
      status: 'in_repair',
      acknowledged_at: T0 + 2 * MIN,
      dispatched_at: T0 + 9 * MIN,
    });
    expect(slaState(dispatched, T0 + 30 * MIN, 'dispatched').response).toMatchObject({
      met_at: T0 + 9 * MIN,
      elapsed_ms: 9 * MIN,
      running: false,
      breached: false,
    });
    expect(slaState(dispatched, T0 + 30 * MIN, 'accepted').response).toMatchObject({
      met_at: T0 + 2 * MIN,
      percent: 20,
    });
    const lateDone = order({
      status: 'completed',
      dispatched_at: T0 + 11 * MIN,
      completed_at: T0 + 50 * MIN,
    });
    const s = slaState(lateDone, T0 + 90 * MIN, 'dispatched');
    expect(s.response?.breached).toBe(true);
    expect(s.completion).toMatchObject({ breached: false, remaining_ms: 10 * MIN });
  });

  it('adds the pause in progress and a finished pause not yet in the deadlines', () => {
    const paused = order({ status: 'deferred', sla_paused_since: T0 + 3 * MIN });
    for (const at of [5, 30, 300]) {
      const s = slaState(paused, T0 + at * MIN, 'dispatched');
      expect(s.response).toMatchObject({ remaining_ms: 7 * MIN, running: false });
      expect(s.paused_ms).toBe((at - 3) * MIN);
    }
    // Resumed after 20 minutes, before the SLA service moved the deadlines.
    const resumed = order({ sla_paused_ms: 20 * MIN });
    expect(slaState(resumed, T0 + 25 * MIN, 'dispatched').response).toMatchObject({
      due_at: T0 + 30 * MIN,
      remaining_ms: 5 * MIN,
    });
    // ...and after it did: the same answer.
    const applied = order({
      sla_paused_ms: 20 * MIN,
      sla_applied_pause_ms: 20 * MIN,
      response_due_at: T0 + 30 * MIN,
    });
    expect(slaState(applied, T0 + 25 * MIN, 'dispatched').response?.remaining_ms).toBe(5 * MIN);
  });

  it('does not count a pause after the limit was met', () => {
    const o = order({ status: 'deferred', dispatched_at: T0 + 5 * MIN, sla_paused_since: T0 + 8 * MIN });
    expect(slaState(o, T0 + 40 * MIN, 'dispatched').response).toMatchObject({
      met_at: T0 + 5 * MIN,
      elapsed_ms: 5 * MIN,
    });
  });

  it('has no state for an order without limits', () => {
    const s = slaState(
      order({
        response_due_at: null,
        response_limit_ms: null,
        completion_due_at: null,
        completion_limit_ms: null,
      }),
      T0,
      'dispatched',
    );
    expect(s.response).toBeNull();
    expect(s.breached).toBe(false);
  });
});
