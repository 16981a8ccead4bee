import { gatewayStatsSchema, topics } from '@caretaker/protocol';
import getPort from 'get-port';
import { describe, expect, it } from 'vitest';
import { GW, SITE, useHarness } from '../testing/harness.js';
import { unusedEndpoint } from '../testing/modbus-test-server.js';

const h = useHarness();

describe('gateway metrics', () => {
  it('publishes stats on the stats topic and serves Prometheus metrics', async () => {
    const broker = await h.broker();
    const plc = await h.modbus({ 1: { holding: { 0: 1, 1: 2 } } });
    const port = await getPort({ host: '127.0.0.1' });
    const config = await h.config({
      mqtt: { url: broker.url },
      metrics: { listen: `127.0.0.1:${port}`, stats_interval_s: 1 },
      devices: [
        {
          id: 'pump-1',
          protocol: 'modbus-tcp',
          endpoint: plc.endpoint,
          device_type: 'pump',
          poll_interval_ms: 100,
          points: [
            { name: 'a', address: 0 },
            { name: 'missing', address: 50 },
          ],
        },
        {
          id: 'ghost-1',
          protocol: 'modbus-tcp',
          endpoint: await unusedEndpoint(),
          device_type: 'pump',
          points: [{ name: 'a', address: 0 }],
        },
      ],
    });
    const gateway = await h.gateway(config);
    expect(gateway.metricsPort).toBe(port);
    const stats = await broker.published.waitFor(
      'stats with polled devices',
      (m) =>
        m.topic === topics.gatewayStats(SITE, GW) &&
        ((m.json as { devices?: { 'pump-1'?: { requests: number } } }).devices?.['pump-1']?.requests ?? 0) >
          3,
    );
    const parsed = gatewayStatsSchema.parse(stats.json);
    expect(parsed.devices['pump-1']).toMatchObject({
      state: 'degraded', // "missing" reads bad
      reason: expect.stringMatching(/^1 of 2 points bad: Modbus exception 2/),
      errors: { exception: expect.any(Number) },
      rtt_ms: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) },
      last_good_ts: expect.any(Number),
    });
    expect(parsed.devices['ghost-1']).toMatchObject({
      state: 'offline',
      reason: expect.stringMatching(/ECONNREFUSED/),
      errors: { connection: expect.any(Number) },
      last_good_ts: null,
    });
    expect(parsed.publish.connected).toBe(true);
    expect(parsed.process.rss_bytes).toBeGreaterThan(0);

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const line of [
      /^caretaker_gateway_device_requests_total\{device="pump-1"\} \d+/m,
      /^caretaker_gateway_device_errors_total\{device="pump-1",kind="exception"\} \d+/m,
      /^caretaker_gateway_device_errors_total\{device="ghost-1",kind="connection"\} \d+/m,
      /^caretaker_gateway_device_rtt_seconds\{quantile="0.99",device="pump-1"\} [\d.e-]+/m,
      /^caretaker_gateway_device_state\{device="ghost-1",state="offline"\} 1/m,
      /^caretaker_gateway_device_last_good_timestamp_seconds\{device="pump-1"\} [\d.e+]+/m,
      /^caretaker_gateway_spool_depth_batches \d+/m,
      /^caretaker_gateway_spool_oldest_age_seconds [\d.]+/m,
      /^caretaker_gateway_spool_dropped_batches_total 0/m,
      /^caretaker_gateway_published_batches_total\{kind="live"\} \d+/m,
      /^caretaker_gateway_broker_connected 1/m,
      /^caretaker_gateway_event_loop_lag_seconds\{quantile="0.99"\} [\d.e-]+/m,
      /^caretaker_gateway_process_resident_memory_bytes \d+/m,
    ]) {
      expect(text).toMatch(line);
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(gatewayStatsSchema.safeParse(await health.json()).success).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });
});
