import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InfluxStore } from './influx.store.js';
import type { StoredReading } from './time-series-store.js';

/**
 * InfluxDB 2.x and 3.x cannot run on this machine (Debian ships 1.6.7), so their path is pinned
 * by the HTTP requests it makes, checked against the documented APIs: /api/v2/write with a
 * token, org, bucket and ms precision; Flux on /api/v2/query (2.x); InfluxQL on /query (3.x).
 */
interface Captured {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url: string;
const requests: Captured[] = [];
let respond: (req: Captured) => { status: number; type?: string; body?: string } = () => ({ status: 204 });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const parsed = new URL(req.url ?? '/', 'http://x');
    const captured: Captured = {
      method: req.method ?? '',
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: req.headers,
      body: raw.toString('utf8'),
    };
    requests.push(captured);
    const answer = respond(captured);
    res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {});
    res.end(answer.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  requests.length = 0;
  respond = () => ({ status: 204 });
});

const reading: StoredReading = {
  site: 'estate',
  gateway: 'gw-1',
  device: 'pump-1',
  device_type: 'pump',
  point: 'flow',
  ts: Date.UTC(2026, 0, 15, 8),
  value: 10.25,
  quality: 'good',
};
const line = `telemetry,device=pump-1,device_type=pump,gateway=gw-1,point=flow,site=estate quality="good",value=10.25 ${reading.ts}`;

describe('InfluxDB 2.x requests', () => {
  const store = () =>
    new InfluxStore({ api: 'v2', url, token: 'secret-token', org: 'acme', bucket: 'telemetry' });

  it('writes line protocol to /api/v2/write with token, org, bucket and ms precision', async () => {
    const s = store();
    await s.init();
    await s.write([reading, { ...reading, point: 'vibration', value: null, quality: 'bad' }]);
    await s.close();
    const write = requests.find((r) => r.path === '/api/v2/write');
    expect(write?.method).toBe('POST');
    expect(write?.headers.authorization).toBe('Token secret-token');
    expect(Object.fromEntries(write?.query ?? [])).toEqual({
      org: 'acme',
      bucket: 'telemetry',
      precision: 'ms',
    });
    expect(write?.body.split('\n')).toEqual([
      line,
      `telemetry,device=pump-1,device_type=pump,gateway=gw-1,point=vibration,site=estate quality="bad" ${reading.ts}`,
    ]);
  });

  it('gzips large writes', async () => {
    const s = store();
    await s.init();
    const many = Array.from({ length: 50 }, (_, i) => ({ ...reading, ts: reading.ts + i }));
    await s.write(many);
    await s.close();
    const write = requests.find((r) => r.path === '/api/v2/write');
    expect(write?.headers['content-encoding']).toBe('gzip');
    expect(write?.body.split('\n')).toHaveLength(50);
  });

  it('reads history with an escaped Flux query and parses the annotated CSV', async () => {
    respond = (req) =>
      req.path === '/api/v2/query'
        ? {
            status: 200,
            type: 'text/csv',
            body: [
              '#datatype,string,long,dateTime:RFC3339,double,string',
              '#group,false,false,false,false,false',
              '#default,_result,,,,',
              ',result,table,_time,value,quality',
              ',,0,2026-01-15T08:00:00Z,10.25,good',
              ',,0,2026-01-15T08:00:01Z,,bad',
              '',
            ].join('\r\n'),
          }
        : { status: 204 };
    const s = store();
    await s.init();
    const rows = await s.history({
      device: 'pump-1" or true',
      point: 'flow',
      from: reading.ts,
      to: reading.ts + 1000,
      limit: 10,
    });
    await s.close();
    expect(rows).toEqual([
      { ts: reading.ts, value: 10.25, quality: 'good' },
      { ts: reading.ts + 1000, value: null, quality: 'bad' },
    ]);
    const query = requests.find((r) => r.path === '/api/v2/query');
    expect(query?.query.get('org')).toBe('acme');
    expect(query?.headers.authorization).toBe('Token secret-token');
    const flux = (JSON.parse(query?.body ?? '{}') as { query: string }).query;
    expect(flux).toContain('from(bucket: "telemetry")');
    // The quote is escaped, so the device name stays a string literal.
    expect(flux).toContain('r.device == "pump-1\\" or true"');
    expect(flux).toContain('limit(n: 10)');
  });
});

describe('InfluxDB 2.x latest values of every device', () => {
  it("asks Flux for each series' last record and keeps the newest per point", async () => {
    respond = (req) =>
      req.path === '/api/v2/query'
        ? {
            status: 200,
            type: 'text/csv',
            body: [
              '#datatype,string,long,dateTime:RFC3339,string,string,string,string,string,double,string',
              '#group,false,false,false,false,false,false,false,false,false,false',
              '#default,_result,,,,,,,,,',
              ',result,table,_time,site,gateway,device,device_type,point,value,quality',
              // A bad newest reading has no value: its value's last record is an older one.
              ',,0,2026-01-15T08:00:00Z,estate,gw-1,pump-1,pump,flow,10.25,',
              ',,0,2026-01-15T08:00:01Z,estate,gw-1,pump-1,pump,flow,,bad',
              ',,0,2026-01-15T08:00:00Z,estate,gw-1,pump-1,pump,running,1,good',
              '',
            ].join('\r\n'),
          }
        : { status: 204 };
    const s = new InfluxStore({ api: 'v2', url, token: 'secret-token', org: 'acme', bucket: 'telemetry' });
    await s.init();
    const devices = await s.latestAll();
    await s.close();
    expect(devices).toEqual([
      {
        site: 'estate',
        gateway: 'gw-1',
        device: 'pump-1',
        device_type: 'pump',
        latest: [
          { point: 'flow', ts: reading.ts + 1000, value: null, quality: 'bad' },
          { point: 'running', ts: reading.ts, value: 1, quality: 'good' },
        ],
      },
    ]);
    const flux = (
      JSON.parse(requests.find((r) => r.path === '/api/v2/query')?.body ?? '{}') as { query: string }
    ).query;
    expect(flux).toContain('from(bucket: "telemetry")');
    expect(flux).toContain('r._measurement == "telemetry"');
    expect(flux).toContain('last()');
  });
});

describe('InfluxDB 3.x requests', () => {
  const store = () => new InfluxStore({ api: 'v3', url, token: 'v3-token', database: 'plant' });

  it('writes through the v2-compatible endpoint with the database as bucket', async () => {
    const s = store();
    await s.init();
    await s.write([reading]);
    await s.close();
    const write = requests.find((r) => r.path === '/api/v2/write');
    expect(write?.headers.authorization).toBe('Token v3-token');
    expect(write?.query.get('bucket')).toBe('plant');
    expect(write?.query.get('precision')).toBe('ms');
    expect(write?.body).toBe(line);
  });

  it('reads history with InfluxQL and bound parameters on /query', async () => {
    respond = (req) =>
      req.path === '/query'
        ? {
            status: 200,
            type: 'application/json',
            body: JSON.stringify({
              results: [
                {
                  statement_id: 0,
                  series: [
                    {
                      name: 'telemetry',
                      columns: ['time', 'value', 'quality'],
                      values: [[reading.ts, 10.25, 'good']],
                    },
                  ],
                },
              ],
            }),
          }
        : { status: 204 };
    const s = store();
    await s.init();
    const rows = await s.history({
      device: "pump-1' OR '1'='1",
      point: 'flow',
      from: reading.ts,
      to: reading.ts,
      limit: 5,
    });
    await s.close();
    expect(rows).toEqual([{ ts: reading.ts, value: 10.25, quality: 'good' }]);
    const query = requests.find((r) => r.path === '/query');
    expect(query?.headers.authorization).toBe('Token v3-token');
    expect(query?.query.get('db')).toBe('plant');
    expect(query?.query.get('q')).toContain('"device" = $device');
    expect(JSON.parse(query?.query.get('params') ?? '{}')).toMatchObject({
      device: "pump-1' OR '1'='1",
      point: 'flow',
    });
  });
});
