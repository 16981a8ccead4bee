import { errors, jsonResponse, type OpenApiPaths, pathParam } from './openapi-helpers.js';

/**
 * The hub's first endpoints (devices, history, energy, gateways, health, alarms, maintenance
 * windows), as README's HTTP API table lists them. Types: protocol/src/api.ts.
 */
const time = {
  type: 'string',
  description: 'epoch milliseconds or an ISO 8601 date',
};
const q = (name: string, schema: Record<string, unknown>, required = false, description?: string) => ({
  name,
  in: 'query',
  required,
  schema,
  ...(description ? { description } : {}),
});
const device = pathParam('id', { type: 'string' }, 'a device id');
const point = q('point', { type: 'string' }, true, 'a point of the device (flow, import_energy, ...)');

export const corePaths: OpenApiPaths = {
  '/healthz': {
    get: {
      tags: ['hub'],
      summary:
        'Store, broker, ingest counters, journal backlog and drops, named checks (the store summaries) (no login)',
      security: [],
      responses: { 200: jsonResponse('healthy'), 503: jsonResponse('degraded: the body says what') },
    },
  },
  '/api/devices': {
    get: {
      tags: ['devices'],
      summary: 'Every device: type, state (online / stale / offline / unknown), latest values with freshness',
      responses: { 200: jsonResponse('DevicesResponse'), ...errors(401) },
    },
  },
  '/api/devices/{id}/readings': {
    get: {
      tags: ['devices'],
      summary: 'Raw history of one point (default: the last hour)',
      parameters: [
        device,
        point,
        q('from', time),
        q('to', time),
        q('limit', { type: 'integer', minimum: 1, maximum: 10_000 }),
      ],
      responses: { 200: jsonResponse('ReadingsResponse'), ...errors(400, 401, 404) },
    },
  },
  '/api/devices/{id}/series': {
    get: {
      tags: ['devices'],
      summary: 'History downsampled by the store: mean/min/max/count per bucket',
      parameters: [
        device,
        point,
        q('from', time),
        q('to', time),
        q('buckets', { type: 'integer', minimum: 1, maximum: 5000, default: 500 }),
      ],
      responses: { 200: jsonResponse('SeriesResponse'), ...errors(400, 401, 404) },
    },
  },
  '/api/devices/{id}/energy': {
    get: {
      tags: ['devices'],
      summary: 'Consumption per calendar period from a counter (resets handled)',
      parameters: [
        device,
        point,
        q('interval', { type: 'string', enum: ['hour', 'day', 'week', 'month'], default: 'day' }),
        q('from', time),
        q('to', time),
        q('tz', { type: 'string', default: 'UTC' }, false, 'an IANA time zone, e.g. Asia/Shanghai'),
      ],
      responses: { 200: jsonResponse('EnergyResponse'), ...errors(400, 401, 404) },
    },
  },
  '/api/gateways': {
    get: {
      tags: ['devices'],
      summary: 'Gateways, their state and sequence-number audit (missing batches)',
      responses: { 200: jsonResponse('GatewaysResponse'), ...errors(401) },
    },
  },
  '/api/alarms': {
    get: {
      tags: ['alarms'],
      summary:
        'Live alarms (active, clearing, cleared within the flap window), newest first, each with `acknowledged` (who, when, or null)',
      responses: { 200: jsonResponse('{ alarms: [...] }'), ...errors(401) },
    },
  },
  '/api/assets': {
    get: {
      tags: ['alarms'],
      summary: 'Sites, their buildings, rooms and the devices in each (the assets file), for your sites',
      responses: {
        200: jsonResponse(
          '{ sites: [{ id, name, buildings: [{ id, name, devices, rooms: [{ id, name, devices }] }] }] }',
        ),
        ...errors(401),
      },
    },
  },
  '/api/maintenance-windows': {
    get: {
      tags: ['alarms'],
      summary: 'Maintenance windows, latest first',
      responses: { 200: jsonResponse('{ maintenance_windows: [...] }'), ...errors(401) },
    },
    post: {
      tags: ['alarms'],
      summary: 'Silence a device or a whole site for a time',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                site: { type: 'string' },
                device: { type: ['string', 'null'] },
                starts_at: { type: 'integer' },
                ends_at: { type: 'integer' },
                reason: { type: 'string' },
              },
              required: ['site', 'starts_at', 'ends_at', 'reason'],
              additionalProperties: false,
            },
          },
        },
      },
      responses: { 201: jsonResponse('{ id }'), ...errors(400, 401, 403) },
    },
  },
  '/api/openapi.json': {
    get: {
      tags: ['hub'],
      summary: 'This document',
      responses: { 200: jsonResponse('OpenAPI 3.1') },
    },
  },
};
