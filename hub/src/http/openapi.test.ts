import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@caretaker/protocol/log';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../hub.js';
import { workOrderPaths } from '../workorders/openapi.js';
import { corePaths } from './core.openapi.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * The OpenAPI document against the app the hub really serves: every route registered on it
 * must be documented (a module that forgets its paths fails here), and the document must be
 * valid OpenAPI 3.1.
 */

const log = createLogger('openapi-test');
log.level = 'silent';

/** Served but not part of the API: the dashboard's placeholder page when it is not built. */
const NOT_API = new Set(['GET /']);

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every route of an express app, with its mount path, as `METHOD /openapi/{style}`. */
function routesOf(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const method of Object.keys(layer.route.methods)) {
            if (method === '_all') continue;
            found.push(`${method.toUpperCase()} ${(prefix + path).replace(/:(\w+)/g, '{$1}')}`);
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(found)].sort();
}

function documented(paths: Record<string, object>): string[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

describe('the OpenAPI document', () => {
  let hub: Hub;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'caretaker-openapi-'));
    hub = new Hub(
      {
        demo: true,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { host: '127.0.0.1', port: 0 },
        dataDir,
        store: { kind: 'sqlite', path: join(dataDir, 'readings.db') },
      },
      { log, dashboardDir: join(dataDir, 'no-dashboard') },
    );
    await hub.start();
  });
  afterAll(async () => {
    await hub?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('documents every route the hub serves', () => {
    const routes = routesOf(hub.httpApp as Express);
    // The walk must see the routers themselves, or the check below would prove nothing.
    expect(routes).toEqual(
      expect.arrayContaining(['GET /api/devices', 'POST /api/work-orders/{id}/actions/{action}']),
    );
    const inDocument = new Set(documented(buildOpenApiDocument().paths));
    const missing = routes.filter((r) => !NOT_API.has(r) && !inDocument.has(r));
    expect(missing, 'routes served but not in hub/src/http/openapi.ts (add your module paths there)').toEqual(
      [],
    );
  });

  it('documents only routes that exist, for the core and the work-order module', () => {
    const routes = new Set(routesOf(hub.httpApp as Express));
    const phantom = documented({ ...corePaths, ...workOrderPaths }).filter((r) => !routes.has(r));
    expect(phantom).toEqual([]);
  });

  it('is valid OpenAPI 3.1, served as JSON at /api/openapi.json', async () => {
    const res = await fetch(`${hub.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await res.json()) as ReturnType<typeof buildOpenApiDocument>;
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(document.openapi).toBe('3.1.0');
    const spec = document as unknown as Exclude<Parameters<Validator['validate']>[0], string>;
    const result = await new Validator().validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // Every {parameter} of a path is declared on each of its operations.
    for (const [path, item] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(
        item as Record<string, { parameters?: Array<{ name: string; in: string }> }>,
      )) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort(), `${method} ${path}`).toEqual([...names].sort());
      }
    }
  });

  it('refuses an operation two modules both document', () => {
    const one = { '/api/x': { get: { summary: 'x', responses: { 200: { description: 'x' } } } } };
    const other = { '/api/x': { post: { summary: 'y', responses: { 200: { description: 'y' } } } } };
    expect(Object.keys(buildOpenApiDocument([one, other]).paths['/api/x'] ?? {})).toEqual(['get', 'post']);
    expect(() => buildOpenApiDocument([one, one])).toThrow('OpenAPI: GET /api/x is documented twice');
  });
});
