import {
  errors,
  idParam,
  type JsonSchema,
  jsonBody,
  jsonResponse,
  listOf,
  type OpenApiPaths,
  type PathItem,
  queryParams,
  schemaOf,
} from '../http/openapi-helpers.js';
import { checklistItemSchema } from './checklist.js';
import {
  cancelBody,
  inspectionsQuery,
  listQuery,
  objectInput,
  objectPatch,
  planInput,
  planPatch,
  reportQuery,
  resultsBody,
  templateInput,
  templatePatch,
} from './preventive.inputs.js';
import { scheduleSchema } from './schedule.js';

/** Preventive maintenance: objects, templates, plans, inspections, reports (registered in hub/src/http/openapi.ts). */
const tags = ['preventive maintenance'];
const id = idParam();

const inspectionObject: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    key: { type: ['string', 'null'], description: 'stable name of a record from a plans file' },
    site: { type: 'string' },
    name: { type: 'string' },
    device: { type: ['string', 'null'] },
    building: { type: ['string', 'null'] },
    location: { type: ['string', 'null'] },
    problem_type: { type: 'string' },
    items: { type: 'array', items: schemaOf(checklistItemSchema) },
    created_by: { type: 'string' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
};
const template: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    key: { type: ['string', 'null'] },
    site: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    object_ids: { type: 'array', items: { type: 'integer' } },
  },
};
const plan: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    key: { type: ['string', 'null'] },
    site: { type: 'string' },
    name: { type: 'string' },
    template_id: { type: ['integer', 'null'] },
    object_ids: { type: ['array', 'null'], items: { type: 'integer' } },
    schedule: schemaOf(scheduleSchema),
    timezone: { type: 'string', description: "the site's timezone (default Asia/Shanghai)" },
    rrule: { type: 'string', description: 'calendar plans: the RFC 5545 rule' },
    next_due_at: {
      type: ['integer', 'null'],
      description: 'calendar plans: the next occurrence not yet generated',
    },
    upcoming: {
      type: 'array',
      items: { type: 'integer' },
      description: 'calendar plans: the next three occurrences',
    },
    usage: {
      type: 'object',
      description: 'usage plans: the counter and the progress towards the next order',
      properties: {
        device: { type: 'string' },
        point: { type: 'string' },
        every: { type: 'number' },
        last_value: { type: ['number', 'null'] },
        used_since_last: { type: 'number' },
        remaining: { type: 'number' },
        occurrences: { type: 'integer' },
      },
    },
    window_ms: { type: 'integer' },
    priority: { type: 'integer' },
    problem_type: { type: 'string' },
    assign_to: { type: ['object', 'null'] },
    active: { type: 'boolean' },
    last_generated_at: { type: ['integer', 'null'] },
    stats: {
      type: 'object',
      description: "the plan's occurrences by how they stand now, and when one was last done",
      properties: {
        open: { type: 'integer' },
        overdue: { type: 'integer' },
        done: { type: 'integer' },
        skipped: { type: 'integer' },
        last_done_at: { type: ['integer', 'null'] },
        last_occurrence_at: { type: ['integer', 'null'] },
      },
    },
  },
};
const inspectionStatus: JsonSchema = {
  enum: ['open', 'overdue', 'done', 'skipped'],
  description:
    'done: every item answered; overdue: past its due time, order open; skipped: its order closed or cancelled with items unanswered, or missed while the hub was down',
};
const inspection: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    plan_id: { type: 'integer' },
    plan_name: { type: 'string' },
    occurrence: {
      type: 'string',
      description: 'a calendar instant (ISO, UTC) or u<n> for the nth usage occurrence',
    },
    occurrence_at: { type: 'integer' },
    due_at: { type: 'integer' },
    site: { type: 'string' },
    status: inspectionStatus,
    order: {
      type: ['object', 'null'],
      properties: {
        id: { type: 'integer' },
        code: { type: 'string' },
        status: { type: 'string' },
        assignee: { type: ['string', 'null'] },
      },
    },
    missed_reason: { type: ['string', 'null'] },
    item_count: { type: 'integer' },
    answered_count: { type: 'integer' },
    failed_count: { type: 'integer' },
    completed_at: { type: ['integer', 'null'] },
    device_items: {
      type: 'array',
      description: "with ?device=: that device's items of the inspection and how each went",
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          object_name: { type: 'string' },
          label: { type: 'string' },
          type: { enum: ['pass_fail', 'number', 'photo', 'meter'] },
          status: { enum: ['pending', 'pass', 'fail', 'skipped'] },
          value: { type: ['number', 'null'] },
          repair_order_id: { type: ['integer', 'null'] },
          repair_order_code: { type: ['string', 'null'] },
        },
      },
    },
  },
};
const inspectionDetail: JsonSchema = {
  ...inspection,
  properties: {
    ...(inspection.properties as object),
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer', description: 'item_id for POST .../results' },
          object_id: { type: 'integer' },
          object_name: { type: 'string' },
          device: { type: ['string', 'null'] },
          item_key: { type: 'string' },
          label: { type: 'string' },
          type: { enum: ['pass_fail', 'number', 'photo', 'meter'] },
          spec: schemaOf(checklistItemSchema),
          status: { enum: ['pending', 'pass', 'fail', 'skipped'] },
          value: { type: ['number', 'null'] },
          attachment_id: { type: ['integer', 'null'] },
          live_value: { type: ['number', 'null'] },
          note: { type: ['string', 'null'] },
          recorded_at: { type: ['integer', 'null'] },
          recorded_by: { type: ['string', 'null'] },
          repair_order_id: { type: ['integer', 'null'] },
          repair_order_code: { type: ['string', 'null'] },
        },
      },
    },
  },
};

function crud(
  path: string,
  noun: string,
  what: string,
  schemas: {
    item: JsonSchema;
    create: Parameters<typeof jsonBody>[0];
    patch: Parameters<typeof jsonBody>[0];
  },
): OpenApiPaths {
  const collection: PathItem = {
    get: {
      tags,
      summary: `List ${what}s on the actor's sites`,
      parameters: queryParams(listQuery),
      responses: {
        200: jsonResponse(`${what}s`, {
          type: 'object',
          properties: { [noun]: { type: 'array', items: schemas.item } },
        }),
        ...errors(400, 401, 403),
      },
    },
    post: {
      tags,
      summary: `Create a ${what} (supervisors and administrators, on their sites)`,
      requestBody: jsonBody(schemas.create),
      responses: { 201: jsonResponse(`the ${what}`, schemas.item), ...errors(400, 401, 403) },
    },
  };
  const one: PathItem = {
    get: {
      tags,
      summary: `One ${what}`,
      parameters: [id],
      responses: { 200: jsonResponse(`the ${what}`, schemas.item), ...errors(400, 401, 403, 404) },
    },
    patch: {
      tags,
      summary: `Change a ${what}: any of its fields; the result is validated whole`,
      parameters: [id],
      requestBody: jsonBody(schemas.patch),
      responses: { 200: jsonResponse(`the ${what}`, schemas.item), ...errors(400, 401, 403, 404, 409) },
    },
    delete: {
      tags,
      summary: `Archive a ${what} (refused while a live template or plan uses it); its history stays`,
      parameters: [id],
      responses: { 204: { description: 'archived' }, ...errors(400, 401, 403, 404, 409) },
    },
  };
  return { [`/api${path}`]: collection, [`/api${path}/{id}`]: one };
}

export const preventivePaths: OpenApiPaths = {
  ...crud('/inspection-objects', 'inspection_objects', 'inspection object', {
    item: inspectionObject,
    create: objectInput,
    patch: objectPatch,
  }),
  ...crud('/inspection-templates', 'inspection_templates', 'inspection template', {
    item: template,
    create: templateInput,
    patch: templatePatch,
  }),
  ...crud('/plans', 'plans', 'preventive plan', { item: plan, create: planInput, patch: planPatch }),
  '/api/plans/{id}/report': {
    get: {
      tags,
      summary:
        "A plan's inspection report for a period: occurrences due, done on time, late, overdue, skipped; failed items",
      description:
        'Occurrences whose time is in [from, to), judged now. Compliance = done on time / (due - open). `format=csv`: one row per occurrence, times in the site timezone.',
      parameters: [id, ...queryParams(reportQuery)],
      responses: {
        200: {
          description: 'the report',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  plan: { type: 'object' },
                  from: { type: 'integer' },
                  to: { type: 'integer' },
                  figures: {
                    type: 'object',
                    properties: {
                      due: { type: 'integer' },
                      done_on_time: { type: 'integer' },
                      done_late: { type: 'integer' },
                      open: { type: 'integer' },
                      overdue: { type: 'integer' },
                      skipped: { type: 'integer' },
                      failed_items: { type: 'integer' },
                      compliance: { type: ['number', 'null'] },
                    },
                  },
                  occurrences: { type: 'array', items: { type: 'object' } },
                  failed_items: { type: 'array', items: { type: 'object' } },
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
  '/api/inspections': {
    get: {
      tags,
      summary:
        "Inspections (one per plan occurrence) by status, site, plan, assignee (a person's tasks), device (its history) and occurrence time",
      parameters: queryParams(inspectionsQuery),
      responses: {
        200: jsonResponse(
          'inspections, latest due first; skipped ones list their unanswered items',
          listOf('inspections', inspection, false),
        ),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/inspections/{id}': {
    get: {
      tags,
      summary: 'One inspection with its items and results',
      parameters: [id],
      responses: { 200: jsonResponse('the inspection', inspectionDetail), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/inspections/{id}/results': {
    post: {
      tags,
      summary: 'Record results item by item; a failed item opens one repair order',
      description:
        'pass_fail: `passed`; number: `value` (outside min/max fails); photo: `attachment_id` of the order; meter: `value` (checked against the live counter within the tolerance). Technicians on orders assigned to them; supervisors and administrators on their sites. Every entry is checked before anything is written.',
      parameters: [id],
      requestBody: jsonBody(resultsBody),
      responses: {
        200: jsonResponse('the inspection', inspectionDetail),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
  '/api/inspections/{id}/cancel': {
    post: {
      tags,
      summary: 'Cancel an occurrence: its order is cancelled, its unanswered items count as skipped',
      parameters: [id],
      requestBody: jsonBody(cancelBody),
      responses: {
        200: jsonResponse('the inspection', inspectionDetail),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
};
