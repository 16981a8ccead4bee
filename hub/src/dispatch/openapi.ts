import {
  errors,
  idParam,
  jsonBody,
  jsonResponse,
  type OpenApiPaths,
  pathParam,
  queryParams,
} from '../http/openapi-helpers.js';
import {
  autoDispatchBody,
  candidatesQuery,
  rosterDayBody,
  shiftsQuery,
  weeklyShiftsBody,
} from './dispatch.inputs.js';

/** Dispatch and shift endpoints (registered in hub/src/http/openapi.ts). */

const tags = ['dispatch'];
const username = pathParam('username', { type: 'string', pattern: '^[\\w.@-]{1,64}$' });

const candidate = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    rank: { type: ['integer', 'null'], description: '1 = first choice; null when passed over' },
    eligible: { type: 'boolean' },
    in_zone: { type: 'boolean' },
    on_shift: { type: 'boolean' },
    open_orders: { type: 'integer' },
    passed_over: { type: 'array', items: { type: 'string' }, description: 'why not (empty when eligible)' },
    explanation: {
      type: 'string',
      description:
        't-07: holds the elevator certificate (...), on shift (08:00–17:00), in zone b1, 2 open orders',
    },
  },
};
const ranking = {
  type: 'object',
  properties: {
    order_id: { type: 'integer' },
    skill: { type: ['string', 'null'] },
    certificate: { type: 'boolean' },
    auto: { type: 'boolean', description: 'dispatch.yaml dispatches this problem type by itself' },
    timezone: { type: 'string' },
    candidates: { type: 'array', items: candidate, description: 'eligible ones first, best first' },
    chosen: { type: ['string', 'null'] },
    why: { type: 'string' },
  },
};
const shiftsResponse = jsonResponse("the person's weekly shifts and roster entries", {
  type: 'object',
  properties: {
    username: { type: 'string' },
    shifts: { type: 'array', items: { type: 'object' } },
    roster_days: { type: 'array', items: { type: 'object' } },
  },
});

export const dispatchPaths: OpenApiPaths = {
  '/api/dispatch/candidates': {
    get: {
      tags,
      summary: "The site's technicians ranked for an order, with why each was passed over (manual dispatch)",
      description:
        'Eligible: active technician of the site, holding the skill dispatch.yaml names for the problem type ' +
        '(with an unexpired certificate where required), on shift now in the site time zone. Ranked by ' +
        "zone = the order's building, then fewest open orders, then least recently dispatched, then name.",
      parameters: queryParams(candidatesQuery),
      responses: {
        200: jsonResponse('the ranking', { type: 'object', properties: { ranking } }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/dispatch/auto': {
    post: {
      tags,
      summary: "Dispatch an order waiting in to_dispatch to the rules' first choice (supervisors, admins)",
      requestBody: jsonBody(autoDispatchBody),
      responses: {
        200: jsonResponse(
          'the outcome: dispatched (with the assignee), no_candidate or failed; recorded on the order',
          {
            type: 'object',
            properties: {
              outcome: { type: 'string', enum: ['dispatched', 'no_candidate', 'failed'] },
              assignee: { type: 'string' },
              ranking,
            },
          },
        ),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
  '/api/shifts/{username}': {
    get: {
      tags,
      summary: "A person's weekly shifts and roster entries from a date on",
      parameters: [username, ...queryParams(shiftsQuery)],
      responses: { 200: shiftsResponse, ...errors(400, 401, 403, 404) },
    },
    put: {
      tags,
      summary: "Replace a person's weekly shifts (supervisors of their sites, admins)",
      description: 'Times are site-local HH:MM; an end not after the start runs past midnight.',
      parameters: [username],
      requestBody: jsonBody(weeklyShiftsBody),
      responses: { 200: shiftsResponse, ...errors(400, 401, 403, 404) },
    },
  },
  '/api/roster-days': {
    post: {
      tags,
      summary:
        "A dated roster entry replacing the person's weekly shifts that day (a swap, extra day or day off)",
      requestBody: jsonBody(rosterDayBody),
      responses: {
        201: jsonResponse('created', { type: 'object', properties: { id: { type: 'integer' } } }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/roster-days/{id}': {
    delete: {
      tags,
      summary: 'Remove a roster entry',
      parameters: [idParam()],
      responses: { 204: { description: 'removed' }, ...errors(400, 401, 403, 404) },
    },
  },
};
