import type {
  OrderBoard,
  OrderDetail,
  OrderEvidence,
  WorkflowResponse,
  WorkOrder,
  WorkOrderPage,
} from '@caretaker/protocol';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import multer from 'multer';
import { z } from 'zod';
import { ORDER_STATUSES, type WorkOrderRow } from '../db/schema.js';
import { type Actor, actorOf, canSeeSite } from '../people/actor.js';
import { sizeText } from '../workorders/attachment.store.js';
import {
  manualOrderSchema,
  orderBoardQuery,
  orderListQuery,
  qrApproveSchema,
  qrRejectSchema,
  qrReportListQuery,
  qrReportSchema,
} from '../workorders/order.inputs.js';
import type { OrderLifecycle } from '../workorders/order-lifecycle.js';
import { orderBoard } from '../workorders/order-list.js';
import { qrImage } from '../workorders/qr-signer.js';
import {
  type FormLanguage,
  invalidCodePage,
  reportErrorPage,
  reportFormPage,
  reportThanksPage,
} from '../workorders/report-form.js';
import type { QrReportRow } from '../workorders/schema.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { describeWorkflow } from '../workorders/workflow.js';
import { fieldIssue, WorkflowError } from '../workorders/workflow.service.js';
import { sendError } from './errors.js';

/**
 * Work orders over HTTP: lists and details scoped to the actor's sites, manual orders, the
 * actions of the transition table, photo attachments, QR codes and the review of QR reports.
 * Thin: validate, call the lifecycle services, map their refusals (WorkflowError) to statuses.
 */
export interface WorkOrderRoutesDeps {
  orders: WorkOrderService;
  lifecycle: OrderLifecycle;
  /** The address printed in QR codes (HUB_PUBLIC_URL); the request's own origin when absent. */
  publicUrl?: string;
}

function present(order: WorkOrderRow): WorkOrder {
  return { ...order, evidence: JSON.parse(order.evidence || '{}') as OrderEvidence };
}

function presentReport(report: QrReportRow) {
  const { photo_key, ...rest } = report;
  return { ...rest, has_photo: photo_key !== null };
}

const idParam = z.coerce.number().int().min(1);

/** The actor of a request, or a 401 (an app without authentication in front of this router). */
function actorFor(req: Request, res: Response): Actor | null {
  const actor = actorOf(req);
  if (!actor) sendError(res, 401, 'authentication required');
  return actor;
}

/** Runs a handler; a lifecycle refusal becomes its status and message, anything else a 500. */
function handle<P>(fn: (req: Request<P>, res: Response, actor: Actor) => Promise<void>) {
  return async (req: Request<P>, res: Response) => {
    const actor = actorFor(req as Request, res);
    if (!actor) return;
    try {
      await fn(req, res, actor);
    } catch (err) {
      if (err instanceof WorkflowError) sendError(res, err.status, err.message);
      else throw err;
    }
  };
}

function parseId(raw: string, res: Response, name = 'id'): number | null {
  const id = idParam.safeParse(raw);
  if (!id.success) {
    sendError(res, 400, `${name}: must be a positive integer`);
    return null;
  }
  return id.data;
}

/** Receives one uploaded file (multipart/form-data); answers the request itself on failure. */
function receiveFile(
  upload: express.RequestHandler,
  req: Request,
  res: Response,
  field: string,
  maxBytes: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    upload(req, res, (err?: unknown) => {
      if (!err) return resolve(true);
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') {
          sendError(res, 413, `${field}: larger than ${sizeText(maxBytes)}`);
        } else if (err.code === 'LIMIT_UNEXPECTED_FILE') {
          sendError(res, 400, `${err.field ?? field}: expected one file, in the field "${field}"`);
        } else sendError(res, 400, `${err.field ?? 'body'}: ${err.message}`);
      } else sendError(res, 400, `body: ${(err as Error).message}`);
      resolve(false);
    });
  });
}

function originOf(req: Request, publicUrl?: string): string {
  return publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function workOrderRoutes(deps: WorkOrderRoutesDeps): express.Router {
  const { orders, lifecycle } = deps;
  const { workflow, attachments, qrReports, qrSigner } = lifecycle;
  const router = express.Router();
  const json = express.json({ limit: '64kb' });
  const maxBytes = attachments.store.maxBytes;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 5, fieldSize: 4096 },
  }).single('file');

  router.get('/workflow', (_req, res) => {
    res.json({ statuses: ORDER_STATUSES, ...describeWorkflow(workflow.workflow) } satisfies WorkflowResponse);
  });

  router.get(
    '/work-orders',
    handle(async (req, res, actor) => {
      const query = orderListQuery.safeParse(req.query);
      if (!query.success) return sendError(res, 400, fieldIssue(query.error, 'this list', 'query'));
      const { overdue, as_of, ...filter } = query.data;
      if (filter.site && !canSeeSite(actor, filter.site)) {
        return sendError(res, 403, `site: ${filter.site} is not one of ${actor.username}'s sites`);
      }
      const asOf = as_of ?? orders.now();
      const result = await orders.search(
        { ...filter, ...(overdue !== undefined ? { overdue: overdue === 'true' } : {}) },
        actor.sites,
        asOf,
      );
      res.json({
        work_orders: result.orders.map(present),
        total: result.total,
        limit: filter.limit,
        offset: filter.offset,
        sort: filter.sort,
        as_of: asOf,
      } satisfies WorkOrderPage);
    }),
  );

  // Before /work-orders/:id, which would take "board" for an id.
  router.get(
    '/work-orders/board',
    handle(async (req, res, actor) => {
      const query = orderBoardQuery.safeParse(req.query);
      if (!query.success) return sendError(res, 400, fieldIssue(query.error, 'the board', 'query'));
      const { overdue, as_of, per_column, ...filter } = query.data;
      if (filter.site && !canSeeSite(actor, filter.site)) {
        return sendError(res, 403, `site: ${filter.site} is not one of ${actor.username}'s sites`);
      }
      const asOf = as_of ?? orders.now();
      const columns = await orderBoard(
        orders,
        {
          ...filter,
          perColumn: per_column,
          ...(overdue !== undefined ? { overdue: overdue === 'true' } : {}),
        },
        actor.sites,
        asOf,
      );
      res.json({
        columns: columns.map((c) => ({ ...c, work_orders: c.work_orders.map(present) })),
        per_column,
        as_of: asOf,
      } satisfies OrderBoard);
    }),
  );

  router.post(
    '/work-orders',
    json,
    handle(async (req, res, actor) => {
      const body = manualOrderSchema.safeParse(req.body ?? {});
      if (!body.success) return sendError(res, 400, fieldIssue(body.error, 'a manual order'));
      const order = await workflow.createOrder(actor, body.data);
      res.status(201).json({ work_order: present(order) });
    }),
  );

  router.get(
    '/work-orders/:id',
    handle<{ id: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      const order = await orders.get(id);
      if (!order) return sendError(res, 404, `id: no work order ${id}`);
      if (!canSeeSite(actor, order.site)) {
        return sendError(res, 403, `site: ${order.site} is not one of ${actor.username}'s sites`);
      }
      const [events, alarms, assignees, files, allowed] = await Promise.all([
        orders.events(id),
        orders.alarmsOf(id),
        orders.assigneesOf(id),
        attachments.list(id),
        workflow.allowedActions(order, actor),
      ]);
      res.json({
        work_order: present(order),
        events: events.map((e) => ({
          ...e,
          detail: JSON.parse(e.detail || '{}') as Record<string, unknown>,
        })),
        alarms,
        assignees,
        attachments: files,
        actions_allowed: allowed,
      } satisfies OrderDetail);
    }),
  );

  router.post(
    '/work-orders/:id/actions/:action',
    json,
    handle<{ id: string; action: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      const order = await workflow.perform(id, req.params.action, actor, req.body ?? {});
      res.json({ work_order: present(order) });
    }),
  );

  router.post(
    '/work-orders/:id/attachments',
    handle<{ id: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      if (!(await receiveFile(upload, req as Request, res, 'file', maxBytes))) return;
      const file = (req as Request).file;
      if (!file) return sendError(res, 400, 'file: required (multipart/form-data, field "file")');
      const attachment = await attachments.add(id, actor, {
        bytes: file.buffer,
        filename: file.originalname,
      });
      const { storage_key: _key, ...shown } = attachment;
      res.status(201).json({ attachment: shown });
    }),
  );

  router.get(
    '/work-orders/:id/attachments/:aid',
    handle<{ id: string; aid: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      const aid = id === null ? null : parseId(req.params.aid, res, 'aid');
      if (id === null || aid === null) return;
      const { row, path } = await attachments.open(id, aid, actor);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.attachment(row.filename);
      res.type(row.content_type);
      await new Promise<void>((resolve, reject) =>
        res.sendFile(path, { headers: { 'Cache-Control': 'private, max-age=86400' } }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }),
  );

  for (const format of ['svg', 'png'] as const) {
    router.get(
      `/devices/:id/qr.${format}`,
      handle<{ id: string }>(async (req, res, actor) => {
        const device = req.params.id;
        const site = lifecycle.deviceSite(device);
        if (!site) return sendError(res, 404, `device ${device} is not known`);
        if (!canSeeSite(actor, site)) {
          return sendError(res, 403, `site: ${site} is not one of ${actor.username}'s sites`);
        }
        const url = qrSigner.reportUrl(originOf(req as Request, deps.publicUrl), device);
        res.setHeader('Cache-Control', 'private, max-age=3600');
        res.setHeader('X-Report-Url', url);
        res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(await qrImage(url, format));
      }),
    );
  }

  router.get(
    '/qr-reports',
    handle(async (req, res, actor) => {
      const query = qrReportListQuery.safeParse(req.query);
      if (!query.success) return sendError(res, 400, fieldIssue(query.error, 'this list', 'query'));
      const { reports, total } = await qrReports.list(actor, query.data);
      res.json({ qr_reports: reports.map(presentReport), total, ...query.data });
    }),
  );

  router.get(
    '/qr-reports/:id/photo',
    handle<{ id: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      const report = await qrReports.get(id, actor);
      if (!report.photo_key || !report.photo_type)
        return sendError(res, 404, `id: report ${id} has no photo`);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.type(report.photo_type);
      await new Promise<void>((resolve, reject) =>
        res.sendFile(attachments.store.pathOf(report.photo_key as string), (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }),
  );

  router.post(
    '/qr-reports/:id/approve',
    json,
    handle<{ id: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      const body = qrApproveSchema.safeParse(req.body ?? {});
      if (!body.success) return sendError(res, 400, fieldIssue(body.error, 'approve'));
      const { report, order } = await qrReports.approve(id, actor, body.data);
      res.status(201).json({ qr_report: presentReport(report), work_order: present(order) });
    }),
  );

  router.post(
    '/qr-reports/:id/reject',
    json,
    handle<{ id: string }>(async (req, res, actor) => {
      const id = parseId(req.params.id, res);
      if (id === null) return;
      const body = qrRejectSchema.safeParse(req.body ?? {});
      if (!body.success) return sendError(res, 400, fieldIssue(body.error, 'reject'));
      const report = await qrReports.reject(id, actor, body.data.reason);
      res.json({ qr_report: presentReport(report) });
    }),
  );

  return router;
}

/** Limits on the public report endpoint: per client address, and per device for valid codes. */
export interface ReportRateLimits {
  perIp: { windowMs: number; limit: number };
  perDevice: { windowMs: number; limit: number };
}

export const DEFAULT_REPORT_LIMITS: ReportRateLimits = {
  // A person reporting several faults in one walk round, not a script.
  perIp: { windowMs: 15 * 60_000, limit: 10 },
  // A broken lift brings many reports; twenty an hour is plenty to learn of it.
  perDevice: { windowMs: 60 * 60_000, limit: 20 },
};

export interface PublicReportRoutesDeps {
  lifecycle: OrderLifecycle;
  limits?: ReportRateLimits;
}

function languageOf(req: Request): FormLanguage {
  const lang = req.acceptsLanguages('zh-CN', 'zh', 'en');
  return lang === 'en' ? 'en' : 'zh-CN';
}

// The pages carry inline CSS and no script at all.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

function sendPage(req: Request, res: Response, status: number, html: string): void {
  res
    .status(status)
    .setHeader('Content-Security-Policy', PAGE_CSP)
    .setHeader('Content-Language', languageOf(req))
    .setHeader('Vary', 'Accept-Language')
    .type('html')
    .send(html);
}

/** A form post wants a page back; a program wants JSON. */
function wantsPage(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/**
 * No-login routes, mounted before authentication: the page a device's QR code opens and the
 * endpoint it posts to. The signature in the code is checked on both; the endpoint is
 * rate-limited per client address and per device.
 */
export function publicReportRoutes(deps: PublicReportRoutesDeps): express.Router {
  const { lifecycle } = deps;
  const limits = deps.limits ?? DEFAULT_REPORT_LIMITS;
  const router = express.Router();
  const maxBytes = lifecycle.attachments.store.maxBytes;

  const refuse = (req: Request, res: Response, status: number, error: string) => {
    if (wantsPage(req)) sendPage(req, res, status, reportErrorPage(languageOf(req), error));
    else sendError(res, status, error);
  };
  const tooMany = (req: Request, res: Response) =>
    refuse(req, res, 429, 'too many reports from here; please try again later');

  const perIp = rateLimit({
    windowMs: limits.perIp.windowMs,
    limit: limits.perIp.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: tooMany,
  });
  const validCode = (req: Request) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return (
      typeof body.device === 'string' &&
      typeof body.s === 'string' &&
      lifecycle.qrSigner.verify(body.device, body.s)
    );
  };
  // Counted only for a valid code: a stranger's forged requests cannot silence a real device.
  const perDevice = rateLimit({
    windowMs: limits.perDevice.windowMs,
    limit: limits.perDevice.limit,
    standardHeaders: false,
    legacyHeaders: false,
    skip: (req) => !validCode(req),
    keyGenerator: (req) => `device:${(req.body as { device: string }).device}`,
    handler: tooMany,
  });
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 8192 },
  }).single('photo');
  const receive = async (req: Request, res: Response, next: NextFunction) => {
    if (req.is('multipart/form-data')) {
      if (await receiveFile(upload, req, res, 'photo', maxBytes)) next();
      return;
    }
    next();
  };

  router.get('/r/:device', (req: Request<{ device: string }>, res) => {
    const lang = languageOf(req);
    const signature = typeof req.query.s === 'string' ? req.query.s : '';
    if (!lifecycle.qrSigner.verify(req.params.device, signature)) {
      return sendPage(req, res, 403, invalidCodePage(lang));
    }
    sendPage(req, res, 200, reportFormPage(lang, req.params.device, signature));
  });

  router.post(
    '/api/public/reports',
    perIp,
    express.json({ limit: '16kb' }),
    express.urlencoded({ extended: false, limit: '16kb' }),
    receive,
    perDevice,
    async (req: Request, res: Response) => {
      const body = qrReportSchema.safeParse(req.body ?? {});
      if (!body.success) return refuse(req, res, 400, fieldIssue(body.error, 'a report'));
      // An empty file input in a form still sends a part: no bytes means no photo.
      const photo = req.file && req.file.size > 0 ? req.file.buffer : undefined;
      try {
        const report = await lifecycle.qrReports.submit(body.data, photo);
        if (wantsPage(req)) sendPage(req, res, 201, reportThanksPage(languageOf(req), report.id));
        else res.status(201).json({ id: report.id, status: report.status });
      } catch (err) {
        if (err instanceof WorkflowError) refuse(req, res, err.status, err.message);
        else throw err;
      }
    },
  );

  return router;
}
