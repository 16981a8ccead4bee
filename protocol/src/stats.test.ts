import { describe, expect, it } from 'vitest';
import { parsePayload } from './payloads.js';
import { gatewayStatsSchema } from './stats.js';

const stats = {
  v: 1,
  ts: 1_700_000_000_000,
  uptime_s: 12.5,
  spool: { depth: 3, bytes: 4096, oldest_age_ms: 1500, dropped: 0 },
  publish: { acked: 120, rate_per_s: 10, replayed: 0, invalid: 0, connected: true },
  process: { event_loop_lag_ms: 1.2, rss_bytes: 80_000_000, heap_used_bytes: 30_000_000 },
  devices: {
    'pump-1': {
      state: 'online',
      requests: 40,
      errors: { timeout: 1 },
      timeouts: 1,
      rtt_ms: { p50: 0.4, p90: 0.8, p99: 2 },
      last_good_ts: 1_699_999_999_900,
      overruns: 0,
    },
    'ghost-1': {
      state: 'offline',
      requests: 4,
      errors: { connection: 4 },
      timeouts: 0,
      rtt_ms: null,
      last_good_ts: null,
      overruns: 0,
    },
  },
};

describe('gateway stats', () => {
  it('accepts a well-formed stats payload', () => {
    expect(parsePayload(gatewayStatsSchema, JSON.stringify(stats))).toEqual({ ok: true, value: stats });
  });

  it('names the field of a bad value', () => {
    const bad = { ...stats, spool: { ...stats.spool, depth: -1 } };
    const result = parsePayload(gatewayStatsSchema, JSON.stringify(bad));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('spool.depth:');
  });
});
