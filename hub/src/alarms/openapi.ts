import { errors, idParam, jsonResponse, type OpenApiPaths, pathParam } from '../http/openapi-helpers.js';

/** Alarm acknowledgement and trend predictions (issue 8). Types: protocol/src/api.ts. */
const acknowledgement = {
  type: ['object', 'null'],
  description: 'who acknowledged the current raise of the alarm; null: nobody yet',
  properties: {
    by: { type: 'string', description: 'user name' },
    by_name: { type: 'string', description: 'display name when acknowledged' },
    at: { type: 'integer', description: 'epoch ms' },
    occurrence: { type: 'integer', description: 'the raise acknowledged (the alarm’s occurrences)' },
  },
  required: ['by', 'by_name', 'at', 'occurrence'],
};

const alarm = {
  type: 'object',
  description: 'AlarmSummary',
  properties: {
    id: { type: 'integer' },
    site: { type: 'string' },
    device: { type: ['string', 'null'] },
    rule_id: { type: 'string' },
    title: { type: 'string' },
    state: { type: 'string', enum: ['active', 'clearing', 'cleared'] },
    severity: { type: 'string', enum: ['info', 'warning', 'major', 'critical'] },
    occurrences: { type: 'integer' },
    acknowledged: acknowledgement,
  },
};

const comparison = {
  type: 'object',
  properties: {
    point: { type: 'string' },
    expr: { type: 'string', description: 'an expression across points instead of one point' },
    op: { type: 'string', enum: ['>', '>=', '<', '<=', '==', '!=', 'off_level'] },
    value: { type: 'number' },
    clear: { type: 'number', description: 'hysteresis: the condition is gone only past this' },
  },
  required: ['op', 'value'],
};

export const alarmPaths: OpenApiPaths = {
  '/api/rules': {
    get: {
      tags: ['alarms'],
      summary: 'The alarm rules the hub judges readings by, with their limits',
      description:
        'The loaded rule pack (HUB_RULES_FILE or the shipped one), as people read it: what each ' +
        'rule watches, its limits and hysteresis, its trend limit and escalations. The device page ' +
        'draws these limits on its charts. Any signed-in user.',
      parameters: [
        {
          name: 'device_type',
          in: 'query',
          required: false,
          schema: {
            type: 'string',
            enum: ['pump', 'elevator', 'power_meter', 'water_meter', 'gas_meter', 'other'],
          },
          description: 'only the rules of this device type',
        },
      ],
      responses: {
        200: jsonResponse('the rules', {
          type: 'object',
          properties: {
            rules: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  device_type: { type: 'string' },
                  title: { type: 'string' },
                  severity: { type: 'string', enum: ['info', 'warning', 'major', 'critical'] },
                  problem_type: { type: 'string' },
                  when: { type: 'array', items: comparison },
                  trend: {
                    type: 'object',
                    properties: {
                      point: { type: 'string' },
                      direction: { type: 'string', enum: ['rising', 'falling'] },
                      limit: { type: 'number' },
                      window_ms: { type: 'integer' },
                      horizon_ms: { type: 'integer' },
                    },
                  },
                  anomaly: {
                    type: 'object',
                    properties: { points: { type: 'array', items: { type: 'string' } } },
                  },
                  escalate: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        severity: { type: 'string' },
                        when: { type: 'array', items: comparison },
                      },
                    },
                  },
                },
                required: ['id', 'device_type', 'title', 'severity', 'problem_type', 'escalate'],
              },
            },
          },
          required: ['rules'],
        }),
        ...errors(400, 401),
      },
    },
  },
  '/api/alarms/{id}/acknowledge': {
    post: {
      tags: ['alarms'],
      summary: 'Acknowledge an alarm (admin, supervisor, technician of its site)',
      description:
        'Records who acknowledged the alarm’s current raise and when, and tells every dashboard ' +
        '(socket.io `maintenance.changed`, kind `acknowledged`): the trapped-passenger sound stops ' +
        'on every screen. Idempotent: the first acknowledgement of a raise stands (201 when this ' +
        'call recorded it, 200 when it was there already); a re-raise must be acknowledged again. ' +
        'No body.',
      parameters: [idParam('id', 'an alarm id')],
      responses: {
        200: jsonResponse('acknowledged before: the acknowledgement that stands', {
          type: 'object',
          properties: { alarm },
          required: ['alarm'],
        }),
        201: jsonResponse('acknowledged now', { type: 'object', properties: { alarm }, required: ['alarm'] }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/devices/{id}/predictions': {
    get: {
      tags: ['alarms'],
      summary: 'What the trend rules predict for a device: the time until each point reaches its limit',
      parameters: [pathParam('id', { type: 'string' }, 'a device id')],
      responses: {
        200: jsonResponse('PredictionsResponse', {
          type: 'object',
          properties: {
            device_id: { type: 'string' },
            predictions: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  rule_id: { type: 'string' },
                  title: { type: 'string' },
                  point: { type: 'string' },
                  limit: { type: 'number' },
                  direction: { type: 'string', enum: ['rising', 'falling'] },
                  horizon_ms: { type: 'integer' },
                  time_to_limit_ms: {
                    type: ['integer', 'null'],
                    description: 'null: not heading to the limit, or not enough readings yet',
                  },
                  slope_per_hour: { type: ['number', 'null'] },
                  at: { type: ['integer', 'null'], description: 'the reading time of the prediction' },
                },
              },
            },
          },
        }),
        ...errors(401, 404),
      },
    },
  },
};
