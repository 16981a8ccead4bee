import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TelemetryBatch, topics } from '@caretaker/protocol';
import { createLogger } from '@caretaker/protocol/log';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveStateService } from '../services/live-state.service.js';
import { type StoredReading, toStoredReadings } from '../storage/time-series-store.js';
import { IngestService } from './ingest.service.js';
import { Journal } from './journal.js';

const log = createLogger('ingest-test');
log.level = 'silent';
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const TS = Date.UTC(2026, 0, 15);

function batch(device: string, seq: number): Uint8Array {
  const body: TelemetryBatch = {
    v: 1,
    device,
    device_type: 'pump',
    seq,
    ts: TS,
    readings: [{ point: 'flow', value: seq, ts: TS + seq, quality: 'good' }],
  };
  return Buffer.from(JSON.stringify(body));
}

async function ingest(unknownDevices: 'reject' | 'flag') {
  const dir = await mkdtemp(join(tmpdir(), 'caretaker-ingest-'));
  dirs.push(dir);
  const stored: StoredReading[] = [];
  const journal = new Journal({
    path: join(dir, 'journal.db'),
    maxReadings: 1000,
    durability: 'normal',
    directSink: (readings) => {
      stored.push(...toStoredReadings(readings));
    },
  });
  journal.open();
  const service = new IngestService({
    journal,
    live: new LiveStateService(() => TS),
    log,
    now: () => TS,
    unknownDevices,
  });
  const status = Buffer.from(JSON.stringify({ v: 1, state: 'online', ts: TS, devices: ['pump-1'] }));
  await service.handle(topics.gatewayStatus('estate', 'gw-1'), status);
  return { service, stored, journal };
}

describe('IngestService: devices its gateway never announced', () => {
  it('refuses them by default, counted per gateway', async () => {
    const { service, stored, journal } = await ingest('reject');
    await service.handle(topics.telemetry('estate', 'gw-1', 'pump-1'), batch('pump-1', 1));
    await service.handle(topics.telemetry('estate', 'gw-1', 'pump-2'), batch('pump-2', 2));
    expect(stored.map((r) => r.device)).toEqual(['pump-1']);
    expect(service.stats.rejected_by).toEqual({ 'gw-1': { unknown_device: 1 } });
    journal.close();
  });

  it('stores and flags them when the hub may miss statuses (a shared subscription)', async () => {
    const { service, stored, journal } = await ingest('flag');
    await service.handle(topics.telemetry('estate', 'gw-1', 'pump-2'), batch('pump-2', 2));
    expect(stored.map((r) => r.device)).toEqual(['pump-2']);
    expect(service.stats.rejected).toBe(0);
    expect(service.stats.flagged_by).toEqual({ 'gw-1': { unknown_device: 1 } });
    journal.close();
  });

  it('judges each gateway by its own list: another gateway may announce the device', async () => {
    const { service, stored, journal } = await ingest('reject');
    await service.handle(topics.telemetry('estate', 'gw-2', 'pump-2'), batch('pump-2', 1));
    expect(stored.map((r) => r.device)).toEqual(['pump-2']);
    expect(service.stats.rejected).toBe(0);
    journal.close();
  });
});
