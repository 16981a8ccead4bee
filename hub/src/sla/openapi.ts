import { errors, idParam, jsonResponse, type OpenApiPaths, queryParams } from '../http/openapi-helpers.js';
import { slaQuery } from './sla.routes.js';

/** Time limits' endpoints (registered in hub/src/http/openapi.ts). */

const tags = ['service levels'];

const limitState = {
  type: ['object', 'null'],
  description: 'one limit: null when the order has none',
  properties: {
    kind: { type: 'string', enum: ['response', 'completion'] },
    limit_ms: { type: 'integer', description: 'length of the limit on the running clock' },
    due_at: { type: 'integer', description: 'the deadline now (epoch ms), pauses included' },
    met_at: { type: ['integer', 'null'], description: 'when it was met (dispatched / completed)' },
    elapsed_ms: { type: 'integer' },
    remaining_ms: { type: 'integer', description: 'negative once overdue' },
    percent: { type: 'number', description: 'share of the limit used, one decimal' },
    breached: { type: 'boolean' },
    running: { type: 'boolean', description: 'the clock runs (not met, not cancelled, not deferred)' },
  },
};

export const slaPaths: OpenApiPaths = {
  '/api/work-orders/{id}/sla': {
    get: {
      tags,
      summary: "An order's time limits: elapsed, remaining, percent, breached (the dashboard's countdown)",
      description:
        'The response limit runs from creation until the order is dispatched (or accepted, per ' +
        '`response_ends`), the completion limit until it is completed; both stop while the order ' +
        'is deferred. Warnings are recorded at each `warn_at` share and at 100 %; escalations name ' +
        'who was notified and why.',
      parameters: [idParam(), ...queryParams(slaQuery)],
      responses: {
        200: jsonResponse('the SLA state', {
          type: 'object',
          properties: {
            order_id: { type: 'integer' },
            code: { type: 'string' },
            site: { type: 'string' },
            status: { type: 'string' },
            problem_type: { type: 'string' },
            at: { type: 'integer', description: 'the moment computed for' },
            sla: {
              type: 'object',
              properties: {
                priority: { type: 'integer' },
                paused: { type: 'boolean' },
                paused_ms: { type: 'integer' },
                escalation_level: { type: 'integer' },
                breached: { type: 'boolean' },
                response: limitState,
                completion: limitState,
              },
            },
            warnings: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  limit: { type: 'string' },
                  percent: { type: 'integer' },
                  ts: { type: 'integer' },
                },
              },
            },
            escalations: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  limit: { type: 'string' },
                  level: { type: 'integer' },
                  ts: { type: 'integer' },
                  notified: { type: 'array', items: { type: 'string' } },
                  reason: { type: 'string' },
                },
              },
            },
          },
        }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/service-levels': {
    get: {
      tags,
      summary: 'The service-level table: limits and escalation pace per priority and per problem type',
      responses: {
        200: jsonResponse('the table (durations in ms)', {
          type: 'object',
          properties: {
            response_ends: { type: 'string', enum: ['dispatched', 'accepted'] },
            warn_at: { type: 'array', items: { type: 'integer' } },
            priorities: { type: 'array', items: { type: 'object' } },
            problem_types: { type: 'array', items: { type: 'object' } },
          },
        }),
        ...errors(401),
      },
    },
  },
};
