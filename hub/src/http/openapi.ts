import express from 'express';
import { alarmPaths } from '../alarms/openapi.js';
import { dispatchPaths } from '../dispatch/openapi.js';
import { energyPaths } from '../energy/openapi.js';
import { partsPaths } from '../parts/openapi.js';
import { peoplePaths } from '../people/openapi.js';
import { preventivePaths } from '../preventive/openapi.js';
import { reportsPaths } from '../reports/openapi.js';
import { slaPaths } from '../sla/openapi.js';
import { webhookPaths } from '../webhooks/openapi.js';
import { workOrderPaths } from '../workorders/openapi.js';
import { corePaths } from './core.openapi.js';
import type { OpenApiPaths } from './openapi-helpers.js';

/**
 * One OpenAPI 3.1 document for the whole REST API, assembled from each module's path objects.
 * A module adds one line to MODULE_PATHS; a test fails for any route the app serves that is
 * not in the document.
 */
const MODULE_PATHS: readonly OpenApiPaths[] = [
  corePaths,
  workOrderPaths,
  peoplePaths,
  preventivePaths,
  slaPaths,
  dispatchPaths,
  partsPaths,
  webhookPaths,
  reportsPaths,
  energyPaths,
  alarmPaths,
  // Each module registers its paths here (people, sla/dispatch, preventive, parts, webhooks, reports).
];

export function buildOpenApiDocument(modules: readonly OpenApiPaths[] = MODULE_PATHS, version = '0.1.0') {
  const paths: OpenApiPaths = {};
  for (const module of modules) {
    for (const [path, item] of Object.entries(module)) {
      const existing = paths[path] ?? {};
      for (const method of Object.keys(item) as Array<keyof typeof item>) {
        if (existing[method]) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is documented twice`);
      }
      paths[path] = { ...existing, ...item };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Caretaker hub API',
      version,
      description:
        'Facility monitoring and maintenance: devices and readings, alarms, work orders and their ' +
        'lifecycle. Errors are `{ "error": "<field>: what is wrong" }`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    // Sessions (cookie) for the dashboard, bearer tokens or Basic for integrations.
    security: [{ session: [] }, { bearer: [] }, { basic: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'caretaker_session' },
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic' },
      },
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** GET /api/openapi.json (mounted under /api). */
export function openApiRoutes(): express.Router {
  const router = express.Router();
  const document = JSON.stringify(buildOpenApiDocument());
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  return router;
}
