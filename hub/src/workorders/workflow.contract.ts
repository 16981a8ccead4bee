import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OpenDatabase } from '../db/database.js';
import type { WorkOrderRow, WorkOrderStatus } from '../db/schema.js';
import type { Actor, PersonRole } from '../people/actor.js';
import { ALL_SITES } from '../people/people.input.js';
import { OrderLifecycle } from './order-lifecycle.js';
import { type OrderEventNotice, WorkOrderService } from './work-order.service.js';
import { loadWorkflow } from './workflow.js';
import { WorkflowError } from './workflow.service.js';

/**
 * The order lifecycle's acceptance suite (issue 7), on a real database: SQLite in a temp dir
 * and PostgreSQL on a throwaway server run the same cases. Time is a controlled clock.
 */

export type DatabaseFactory = (name: string) => Promise<OpenDatabase>;

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const person = (username: string, role: Actor['role'], sites: Actor['sites']): Actor => ({
  username,
  role,
  sites,
});
const admin = person('ann', 'admin', 'all');
const sup = person('sam', 'supervisor', ['site-a']);
const supB = person('sid', 'supervisor', ['site-b']);
const tom = person('tom', 'technician', ['site-a']);
const tim = person('tim', 'technician', ['site-a']);
const techB = person('ted', 'technician', ['site-b']);
const rita = person('rita', 'reviewer', ['site-a']);
const reviewerB = person('rex', 'reviewer', ['site-b']);
const rob = person('rob', 'requester', ['site-a']);
const ray = person('ray', 'requester', ['site-a']);
const viewer = person('vic', 'viewer', ['site-a']);

const DEVICES: Record<string, string> = { 'pump-1': 'site-a', 'pump-b': 'site-b' };

export function describeWorkflowContract(dialect: string, openDb: DatabaseFactory, enabled = true): void {
  describe.runIf(enabled)(`order lifecycle contract: ${dialect}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'caretaker-lifecycle-'));
    const open: OpenDatabase[] = [];
    let databases = 0;
    afterEach(async () => {
      for (const db of open.splice(0)) await db.close();
    });
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    async function rig() {
      databases += 1;
      const database = await openDb(`lifecycle_${databases}`);
      open.push(database);
      const clock = { now: T0 };
      const orders = new WorkOrderService(database.db, () => clock.now);
      const lifecycle = new OrderLifecycle({
        db: database.db,
        orders,
        workflow: loadWorkflow(),
        dataDir: join(dataDir, `d${databases}`),
        deviceSite: (device) => DEVICES[device],
        now: () => clock.now,
      });
      const db = database.db;
      // The people directory the default assignee check reads.
      const users: Array<[string, string, number, string[]]> = [
        ['tom', 'technician', 1, ['site-a']],
        ['tim', 'technician', 1, ['site-a']],
        ['ted', 'technician', 1, ['site-b']],
        ['vera', 'technician', 0, ['site-a']],
        ['rob', 'requester', 1, ['site-a']],
        // A technician of every site (the all-sites marker), e.g. a company-wide lift specialist.
        ['tia', 'technician', 1, [ALL_SITES]],
      ];
      for (const [username, role, active, sites] of users) {
        await db
          .insertInto('users')
          .values({
            username,
            display_name: username,
            role: role as PersonRole,
            password_hash: null,
            email: null,
            phone: null,
            reports_to: null,
            zone: null,
            active,
            created_at: T0,
            updated_at: T0,
          })
          .execute();
        for (const site of sites) await db.insertInto('user_sites').values({ username, site }).execute();
      }
      const wf = lifecycle.workflow;
      return {
        db,
        clock,
        orders,
        lifecycle,
        wf,
        async order(by: Actor = rob, site = 'site-a', device = 'pump-1') {
          return wf.createOrder(by, {
            site,
            device,
            problem_type: 'pump_noise',
            priority: 3,
            title: `${device} is noisy`,
            description: 'grinding noise from the bearing',
          });
        },
        /** Takes an action at `clock.now` and returns the order after it. */
        act: (order: WorkOrderRow, action: string, actor: Actor, body: Record<string, unknown> = {}) =>
          wf.perform(order.id, action, actor, body),
        get: async (order: WorkOrderRow) => (await orders.get(order.id)) as WorkOrderRow,
      };
    }

    async function refused(promise: Promise<unknown>, status: number, message: RegExp): Promise<void> {
      const err = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `expected a ${status} refusal matching ${message}`).toBeInstanceOf(WorkflowError);
      expect({ status: (err as WorkflowError).status, message: (err as Error).message }).toEqual({
        status,
        message: expect.stringMatching(message),
      });
    }

    it('walks an order through every status and side transition, refusing wrong roles and sites', async () => {
      const r = await rig();
      const heard: OrderEventNotice[] = [];
      r.orders.onEvent((e) => heard.push(e));
      let order = await r.order(rob);
      expect(order).toMatchObject({ status: 'pending_acceptance', source: 'manual', requester: 'rob' });

      interface Step {
        action: string;
        actor: Actor;
        body?: Record<string, unknown>;
        to: WorkOrderStatus;
        wrongRole: Actor;
        wrongSite: Actor;
        /** Minutes after the previous step. */
        after?: number;
      }
      const submit = {
        resolution: 'replaced the drive-end bearing',
        labour_minutes: 90,
        fault_category: 'natural_wear',
      };
      const steps: Step[] = [
        { action: 'accept', actor: sup, to: 'to_dispatch', wrongRole: tom, wrongSite: supB },
        {
          action: 'dispatch',
          actor: sup,
          body: { assignee: 'tom' },
          to: 'in_repair',
          wrongRole: rita,
          wrongSite: supB,
        },
        {
          action: 'request_assistance',
          actor: tom,
          body: { assignees: ['tim'], reason: 'the motor needs two to lift' },
          to: 'in_repair',
          wrongRole: rob,
          wrongSite: techB,
        },
        {
          action: 'request_defer',
          actor: tim,
          body: { reason: 'bearing not in stock' },
          to: 'in_repair',
          wrongRole: rita,
          wrongSite: techB,
        },
        {
          action: 'decline_defer',
          actor: sup,
          body: { reason: 'borrow one from site B' },
          to: 'in_repair',
          wrongRole: tom,
          wrongSite: supB,
        },
        {
          action: 'request_defer',
          actor: tom,
          body: { reason: 'site B has none either', until: T0 + 7 * 24 * HOUR },
          to: 'in_repair',
          wrongRole: viewer,
          wrongSite: techB,
        },
        { action: 'approve_defer', actor: sup, to: 'deferred', wrongRole: tom, wrongSite: supB },
        { action: 'resume', actor: sup, to: 'to_dispatch', wrongRole: tim, wrongSite: supB, after: 60 },
        { action: 'grab', actor: tim, to: 'in_repair', wrongRole: sup, wrongSite: techB },
        {
          action: 'reassign',
          actor: sup,
          body: { assignee: 'tom', reason: 'tom has the bearing puller' },
          to: 'in_repair',
          wrongRole: tim,
          wrongSite: supB,
        },
        {
          action: 'submit_for_check',
          actor: tom,
          body: submit,
          to: 'awaiting_check',
          wrongRole: rob,
          wrongSite: techB,
        },
        {
          action: 'reject',
          actor: rita,
          body: { reason: 'still grinding at full speed' },
          to: 'in_repair',
          wrongRole: tom,
          wrongSite: reviewerB,
        },
        {
          action: 'submit_for_check',
          actor: tom,
          body: { ...submit, labour_minutes: 150 },
          to: 'awaiting_check',
          wrongRole: rob,
          wrongSite: techB,
        },
        { action: 'pass_check', actor: rita, to: 'completed', wrongRole: tom, wrongSite: reviewerB },
        {
          action: 'rate',
          actor: rob,
          body: { rating: 4, comment: 'quiet again' },
          to: 'completed',
          wrongRole: tom,
          wrongSite: person('rob', 'requester', ['site-b']),
        },
        { action: 'close', actor: rita, to: 'closed', wrongRole: tom, wrongSite: reviewerB },
      ];

      const at: Record<string, number> = {};
      for (const [i, step] of steps.entries()) {
        r.clock.now += (step.after ?? 5) * MIN;
        const before = await r.get(order);
        const eventsBefore = (await r.orders.events(order.id)).length;
        await refused(
          r.act(order, step.action, step.wrongRole, step.body),
          403,
          new RegExp(`${step.wrongRole.role}.*${step.action}|${step.action}.*${step.wrongRole.role}|as its`),
        );
        await refused(
          r.act(order, step.action, step.wrongSite, step.body),
          403,
          /^site: site-a is not one of/,
        );
        // Refusals change nothing and record nothing.
        expect(await r.get(order), `step ${i} ${step.action}`).toEqual(before);
        expect(await r.orders.events(order.id)).toHaveLength(eventsBefore);

        order = await r.act(order, step.action, step.actor, step.body);
        expect(order.status, `step ${i} ${step.action}`).toBe(step.to);
        at[`${step.action}#${i}`] = r.clock.now;
      }

      // Every change is in the log: who, when, from, to, why.
      const events = await r.orders.events(order.id);
      expect(events.map((e) => e.type)).toEqual(['created', ...steps.map((s) => s.action)]);
      const statuses: WorkOrderStatus[] = ['pending_acceptance', ...steps.map((s) => s.to)];
      for (const [i, step] of steps.entries()) {
        const event = events[i + 1];
        const detail = JSON.parse(event?.detail ?? '{}') as Record<string, unknown>;
        expect({ actor: event?.actor, from: event?.from_status, to: event?.to_status }).toEqual({
          actor: step.actor.username,
          from: statuses[i],
          to: step.to,
        });
        expect(event?.ts).toBe(at[`${step.action}#${i}`]);
        if (step.body?.reason) expect(detail.reason).toBe(step.body.reason);
      }
      const byType = (type: string) => events.filter((e) => e.type === type);
      expect(JSON.parse(byType('resume')[0]?.detail ?? '{}')).toMatchObject({
        paused_ms: HOUR,
        previous_assignee: 'tom',
      });
      expect(JSON.parse(byType('reassign')[0]?.detail ?? '{}')).toMatchObject({
        assignee: 'tom',
        previous_assignee: 'tim',
      });
      // Listeners heard every change, after its commit.
      expect(heard.map((e) => e.type)).toEqual(['created', ...steps.map((s) => s.action)]);

      // The order's own record.
      expect(order).toMatchObject({
        assignee: 'tom',
        acknowledged_at: at['accept#0'],
        dispatched_at: at['dispatch#1'],
        started_at: at['dispatch#1'],
        check_requested_at: at['submit_for_check#12'],
        completed_at: at['pass_check#13'],
        closed_at: at['close#15'],
        resolution: submit.resolution,
        labour_minutes: 150,
        fault_category: 'natural_wear',
        reject_count: 1,
        first_time_fix: 1,
        rating: 4,
        rating_comment: 'quiet again',
        sla_paused_ms: HOUR,
        sla_paused_since: null,
        defer_requested_at: null,
        deferred_until: null,
      });
      expect((await r.orders.assigneesOf(order.id)).map((a) => [a.username, a.role])).toEqual([
        ['tom', 'primary'],
      ]);

      // A closed order takes no more actions (rating aside, done already): 409 for each.
      for (const action of r.wf.workflow.actions) {
        const actor = action.name === 'grab' ? tom : admin;
        const why = action.name === 'rate' ? /^rate: WO-\d+ is already rated$/ : /is closed; /;
        await refused(r.act(order, action.name, actor, bodyFor(action.name)), 409, why);
      }
    });

    it('refuses every action but accept and cancel on a pending order with 409, naming the status', async () => {
      const r = await rig();
      const order = await r.order();
      for (const action of r.wf.workflow.actions) {
        if (action.name === 'accept' || action.name === 'cancel') continue;
        const actor = action.name === 'grab' ? tom : admin;
        await refused(
          r.act(order, action.name, actor, bodyFor(action.name)),
          409,
          new RegExp(`^${action.name}: WO-\\d+ is pending_acceptance; ${action.name} applies to`),
        );
      }
      expect((await r.get(order)).status).toBe('pending_acceptance');
    });

    it('records the approval of a deferral and stops the SLA clock until resumed', async () => {
      const r = await rig();
      let order = await r.order();
      order = await r.act(order, 'accept', sup);
      await refused(r.act(order, 'approve_defer', sup), 409, /no deferral of WO-\d+ was requested/);
      r.clock.now += MIN;
      order = await r.act(order, 'request_defer', sup, {
        reason: 'into the spring overhaul',
        until: T0 + 30 * 24 * HOUR,
      });
      expect(order.defer_requested_at).toBe(r.clock.now);
      await refused(r.act(order, 'request_defer', sup, { reason: 'again' }), 409, /already requested/);
      r.clock.now += MIN;
      const approvedAt = r.clock.now;
      order = await r.act(order, 'approve_defer', sup);
      expect(order).toMatchObject({
        status: 'deferred',
        sla_paused_since: approvedAt,
        deferred_until: T0 + 30 * 24 * HOUR,
        defer_reason: 'into the spring overhaul',
        defer_requested_at: null,
      });
      r.clock.now += 3 * HOUR;
      order = await r.act(order, 'resume', admin);
      expect(order).toMatchObject({ status: 'to_dispatch', sla_paused_since: null, sla_paused_ms: 3 * HOUR });
    });

    it('cancels: a requester only their own pending order, a supervisor any open order', async () => {
      const r = await rig();
      const mine = await r.order(rob);
      await refused(
        r.act(mine, 'cancel', ray, { reason: 'not mine' }),
        403,
        /ray may cancel WO-\d+ only as its requester/,
      );
      await refused(r.act(mine, 'cancel', viewer, { reason: 'x' }), 403, /role viewer may not cancel/);
      await refused(r.act(mine, 'cancel', rob, {}), 400, /^reason: /);
      const cancelled = await r.act(mine, 'cancel', rob, { reason: 'it stopped by itself' });
      expect(cancelled).toMatchObject({
        status: 'cancelled',
        cancel_reason: 'it stopped by itself',
        cancelled_at: T0,
      });

      let accepted = await r.order(rob);
      accepted = await r.act(accepted, 'accept', sup);
      await refused(
        r.act(accepted, 'cancel', rob, { reason: 'x' }),
        403,
        /role requester may cancel only from pending_acceptance/,
      );
      accepted = await r.act(accepted, 'dispatch', sup, { assignee: 'tom' });
      expect((await r.act(accepted, 'cancel', sup, { reason: 'duplicate of WO-7' })).status).toBe(
        'cancelled',
      );
    });

    it('holds technicians to their tie with the order', async () => {
      const r = await rig();
      let order = await r.order();
      order = await r.act(order, 'accept', sup);
      order = await r.act(order, 'dispatch', sup, { assignee: 'tom' });
      await refused(
        r.act(order, 'submit_for_check', tim, {
          resolution: 'x',
          labour_minutes: 1,
          fault_category: 'other',
        }),
        403,
        /tim may submit_for_check WO-\d+ only as its assignee/,
      );
      await refused(
        r.act(order, 'request_defer', tim, { reason: 'x' }),
        403,
        /only as its assignee or helper/,
      );
      await refused(
        r.act(order, 'request_assistance', tim, { assignees: ['tim'] }),
        403,
        /only as its assignee/,
      );
      order = await r.act(order, 'request_assistance', tom, { assignees: ['tim'] });
      await refused(r.act(order, 'request_assistance', tom, { assignees: ['tim'] }), 409, /already works on/);
      // A helper may ask for a deferral but not submit the work.
      order = await r.act(order, 'request_defer', tim, { reason: 'parts' });
      expect(order.defer_requested_at).toBe(T0);

      expect(await r.wf.allowedActions(order, tom)).toEqual(['submit_for_check', 'request_assistance']);
      expect(await r.wf.allowedActions(order, tim)).toEqual([]);
      expect(await r.wf.allowedActions(order, sup)).toEqual([
        'submit_for_check',
        'reassign',
        'request_assistance',
        'approve_defer',
        'decline_defer',
        'cancel',
      ]);
      expect(await r.wf.allowedActions(order, supB)).toEqual([]);
      expect(await r.wf.allowedActions(order, viewer)).toEqual([]);
    });

    it('validates bodies before anything happens, naming the field', async () => {
      const r = await rig();
      let order = await r.order();
      await refused(r.act(order, 'accept', sup, { foo: 1 }), 400, /^foo: not taken by accept$/);
      await refused(r.act(order, 'launch', sup), 404, /^action: no action launch$/);
      await refused(r.wf.perform(999_999, 'accept', sup), 404, /^id: no work order 999999$/);
      order = await r.act(order, 'accept', sup, { note: 'seen on the board' });
      await refused(r.act(order, 'dispatch', sup, {}), 400, /^assignee: /);
      await refused(r.act(order, 'dispatch', sup, { assignee: 'tom; drop table users' }), 400, /^assignee: /);
      order = await r.act(order, 'dispatch', sup, { assignee: 'tom' });
      await refused(
        r.act(order, 'submit_for_check', tom, {
          resolution: 'done',
          labour_minutes: 5,
          fault_category: 'gremlins',
        }),
        400,
        /^fault_category: /,
      );
      expect((await r.get(order)).status).toBe('in_repair');
    });

    it('dispatches only to active technicians of the order site when people are on record', async () => {
      const r = await rig();
      let order = await r.order();
      order = await r.act(order, 'accept', sup);
      await refused(
        r.act(order, 'dispatch', sup, { assignee: 'ted' }),
        409,
        /^assignee: ted does not work at site site-a$/,
      );
      await refused(r.act(order, 'dispatch', sup, { assignee: 'nobody' }), 409, /^assignee: no user nobody$/);
      await refused(r.act(order, 'dispatch', sup, { assignee: 'rob' }), 409, /^assignee: rob is a requester/);
      await refused(r.act(order, 'dispatch', sup, { assignee: 'vera' }), 409, /^assignee: vera is disabled$/);
      // The hub's dispatcher acts as the system.
      order = await r.act(
        order,
        'dispatch',
        { username: 'system', role: 'system', sites: 'all' },
        { assignee: 'tim' },
      );
      expect(order).toMatchObject({ status: 'in_repair', assignee: 'tim' });
      const last = (await r.orders.events(order.id)).at(-1);
      expect(last).toMatchObject({ actor: 'system', type: 'dispatch' });
      order = await r.act(order, 'reassign', sup, { assignee: 'tia', reason: 'the lift specialist' });
      expect(order).toMatchObject({ status: 'in_repair', assignee: 'tia' });
    });

    it('lets one of two technicians grabbing the same order at once have it', async () => {
      const r = await rig();
      let order = await r.order();
      order = await r.act(order, 'accept', sup);
      const results = await Promise.allSettled([r.act(order, 'grab', tom), r.act(order, 'grab', tim)]);
      const won = results.filter((x) => x.status === 'fulfilled');
      const lost = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0]?.reason as WorkflowError | undefined)?.status).toBe(409);
      const final = await r.get(order);
      expect(final.status).toBe('in_repair');
      expect((await r.orders.events(order.id)).filter((e) => e.type === 'grab')).toHaveLength(1);
      expect((await r.orders.assigneesOf(order.id)).map((a) => a.username)).toEqual([final.assignee]);
    });

    it('lists orders of the actor sites with filters, overdue and paging', async () => {
      const r = await rig();
      const a1 = await r.order(rob);
      const a2 = await r.order(rob);
      const b1 = await r.order(supB, 'site-b', 'pump-b');
      await r.act(a1, 'accept', sup);
      await r.act(a1, 'dispatch', sup, { assignee: 'tom' });
      await r.act(a1, 'request_assistance', tom, { assignees: ['tim'] });
      await r.db
        .updateTable('work_orders')
        .set({ completion_due_at: T0 - MIN })
        .where('id', 'in', [a1.id, b1.id])
        .execute();
      const ids = async (filter: Parameters<WorkOrderService['search']>[0], sites: Actor['sites'] = 'all') =>
        (await r.orders.search(filter, sites)).orders.map((o) => o.id);

      expect(await ids({}, ['site-a'])).toEqual([a2.id, a1.id]);
      expect(await ids({}, ['site-b'])).toEqual([b1.id]);
      expect(await ids({}, [])).toEqual([]);
      expect(await ids({ status: ['in_repair', 'to_dispatch'] })).toEqual([a1.id]);
      expect(await ids({ assignee: 'tim' })).toEqual([a1.id]);
      expect(await ids({ overdue: true })).toEqual([b1.id, a1.id]);
      expect(await ids({ overdue: true }, ['site-a'])).toEqual([a1.id]);
      expect(await ids({ overdue: false })).toEqual([a2.id]);
      expect(await ids({ source: 'manual', device: 'pump-b' })).toEqual([b1.id]);
      const page = await r.orders.search({ limit: 2, offset: 1 });
      expect({ ids: page.orders.map((o) => o.id), total: page.total }).toEqual({
        ids: [a2.id, a1.id],
        total: 3,
      });
      await refused(r.wf.createOrder(viewer, manualInput('site-a')), 403, /role viewer may not create/);
      await refused(
        r.wf.createOrder(rob, manualInput('site-b')),
        403,
        /^site: site-b is not one of rob's sites$/,
      );
    });

    it('turns an approved QR report into an order with the reporter as requester and the photo attached', async () => {
      const r = await rig();
      const { qrReports, qrSigner, attachments } = r.lifecycle;
      const photo = await QRCode.toBuffer('a photo of a leaking seal', { type: 'png' });
      const input = {
        device: 'pump-1',
        s: qrSigner.sign('pump-1'),
        name: 'Li Wei',
        phone: '+86 138 0000 0000',
        description: 'water on the floor under the pump',
      };
      await refused(qrReports.submit({ ...input, s: qrSigner.sign('pump-b') }), 403, /^s: not a valid code/);
      const report = await qrReports.submit(input, photo);
      expect(report).toMatchObject({ status: 'pending', site: 'site-a', device: 'pump-1' });
      const other = await qrReports.submit({ ...input, description: 'the same leak' });

      await refused(
        qrReports.approve(report.id, tom, { problem_type: 'qr_report', priority: 3 }),
        403,
        /role technician may not review/,
      );
      await refused(
        qrReports.approve(report.id, reviewerB, { problem_type: 'qr_report', priority: 3 }),
        403,
        /^site: site-a/,
      );
      const { order, report: approved } = await qrReports.approve(report.id, rita, {
        problem_type: 'pump_leak',
        priority: 2,
        title: 'Seal leak on pump-1',
      });
      expect(order).toMatchObject({
        source: 'qr',
        status: 'pending_acceptance',
        requester: 'Li Wei',
        device: 'pump-1',
        site: 'site-a',
        priority: 2,
        title: 'Seal leak on pump-1',
        description: 'water on the floor under the pump',
      });
      expect(approved).toMatchObject({ status: 'approved', order_id: order.id, reviewed_by: 'rita' });
      const files = await attachments.list(order.id);
      expect(files).toHaveLength(1);
      const { path } = await attachments.open(order.id, files[0]?.id ?? 0, rita);
      expect(readFileSync(path).equals(photo)).toBe(true);
      expect((await r.orders.events(order.id)).map((e) => [e.type, e.actor])).toEqual([
        ['created', 'qr:rita'],
        ['attachment_added', 'qr:rita'],
      ]);
      await refused(
        qrReports.approve(report.id, rita, { problem_type: 'x', priority: 3 }),
        409,
        /already approved/,
      );

      const rejected = await qrReports.reject(other.id, sup, 'same leak as report 1');
      expect(rejected).toMatchObject({ status: 'rejected', review_reason: 'same leak as report 1' });
      const listed = await qrReports.list(rita, { limit: 10, offset: 0 });
      expect(listed.reports.map((x) => x.id)).toEqual([other.id, report.id]);
      expect((await qrReports.list(reviewerB, { limit: 10, offset: 0 })).total).toBe(0);
    });
  });
}

function manualInput(site: string) {
  return { site, problem_type: 'other', priority: 3, title: 'x', description: '' };
}

/** A body each action accepts (so a refusal is about the status, never the body). */
function bodyFor(action: string): Record<string, unknown> {
  switch (action) {
    case 'dispatch':
    case 'reassign':
      return { assignee: 'tom' };
    case 'submit_for_check':
      return { resolution: 'done', labour_minutes: 1, fault_category: 'other' };
    case 'reject':
    case 'cancel':
    case 'request_defer':
      return { reason: 'because' };
    case 'rate':
      return { rating: 5 };
    case 'request_assistance':
      return { assignees: ['tim'] };
    default:
      return {};
  }
}
