import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, request } from './client.js';

/**
 * `request` against a real HTTP server on loopback. The dashboard calls the hub by path
 * ("/api/…"); the only stand-in is the page's origin, put in front of the path.
 */
describe('request', () => {
  let server: Server;
  let origin = '';
  const realFetch = globalThis.fetch;
  /** Answers whose body is held back until the test lets it go. */
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"work_orders": [');
        held.push(res);
        return;
      }
      if (req.url === '/text') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>a proxy page</html>');
        return;
      }
      if (req.url === '/refused') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'priority: must be 1 to 4' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    globalThis.fetch = (input, init) => realFetch(`${origin}${String(input)}`, init);
  });

  afterAll(async () => {
    globalThis.fetch = realFetch;
    for (const res of held) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the JSON answer', async () => {
    expect(await request<{ ok: boolean }>('/fine')).toEqual({ ok: true });
  });

  it('rejects when aborted while the answer is being read, never resolving with an empty answer', async () => {
    const controller = new AbortController();
    const pending = request('/slow', { signal: controller.signal });
    await expect.poll(() => held.length).toBe(1);
    // The headers are in: the page moves on while the body is still coming.
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('says so when an answer is not JSON', async () => {
    const err = await request('/text').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe("GET /text: the hub's answer is not JSON");
  });

  it("gives the hub's own words for a refusal", async () => {
    await expect(request('/refused')).rejects.toMatchObject({
      status: 400,
      message: 'priority: must be 1 to 4',
    });
  });
});
