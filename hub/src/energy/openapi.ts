import { errors, type OpenApiPaths, queryParams } from '../http/openapi-helpers.js';
import { energyQuery } from './energy.routes.js';

/** The managers' energy figures (registered in hub/src/http/openapi.ts). */

const range = { type: 'object', properties: { start: { type: 'integer' }, end: { type: 'integer' } } };
const peak = {
  type: ['object', 'null'],
  description:
    'electricity: the highest 15-minute mean active power (kW, summed over the meters) and when it began',
  properties: { value: { type: 'number' }, at: { type: 'integer' } },
};
const total = {
  type: 'object',
  properties: {
    value: { type: 'number' },
    previous: { type: 'number', description: 'the whole previous range' },
    previous_same_time: {
      type: 'number',
      description: 'the previous range up to the same point as this one (while this one is still going on)',
    },
    change: { type: 'number' },
    change_pct: { type: ['number', 'null'] },
  },
};
const group = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    site: { type: ['string', 'null'] },
    building: { type: ['string', 'null'] },
    meter: { type: ['string', 'null'] },
    name: { type: 'string' },
    meters: { type: 'array', items: { type: 'string' } },
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...range.properties,
          value: { type: ['number', 'null'], description: 'null for a period that has not begun' },
          previous_start: { type: ['integer', 'null'] },
          previous: { type: ['number', 'null'] },
          usual: {
            type: ['object', 'null'],
            description:
              'hourly views: median (and lowest, highest) of the same hour of the week over the 4 weeks before',
            properties: {
              median: { type: 'number' },
              low: { type: 'number' },
              high: { type: 'number' },
              weeks: { type: 'integer' },
            },
          },
        },
      },
    },
    total,
    peak,
    previous_peak: peak,
  },
};

export const energyPaths: OpenApiPaths = {
  '/api/energy': {
    get: {
      tags: ['energy'],
      summary: 'Electricity, water or gas consumption per period, per site, building or meter; JSON or CSV',
      description:
        'Consumption from the meters’ counters (resets handled) per calendar hour, day, ISO week or month in `tz` (default: the time zone of the sites in scope, else Asia/Shanghai), over [from, to) widened to whole periods (`from`/`to`: a date YYYY-MM-DD, midnight in `tz`, `to` exclusive; or epoch ms / ISO 8601) (default: today by hour, 30 days, 12 weeks, 12 months). Each group has this range’s series, the previous range’s (just before and as long: whole months or days back when the range is whole months or days), on hourly views the usual for the hour, totals with the change against the same stretch of the previous range, and for electricity peak demand. `movers`: the meters with the largest change. Only meters of the caller’s sites; needs reports.read. `format=csv`: one row per group and period.',
      parameters: queryParams(energyQuery),
      responses: {
        200: {
          description: 'the figures',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  utility: { type: 'string' },
                  unit: { type: 'string' },
                  demand_unit: { type: ['string', 'null'] },
                  interval: { type: 'string' },
                  group_by: { type: 'string' },
                  tz: { type: 'string' },
                  from: { type: 'integer' },
                  to: { type: 'integer' },
                  previous_from: { type: 'integer' },
                  previous_to: { type: 'integer' },
                  as_of: { type: 'integer' },
                  overall: group,
                  groups: { type: 'array', items: group },
                  movers: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        meter: { type: 'string' },
                        site: { type: 'string' },
                        building: { type: ['string', 'null'] },
                        site_name: { type: 'string' },
                        building_name: { type: ['string', 'null'] },
                        ...total.properties,
                      },
                    },
                  },
                },
              },
            },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        ...errors(400, 401, 403, 404),
      },
    },
  },
};
