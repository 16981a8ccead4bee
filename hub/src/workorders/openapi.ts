import { ORDER_BOARD_COLUMNS, ORDER_LIST_SORTS } from '@caretaker/protocol';
import { z } from 'zod';
import {
  errors,
  idParam,
  jsonBody,
  jsonResponse,
  keyed,
  type OpenApiPaths,
  pathParam,
  queryParams,
  schemaOf,
} from '../http/openapi-helpers.js';
import {
  manualOrderSchema,
  orderBoardQuery,
  orderListQuery,
  qrApproveSchema,
  qrRejectSchema,
  qrReportListQuery,
  qrReportSchema,
} from './order.inputs.js';
import { ACTION_FIELDS } from './workflow.js';

/** The work-order lifecycle's endpoints (registered in hub/src/http/openapi.ts). */

const tags = ['work orders'];
const qrTags = ['QR reports'];
const id = idParam();
const order = { type: 'object', description: 'a work order (every column of work_orders; evidence parsed)' };
const orderResponse = (description: string) => jsonResponse(description, keyed('work_order', order));
const report = {
  type: 'object',
  description: 'a QR report: device, site, reporter_name, reporter_phone, description, has_photo, status',
};
const image = (type: string) => ({ description: 'the image', content: { [type]: {} } });

const actionBody = z.object(ACTION_FIELDS).partial();

export const workOrderPaths: OpenApiPaths = {
  '/api/workflow': {
    get: {
      tags,
      summary: 'The transition table: statuses and actions (from, to, roles, preconditions, body fields)',
      responses: {
        200: jsonResponse('the table', {
          type: 'object',
          properties: { statuses: { type: 'array', items: { type: 'string' } }, actions: { type: 'array' } },
        }),
        ...errors(401),
      },
    },
  },
  '/api/work-orders': {
    get: {
      tags,
      summary:
        "Orders of the actor's sites, filtered, sorted (the id breaks every tie) and paged; total counts every match",
      parameters: queryParams(orderListQuery),
      responses: {
        200: jsonResponse('a page of orders', {
          type: 'object',
          properties: {
            work_orders: { type: 'array', items: order },
            total: { type: 'integer', description: 'every order the filters match' },
            limit: { type: 'integer' },
            offset: { type: 'integer' },
            sort: { type: 'string', enum: [...ORDER_LIST_SORTS] },
            as_of: { type: 'integer', description: 'the instant overdue and urgency were judged at' },
          },
        }),
        ...errors(400, 401, 403),
      },
    },
    post: {
      tags,
      summary: 'A manual order (any role but viewer, on their sites; the caller is its requester)',
      requestBody: jsonBody(manualOrderSchema),
      responses: { 201: orderResponse('the new order, pending acceptance'), ...errors(400, 401, 403) },
    },
  },
  '/api/work-orders/board': {
    get: {
      tags,
      summary: "The desk's board: each status column's first cards and its true count",
      parameters: queryParams(orderBoardQuery),
      responses: {
        200: jsonResponse('the columns', {
          type: 'object',
          properties: {
            columns: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  key: { type: 'string', enum: ORDER_BOARD_COLUMNS.map((c) => c.key) },
                  statuses: { type: 'array', items: { type: 'string' } },
                  total: { type: 'integer', description: "every order of the column's statuses" },
                  sort: { type: 'string', enum: [...ORDER_LIST_SORTS] },
                  work_orders: { type: 'array', items: order },
                },
              },
            },
            per_column: { type: 'integer' },
            as_of: { type: 'integer' },
          },
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/work-orders/{id}': {
    get: {
      tags,
      summary:
        'One order with its event log, alarms, assignees, attachments and the actions the caller may take',
      parameters: [id],
      responses: {
        200: jsonResponse('the order', {
          type: 'object',
          properties: {
            work_order: order,
            events: {
              type: 'array',
              description: 'who (actor), when (ts), from_status, to_status, why (detail)',
              items: { type: 'object' },
            },
            alarms: { type: 'array', items: { type: 'object' } },
            assignees: { type: 'array', items: { type: 'object' } },
            attachments: { type: 'array', items: { type: 'object' } },
            actions_allowed: { type: 'array', items: { type: 'string' } },
          },
        }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/work-orders/{id}/actions/{action}': {
    post: {
      tags,
      summary: 'Take an action of the transition table (accept, dispatch, grab, submit_for_check, ...)',
      description:
        'Each action takes exactly the body fields GET /api/workflow lists for it ("note" always). ' +
        'Refusals: 403 for the role, site or tie to the order, 409 for the status or a precondition.',
      parameters: [id, pathParam('action', { type: 'string' }, 'an action name from GET /api/workflow')],
      requestBody: { required: false, content: { 'application/json': { schema: schemaOf(actionBody) } } },
      responses: { 200: orderResponse('the order after the action'), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/api/work-orders/{id}/attachments': {
    post: {
      tags,
      summary: 'Add a photo (JPEG, PNG or WebP, at most 10 MB) to an order that is not closed',
      parameters: [id],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } },
              required: ['file'],
            },
          },
        },
      },
      responses: {
        201: jsonResponse('the attachment (id, filename, content_type, size, sha256)'),
        ...errors(400, 401, 403, 404, 409, 413, 415),
      },
    },
  },
  '/api/work-orders/{id}/attachments/{aid}': {
    get: {
      tags,
      summary: 'Download an attachment',
      parameters: [id, idParam('aid')],
      responses: { 200: image('image/*'), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/devices/{id}/qr.svg': {
    get: {
      tags: qrTags,
      summary: "A printable QR code of the device's report form (signed URL /r/<device>?s=...)",
      parameters: [pathParam('id')],
      responses: { 200: image('image/svg+xml'), ...errors(401, 403, 404) },
    },
  },
  '/api/devices/{id}/qr.png': {
    get: {
      tags: qrTags,
      summary: 'The same code as a 512-pixel PNG',
      parameters: [pathParam('id')],
      responses: { 200: image('image/png'), ...errors(401, 403, 404) },
    },
  },
  '/r/{device}': {
    get: {
      tags: qrTags,
      summary: 'The no-login report form a QR code opens (zh-CN or English by Accept-Language)',
      security: [],
      parameters: [
        pathParam('device'),
        { name: 's', in: 'query', required: true, schema: { type: 'string' }, description: 'the signature' },
      ],
      responses: {
        200: { description: 'the form', content: { 'text/html': {} } },
        403: { description: 'a signature the hub did not issue', content: { 'text/html': {} } },
      },
    },
  },
  '/api/public/reports': {
    post: {
      tags: qrTags,
      summary: 'Submit a QR report (no login; rate-limited per address and per device)',
      security: [],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              ...schemaOf(qrReportSchema),
              properties: {
                ...(schemaOf(qrReportSchema).properties as object),
                photo: { type: 'string', contentMediaType: 'application/octet-stream' },
              },
            },
          },
          'application/json': { schema: schemaOf(qrReportSchema) },
        },
      },
      responses: {
        201: jsonResponse('the report is pending review (an HTML page for a browser form)', {
          type: 'object',
          properties: { id: { type: 'integer' }, status: { type: 'string' } },
        }),
        ...errors(400, 403, 404, 413, 415, 429),
      },
    },
  },
  '/api/qr-reports': {
    get: {
      tags: qrTags,
      summary: "QR reports of the reviewer's sites (supervisor, admin, reviewer)",
      parameters: queryParams(qrReportListQuery),
      responses: {
        200: jsonResponse('a page of reports', {
          type: 'object',
          properties: { qr_reports: { type: 'array', items: report }, total: { type: 'integer' } },
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/qr-reports/{id}/photo': {
    get: {
      tags: qrTags,
      summary: "A report's photo, for its reviewer",
      parameters: [id],
      responses: { 200: image('image/*'), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/qr-reports/{id}/approve': {
    post: {
      tags: qrTags,
      summary: 'Make a pending report an order (source qr, the reporter as requester, the photo attached)',
      parameters: [id],
      requestBody: jsonBody(qrApproveSchema),
      responses: {
        201: jsonResponse('the report and the new order', {
          type: 'object',
          properties: { qr_report: report, work_order: order },
        }),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
  '/api/qr-reports/{id}/reject': {
    post: {
      tags: qrTags,
      summary: 'Reject a pending report with a reason (its photo is deleted)',
      parameters: [id],
      requestBody: jsonBody(qrRejectSchema),
      responses: {
        200: jsonResponse('the report', { type: 'object', properties: { qr_report: report } }),
        ...errors(400, 401, 403, 404, 409),
      },
    },
  },
};
