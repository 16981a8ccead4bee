import type { AddressInfo } from 'node:net';
import express from 'express';
import { type Actor, setActor } from '../people/actor.js';

/**
 * A real HTTP server on a free loopback port for route tests: the routers under /api behind a
 * tiny middleware that sets the actor named by the `x-test-actor` header (the authentication
 * middleware's job in the hub). No header: no actor.
 */
export interface ApiTestServer {
  url: string;
  /** fetch() as `actor` (a key of the actors map), JSON in and out. */
  call(
    actor: string,
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startApiTestServer(
  routers: express.Router[],
  actors: Record<string, Actor>,
): Promise<ApiTestServer> {
  const app = express();
  app.use('/api', (req, _res, next) => {
    const name = req.header('x-test-actor');
    const actor = name ? actors[name] : undefined;
    if (actor) setActor(req, actor);
    next();
  });
  for (const router of routers) app.use('/api', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call(actor, method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          'x-test-actor': actor,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = null;
      if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
