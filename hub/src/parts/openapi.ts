import {
  errors,
  idParam,
  type JsonSchema,
  jsonBody,
  jsonResponse,
  keyed,
  listOf,
  type OpenApiPaths,
  pathParam,
  queryParams,
} from '../http/openapi-helpers.js';
import {
  lowStockQuery,
  minimumBody,
  movementBody,
  movementsQuery,
  orderPartsBody,
  partBody,
  partPatch,
  partsQuery,
  stockQuery,
  storeBody,
  storesQuery,
} from './parts.routes.js';

/** Spare parts' endpoints (registered in hub/src/http/openapi.ts). */

const tags = ['spare parts'];
const ref = pathParam('ref', { type: 'string' }, 'a part id (digits) or part number (never only digits)');
const part: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    part_no: { type: 'string' },
    name: { type: 'string' },
    unit: { type: 'string' },
    category: { type: 'string' },
    device_types: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
    active: { type: 'boolean' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
};
const store: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    code: { type: 'string' },
    name: { type: 'string' },
    site: { type: 'string' },
    location: { type: ['string', 'null'] },
    active: { type: 'boolean' },
  },
};
const stock: JsonSchema = {
  type: 'object',
  description: 'quantities in the part’s unit, up to three decimals',
  properties: {
    part_id: { type: 'integer' },
    part_no: { type: 'string' },
    name: { type: 'string' },
    unit: { type: 'string' },
    store_id: { type: 'integer' },
    store: { type: 'string' },
    site: { type: 'string' },
    quantity: { type: 'number' },
    min_quantity: { type: 'number' },
    low: { type: 'boolean', description: 'below its minimum' },
    updated_at: { type: 'integer' },
  },
};
const movement: JsonSchema = {
  type: 'object',
  description: 'one ledger row; quantity is signed (issue and transfer_out negative)',
  properties: {
    id: { type: 'integer' },
    ts: { type: 'integer' },
    kind: { enum: ['receive', 'issue', 'return', 'adjust', 'transfer_out', 'transfer_in'] },
    part_id: { type: 'integer' },
    part_no: { type: 'string' },
    store_id: { type: 'integer' },
    store: { type: 'string' },
    site: { type: 'string' },
    quantity: { type: 'number' },
    balance_after: { type: 'number' },
    unit: { type: 'string' },
    order_id: { type: ['integer', 'null'] },
    transfer_id: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'] },
    reference: { type: ['string', 'null'] },
    actor: { type: 'string' },
  },
};

export const partsPaths: OpenApiPaths = {
  '/api/parts': {
    get: {
      tags,
      summary: 'The parts catalogue (every site shares it)',
      parameters: queryParams(partsQuery),
      responses: { 200: jsonResponse('parts', listOf('parts', part)), ...errors(400, 401) },
    },
    post: {
      tags,
      summary: 'Adds a part to the catalogue (supervisors, administrators)',
      requestBody: jsonBody(partBody),
      responses: { 201: jsonResponse('the part', keyed('part', part)), ...errors(400, 401, 403, 409) },
    },
  },
  '/api/parts/low-stock': {
    get: {
      tags,
      summary: 'Low-stock alerts in the actor’s stores: open ones, or every one with all=true',
      description:
        'An alert opens when a movement (or a new minimum) takes a stock below its minimum, once, and closes when the stock is back at or above it.',
      parameters: queryParams(lowStockQuery),
      responses: { 200: jsonResponse('alerts', listOf('alerts', { type: 'object' })), ...errors(400, 401) },
    },
  },
  '/api/parts/{ref}': {
    get: {
      tags,
      summary: 'A part and its stock in the actor’s stores',
      parameters: [ref],
      responses: {
        200: jsonResponse('the part', {
          type: 'object',
          properties: { part, stock: { type: 'array', items: stock } },
        }),
        ...errors(401, 404),
      },
    },
    patch: {
      tags,
      summary: 'Changes a part (the unit only while it has no movements)',
      parameters: [ref],
      requestBody: jsonBody(partPatch),
      responses: { 200: jsonResponse('the part', keyed('part', part)), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/api/parts/{ref}/movements': {
    get: {
      tags,
      summary: 'A part’s ledger in the actor’s stores, newest first',
      parameters: [ref, ...queryParams(movementsQuery)],
      responses: { 200: jsonResponse('movements', listOf('movements', movement)), ...errors(400, 401, 404) },
    },
  },
  '/api/stores': {
    get: {
      tags,
      summary: 'Stores of the actor’s sites',
      parameters: queryParams(storesQuery),
      responses: { 200: jsonResponse('stores', listOf('stores', store)), ...errors(400, 401) },
    },
    post: {
      tags,
      summary: 'Adds a store to a site (supervisors of the site, administrators)',
      requestBody: jsonBody(storeBody),
      responses: { 201: jsonResponse('the store', keyed('store', store)), ...errors(400, 401, 403, 409) },
    },
  },
  '/api/stock': {
    get: {
      tags,
      summary: 'Stock per part and store in the actor’s sites (low=true: below the minimum)',
      parameters: queryParams(stockQuery),
      responses: { 200: jsonResponse('stock', listOf('stock', stock)), ...errors(400, 401, 404) },
    },
  },
  '/api/stock/minimum': {
    put: {
      tags,
      summary: 'Sets the minimum level of a part in a store (0: none)',
      requestBody: jsonBody(minimumBody),
      responses: { 200: jsonResponse('the stock', keyed('stock', stock)), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/stock/movements': {
    post: {
      tags,
      summary: 'Receives, adjusts (with a reason) or transfers stock; never below zero',
      requestBody: jsonBody(movementBody),
      responses: {
        201: jsonResponse('the ledger rows written (two for a transfer)', listOf('movements', movement)),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
  '/api/work-orders/{id}/parts': {
    get: {
      tags,
      summary: 'Parts used on an order: its movements and the net per part',
      parameters: [idParam()],
      responses: {
        200: jsonResponse('the order’s parts', {
          type: 'object',
          properties: {
            order_id: { type: 'integer' },
            code: { type: 'string' },
            movements: { type: 'array', items: movement },
            parts: { type: 'array', items: { type: 'object' } },
          },
        }),
        ...errors(401, 404),
      },
    },
    post: {
      tags,
      summary: 'Issues parts to an order from a store (or returns them: action=return)',
      description:
        'Technicians on orders they work on; supervisors and administrators on any order of their sites. Recorded as an order event (parts_issued / parts_returned).',
      parameters: [idParam()],
      requestBody: jsonBody(orderPartsBody),
      responses: {
        201: jsonResponse('the movement', keyed('movement', movement)),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
};
