import type {
  AlarmAcknowledgement,
  DeviceSummary,
  TelemetryBatch,
  TrendPrediction,
} from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import type { Kysely } from 'kysely';
import { type AlarmPhase, type AlarmRow, type Database, type Severity, severityRank } from '../db/schema.js';
import type { WorkOrderService } from '../workorders/work-order.service.js';
import { AssetMap } from './assets.js';
import { DetectorStateStore, detectorStateKey, type SavedModel } from './detector-state.js';
import { EvidenceRows } from './evidence-rows.js';
import {
  type EvaluatorState,
  learningConfig,
  type Observation,
  PointSlots,
  RuleEvaluator,
  type SlotValues,
  type Transition,
} from './rule-evaluator.js';
import type { Rule, RuleFile } from './rules.js';

/**
 * From readings to alarms to work orders. Detection runs in memory, synchronously, on every
 * telemetry batch (cheap: comparisons and running sums); what it decides (a hold time started,
 * an alarm raised, cleared, its severity risen) is written to the database in order by one
 * serial queue, so ingest never waits on it. Alarms are keyed by incident (site/device/rule):
 * one live alarm per key and one open order per key, both guaranteed by unique indexes.
 */

export const COMM_LOSS_RULE: Rule = {
  id: 'comm_loss',
  device_type: 'other',
  title: 'Communication lost',
  problem_type: 'communication',
  severity: 'major',
  escalate: [],
  raise_after: 0,
  clear_after: 0,
  work_order: { when: 'active_for', after: 10 * 60_000 },
  self_recovery_window: 0,
};

/** Reading times kept per device for an order's evidence. */
const EVIDENCE_READINGS = 60;
/** A root incident adopts alarms of its building raised this long before it. */
const ROOT_LOOKBACK_MS = 5 * 60_000;
/** Silence after which the next live reading opens a gap that late data may fill later. */
const GAP_MS = 15_000;

interface Timeline {
  evaluators: Map<string, RuleEvaluator>;
  /** The same evaluators, as an array: judging a reading walks this. */
  list: RuleEvaluator[];
  /** The latest value per point slot of the device type (NaN: never seen). */
  values: SlotValues;
  /** The last reading time judged on this timeline. */
  watermark: number;
}

interface DeviceContext {
  /** The device type its rules were chosen by ('' until its first telemetry). */
  type: string;
  site: string;
  gateway: string;
  device: string;
  building: string | undefined;
  live: Timeline;
  /** The live timeline as it was when the latest gap in the data began. */
  beforeGap: Timeline | undefined;
  /** Late readings (a gateway's backlog after an outage) judged on their own timestamps. */
  late: Timeline | undefined;
  /** Every point's value at the device's latest reading times, for an order's evidence. */
  evidence: EvidenceRows;
  slots: PointSlots;
  /** The point names of the last batch, by position, and their slots. */
  pointOrder: string[];
  slotOrder: number[];
  /** Since when (hub clock) the device has been silent or offline. */
  commLostSince: number | null;
}

export interface AlarmEngineOptions {
  db: Kysely<Database>;
  orders: WorkOrderService;
  rules: RuleFile;
  assets?: AssetMap;
  log: Logger;
  now?: () => number;
  /** Gateway state, from live state. */
  gatewayOnline?: (site: string, gateway: string) => boolean;
  /** How often learned models are saved (ms, hub clock); also when one finishes learning and on stop. */
  modelSaveEveryMs?: number;
}

export interface AlarmEvent {
  type: 'raised' | 'cleared' | 'severity' | 'order' | 'acknowledged';
  alarm?: AlarmRow;
  orderId?: number;
  /** type `acknowledged`: who and when (alarm-acknowledgement.service.ts). */
  acknowledged?: AlarmAcknowledgement;
}

export class AlarmEngine {
  private readonly devices = new Map<string, DeviceContext>();
  private readonly slotTables = new Map<string, PointSlots>();
  private readonly rulesByType = new Map<string, Rule[]>();
  private readonly rulesById = new Map<string, Rule>();
  /** Live alarms (closed_at null) by incident key, mirrored from the database. */
  private readonly open = new Map<string, AlarmRow>();
  /** Alarms whose work order has been raised (the "active for" policy stops asking). */
  private readonly ordered = new Set<number>();
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  readonly assets: AssetMap;
  readonly stats = {
    evaluated_batches: 0,
    transitions: 0,
    db_errors: 0,
    late_readings: 0,
    models_resumed: 0,
    models_saved: 0,
  };
  private readonly modelStore: DetectorStateStore;
  /** Saved models waiting for their device's first telemetry, by `detectorStateKey`. */
  private savedModels = new Map<string, SavedModel>();
  /** Live learned-behaviour evaluators, and the model revision last saved of each. */
  private readonly learners: Array<{ ctx: DeviceContext; evaluator: RuleEvaluator; savedRevision: number }> =
    [];
  private lastModelSave: number;
  /** Observers of alarm and order changes (socket.io, notifications). */
  onEvent: ((event: AlarmEvent) => void) | undefined;

  constructor(private readonly opts: AlarmEngineOptions) {
    this.now = opts.now ?? Date.now;
    this.assets = opts.assets ?? new AssetMap();
    for (const rule of opts.rules.rules) {
      const list = this.rulesByType.get(rule.device_type) ?? [];
      list.push(rule);
      this.rulesByType.set(rule.device_type, list);
      this.rulesById.set(rule.id, rule);
    }
    this.rulesById.set(COMM_LOSS_RULE.id, COMM_LOSS_RULE);
    this.modelStore = new DetectorStateStore(opts.db);
    this.lastModelSave = this.now();
  }

  /** Loads the live alarms: pending hold times and active alarms resume where they were. */
  async start(): Promise<void> {
    const rows = await this.opts.db.selectFrom('alarms').selectAll().where('closed_at', 'is', null).execute();
    for (const row of rows) this.open.set(row.incident_key, row);
    this.savedModels = await this.modelStore.loadAll((key, reason) =>
      this.opts.log.warn({ key, reason }, 'saved learned model unreadable: that device learns again'),
    );
    this.opts.log.info(
      { open_alarms: rows.length, saved_models: this.savedModels.size },
      'alarm engine ready',
    );
  }

  /** Saves what the learned-behaviour rules have learned, then waits for every pending write. */
  async stop(): Promise<void> {
    this.saveModels(this.now());
    await this.idle();
  }

  /** Resolves when every decision so far is in the database. */
  idle(): Promise<void> {
    return this.queue;
  }

  listOpen(): AlarmRow[] {
    return [...this.open.values()];
  }

  /** The rules judged on devices of a type, in the rule file's order (every rule when no type). */
  rulesOf(deviceType?: string): readonly Rule[] {
    if (deviceType === undefined) return [...this.rulesByType.values()].flat();
    return this.rulesByType.get(deviceType) ?? [];
  }

  /**
   * The latest prediction of each trend rule of a device, read from its live timeline (nothing
   * is computed here); undefined for a device the engine has not judged since it started.
   */
  predictions(device: string): { site: string; predictions: TrendPrediction[] } | undefined {
    const ctx = this.devices.get(device);
    if (!ctx) return undefined;
    const predictions: TrendPrediction[] = [];
    for (const evaluator of ctx.live.list) {
      const trend = evaluator.rule.trend;
      const prediction = evaluator.prediction;
      if (!trend || !prediction) continue;
      predictions.push({
        rule_id: evaluator.rule.id,
        title: evaluator.rule.title,
        point: trend.point,
        limit: trend.limit,
        direction: trend.direction,
        horizon_ms: trend.horizon,
        time_to_limit_ms: Number.isFinite(prediction.timeToLimitMs)
          ? Math.round(prediction.timeToLimitMs)
          : null,
        slope_per_hour: Number.isFinite(prediction.slopePerSecond) ? prediction.slopePerSecond * 3600 : null,
        at: Number.isFinite(ctx.live.watermark) ? ctx.live.watermark : null,
      });
    }
    return { site: ctx.site, predictions };
  }

  // ------------------------------------------------------------------ readings

  /** Judges one telemetry batch (already validated and durable). Synchronous and cheap. */
  onTelemetry(ref: { site: string; gateway: string; device: string }, batch: TelemetryBatch): void {
    let ctx = this.devices.get(ref.device);
    // A device keeps its type: its rules are looked up again only if it reports another.
    if (!ctx || ctx.type !== batch.device_type) {
      ctx = this.context(ref, this.rulesByType.get(batch.device_type) ?? [], batch.device_type);
      ctx.type = batch.device_type;
    }
    if (ctx.gateway !== ref.gateway) ctx.gateway = ref.gateway;
    if (ctx.commLostSince !== null) this.commRestored(ctx);
    if (ctx.live.list.length === 0) return;
    this.stats.evaluated_batches += 1;
    // Readings of one poll share a timestamp; judge the device once per distinct time, in order.
    // Usually the whole batch is one poll: then one scan tells it is in order and its one time.
    const single = oneTime(batch.readings);
    const readings =
      single || inTimeOrder(batch.readings)
        ? batch.readings
        : [...batch.readings].sort((a, b) => a.ts - b.ts);
    const n = readings.length;
    let i = 0;
    while (i < n) {
      const ts = (readings[i] as (typeof readings)[number]).ts;
      let end = single ? n : i + 1;
      while (end < n && (readings[end] as (typeof readings)[number]).ts === ts) end += 1;
      const live = ts > ctx.live.watermark;
      let timeline = ctx.live;
      if (live && ts - ctx.live.watermark > GAP_MS && Number.isFinite(ctx.live.watermark)) {
        // A gap begins: keep the state it began with, for data that arrives late to fill it.
        ctx.beforeGap = this.cloneTimeline(ctx.live);
        ctx.late = undefined;
      } else if (!live) {
        // Late data (a backlog filling the gap) is judged on its own timeline, from the state the
        // gap began with; anything else this old was judged already (a duplicate).
        const gap = ctx.beforeGap;
        if (gap && ts > gap.watermark) {
          ctx.late ??= this.cloneTimeline(gap);
          timeline = ctx.late;
        }
        if (timeline === ctx.live || ts <= timeline.watermark) {
          i = end;
          continue;
        }
        this.stats.late_readings += 1;
      }
      const values = timeline.values;
      for (; i < end; i += 1) {
        const r = readings[i] as (typeof readings)[number];
        const raw = r.value;
        if (raw === null || r.quality === 'bad') continue;
        const value = typeof raw === 'number' ? raw : raw ? 1 : 0;
        // A device sends its points in the same order every poll: reuse the last batch's slots.
        const slot = ctx.pointOrder[i] === r.point ? (ctx.slotOrder[i] as number) : slotAt(ctx, i, r.point);
        while (values.length <= slot) values.push(Number.NaN);
        values[slot] = value;
      }
      timeline.watermark = ts;
      if (live) ctx.evidence.record(ts, values);
      const evaluators = timeline.list;
      for (let e = 0; e < evaluators.length; e += 1) {
        const evaluator = evaluators[e] as RuleEvaluator;
        const transitions = evaluator.update(ts, timeline.values);
        if (transitions.length === 0) continue;
        const observation = evaluator.observe(timeline.values);
        const liveEval = ctx.live.evaluators.get(evaluator.rule.id);
        for (const t of transitions) {
          // The live timeline is authoritative about the present: late data may raise (and
          // clear) an incident that live data no longer shows, but never touches a live one.
          if (
            !live &&
            (!liveEval || liveEval.snapshot.phase === 'active' || liveEval.snapshot.phase === 'clearing')
          ) {
            if (t.type !== 'raised') continue;
          }
          if (
            !live &&
            (t.type === 'pending' || t.type === 'pending_cancelled' || t.type.startsWith('clearing'))
          )
            continue;
          this.stats.transitions += 1;
          this.enqueue(() => this.apply(ctx, evaluator.rule, t, observation, ts));
        }
      }
    }
  }

  // ------------------------------------------------------------------ communication

  /** Device state from live state: offline or stale starts the communication-loss clock. */
  onDeviceChanged(device: DeviceSummary): void {
    const ctx = this.devices.get(device.id);
    if (!ctx && device.status !== 'offline' && device.status !== 'stale') return;
    const c = ctx ?? this.context({ site: device.site, gateway: device.gateway, device: device.id }, []);
    if (device.status === 'offline' || device.status === 'stale') {
      c.commLostSince ??= this.now();
    } else if (device.status === 'online' && c.commLostSince !== null) {
      this.commRestored(c);
    }
  }

  /** Gateway back online: its communication incident clears. */
  onGatewayOnline(site: string, gateway: string): void {
    const key = `${site}/gateway:${gateway}/comm_loss`;
    if (this.open.get(key)?.state === 'active') this.enqueue(() => this.clearComm(key, this.now()));
  }

  /**
   * Periodic work (each second): communication-loss alarms past their delay, orders for alarms
   * active long enough, alarms over for good.
   */
  tick(): void {
    const now = this.now();
    let fitted = false;
    for (const l of this.learners) if (l.evaluator.takeModelFitted()) fitted = true;
    const every = this.opts.modelSaveEveryMs ?? 300_000;
    if (fitted || now - this.lastModelSave >= every) this.saveModels(now);
    const due = [...this.devices.values()].filter(
      (c) => c.commLostSince !== null && now - c.commLostSince >= this.opts.rules.comm_loss_after,
    );
    // Devices by gateway, only on the seconds something has gone silent long enough.
    const byGateway = new Map<string, DeviceContext[]>();
    if (due.length > 0) {
      for (const c of this.devices.values()) {
        const key = `${c.site}/${c.gateway}`;
        const list = byGateway.get(key);
        if (list) list.push(c);
        else byGateway.set(key, [c]);
      }
    }
    for (const c of due) {
      const siblings = byGateway.get(`${c.site}/${c.gateway}`) ?? [c];
      const gatewayDown =
        this.opts.gatewayOnline?.(c.site, c.gateway) === false ||
        (siblings.length > 1 && siblings.every((s) => s.commLostSince !== null));
      const key = gatewayDown
        ? `${c.site}/gateway:${c.gateway}/comm_loss`
        : `${c.site}/${c.device}/comm_loss`;
      const existing = this.open.get(key);
      if (existing && existing.state === 'active') continue;
      const since = c.commLostSince as number;
      // Mark it in memory now so one tick raises it once, whatever the queue's pace.
      this.open.set(key, {
        ...(existing ?? this.blankAlarm(key, c, COMM_LOSS_RULE, gatewayDown)),
        state: 'active',
      });
      this.enqueue(() => this.raiseComm(key, c, gatewayDown, since, now));
    }
    this.enqueue(() => this.periodic(now));
  }

  // ------------------------------------------------------------------ internals

  private context(
    ref: { site: string; gateway: string; device: string },
    rules: Rule[],
    type = 'other',
  ): DeviceContext {
    let ctx = this.devices.get(ref.device);
    if (ctx) {
      if (ctx.live.evaluators.size === 0 && rules.length > 0) this.addEvaluators(ctx, rules);
      return ctx;
    }
    ctx = {
      type: '',
      site: ref.site,
      gateway: ref.gateway,
      device: ref.device,
      building: this.assets.buildingOf(ref.device),
      live: { evaluators: new Map(), list: [], values: [], watermark: Number.NEGATIVE_INFINITY },
      beforeGap: undefined,
      late: undefined,
      evidence: new EvidenceRows(EVIDENCE_READINGS),
      slots: this.slotsOf(type),
      pointOrder: [],
      slotOrder: [],
      commLostSince: null,
    };
    this.devices.set(ref.device, ctx);
    this.addEvaluators(ctx, rules);
    return ctx;
  }

  /** Evaluators for a device; a pending hold time or an active alarm resumes from the database. */
  private addEvaluators(ctx: DeviceContext, rules: Rule[]): void {
    for (const rule of rules) {
      const row = this.open.get(`${ctx.site}/${ctx.device}/${rule.id}`);
      let initial: EvaluatorState | undefined;
      if (row && row.state !== 'cleared') {
        initial = {
          phase: row.state === 'pending' ? 'pending' : row.state === 'clearing' ? 'clearing' : 'active',
          since:
            row.state === 'pending'
              ? row.pending_since
              : row.state === 'clearing'
                ? row.clearing_since
                : null,
          severity: row.severity,
        };
        if (row.evaluated_until !== null)
          ctx.live.watermark = Math.max(ctx.live.watermark, row.evaluated_until);
      }
      const evaluator = this.evaluator(ctx, rule, initial);
      ctx.live.evaluators.set(rule.id, evaluator);
      if (rule.anomaly) this.learners.push({ ctx, evaluator, savedRevision: evaluator.modelRevision });
    }
    ctx.live.list = [...ctx.live.evaluators.values()];
    // Every slot a rule reads exists now: the values array covers them, so reads stay in bounds.
    while (ctx.live.values.length < ctx.slots.size) ctx.live.values.push(Number.NaN);
  }

  /** A live evaluator; a learned model saved for this device and rule resumes if it still fits. */
  private evaluator(ctx: DeviceContext, rule: Rule, initial: EvaluatorState | undefined): RuleEvaluator {
    const key = detectorStateKey(ctx.site, ctx.device, rule.id);
    const saved = rule.anomaly ? this.savedModels.get(key) : undefined;
    if (saved) {
      this.savedModels.delete(key);
      if (saved.config === learningConfig(rule)) {
        try {
          const evaluator = new RuleEvaluator(rule, ctx.slots, initial, saved.state);
          this.stats.models_resumed += 1;
          return evaluator;
        } catch (err) {
          this.opts.log.warn({ key, err }, 'saved learned model does not fit the rule: learning again');
        }
      } else {
        this.opts.log.info({ key }, 'rule settings changed since the model was learned: learning again');
      }
    }
    return new RuleEvaluator(rule, ctx.slots, initial);
  }

  /** Queues a save of every learned model that moved since its last save. */
  private saveModels(now: number): void {
    this.lastModelSave = now;
    const models: SavedModel[] = [];
    for (const l of this.learners) {
      const revision = l.evaluator.modelRevision;
      if (revision === l.savedRevision) continue;
      const state = l.evaluator.exportModel();
      if (!state) continue;
      l.savedRevision = revision;
      models.push({
        site: l.ctx.site,
        device: l.ctx.device,
        ruleId: l.evaluator.rule.id,
        config: learningConfig(l.evaluator.rule),
        state,
      });
    }
    if (models.length === 0) return;
    this.enqueue(async () => {
      await this.modelStore.save(models, now);
      this.stats.models_saved += models.length;
    });
  }

  private cloneTimeline(from: Timeline): Timeline {
    const evaluators = new Map<string, RuleEvaluator>();
    for (const [id, e] of from.evaluators) {
      // A learned model comes along: late data is judged by what was known when the gap began.
      evaluators.set(id, new RuleEvaluator(e.rule, e.slots, e.snapshot, e.exportModel()));
    }
    return {
      evaluators,
      list: [...evaluators.values()],
      values: from.values.slice(),
      watermark: from.watermark,
    };
  }

  /** One slot table per device type: its rules are compiled against it. */
  private slotsOf(type: string): PointSlots {
    let slots = this.slotTables.get(type);
    if (!slots) {
      slots = new PointSlots();
      this.slotTables.set(type, slots);
    }
    return slots;
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err: unknown) => {
      this.stats.db_errors += 1;
      this.opts.log.error({ err }, 'alarm engine: a decision could not be stored');
    });
  }

  private blankAlarm(key: string, ctx: DeviceContext, rule: Rule, gatewayLevel = false): AlarmRow {
    return {
      id: 0,
      incident_key: key,
      site: ctx.site,
      device: gatewayLevel ? null : ctx.device,
      gateway: ctx.gateway,
      rule_id: rule.id,
      title: gatewayLevel ? `Gateway ${ctx.gateway} lost` : rule.title,
      state: 'pending',
      severity: rule.severity,
      pending_since: null,
      first_raised_at: null,
      raised_at: null,
      clearing_since: null,
      cleared_at: null,
      closed_at: null,
      occurrences: 0,
      flapping: 0,
      root_alarm_id: null,
      silenced: null,
      evaluated_until: null,
      detail: '{}',
      updated_at: 0,
    };
  }

  /** Writes the row (insert when new) and mirrors it in memory. */
  private async save(row: AlarmRow, changes: Partial<AlarmRow>): Promise<AlarmRow> {
    const next = { ...row, ...changes, updated_at: this.now() };
    const db = this.opts.db;
    if (row.id === 0) {
      const { id: _id, ...values } = next;
      const inserted = await db.insertInto('alarms').values(values).returning('id').executeTakeFirstOrThrow();
      next.id = Number(inserted.id);
    } else {
      const { id, ...values } = next;
      await db.updateTable('alarms').set(values).where('id', '=', id).execute();
    }
    if (next.closed_at === null) this.open.set(next.incident_key, next);
    else {
      this.open.delete(next.incident_key);
      this.ordered.delete(next.id);
    }
    return next;
  }

  private async apply(ctx: DeviceContext, rule: Rule, t: Transition, obs: Observation, judgedTs: number) {
    const key = `${ctx.site}/${ctx.device}/${rule.id}`;
    const current = this.open.get(key);
    const row = current ?? this.blankAlarm(key, ctx, rule);
    const detail = { ...JSON.parse(row.detail || '{}'), rule: ruleSummary(rule), last: obs };
    switch (t.type) {
      case 'pending': {
        if (row.state === 'active' || row.state === 'clearing') return;
        await this.save(row, {
          state: 'pending',
          pending_since: t.ts,
          evaluated_until: judgedTs,
          detail: JSON.stringify(detail),
        });
        return;
      }
      case 'pending_cancelled': {
        if (current?.state !== 'pending') return;
        if (current.occurrences === 0) {
          await this.opts.db.deleteFrom('alarms').where('id', '=', current.id).execute();
          this.open.delete(key);
        } else {
          await this.save(current, { state: 'cleared', pending_since: null, evaluated_until: judgedTs });
        }
        return;
      }
      case 'raised': {
        if (current && (current.state === 'active' || current.state === 'clearing')) {
          // Late data showing an incident that is live already: keep the earliest start.
          if (current.first_raised_at !== null && t.ts < current.first_raised_at) {
            await this.save(current, { first_raised_at: t.ts });
          }
          return;
        }
        const occurrences = row.occurrences + 1;
        const flapping = row.flapping === 1 || occurrences >= this.opts.rules.flap_count ? 1 : 0;
        detail.raised = { ts: t.ts, pending_since: t.pendingSince, values: obs.values };
        if (obs.timeToLimitMs !== undefined) detail.time_to_limit_ms = finite(obs.timeToLimitMs);
        const saved = await this.save(row, {
          state: 'active',
          severity: t.severity,
          pending_since: null,
          clearing_since: null,
          raised_at: t.ts,
          first_raised_at: row.first_raised_at ?? t.ts,
          occurrences,
          flapping,
          evaluated_until: judgedTs,
          detail: JSON.stringify(detail),
        });
        this.onEvent?.({ type: 'raised', alarm: saved });
        await this.afterRaise(ctx, rule, saved, t.ts, obs);
        return;
      }
      case 'severity': {
        if (!current || severityRank(t.severity) <= severityRank(current.severity)) return;
        const saved = await this.save(current, { severity: t.severity, evaluated_until: judgedTs });
        this.onEvent?.({ type: 'severity', alarm: saved });
        if (saved.state === 'active' && !saved.silenced) await this.maybeOrder(ctx, rule, saved, t.ts, obs);
        return;
      }
      case 'clearing': {
        if (current?.state !== 'active') return;
        await this.save(current, { state: 'clearing', clearing_since: t.ts, evaluated_until: judgedTs });
        return;
      }
      case 'clearing_cancelled': {
        if (current?.state !== 'clearing') return;
        await this.save(current, { state: 'active', clearing_since: null, evaluated_until: judgedTs });
        return;
      }
      case 'cleared': {
        if (!current || (current.state !== 'active' && current.state !== 'clearing')) return;
        const saved = await this.save(current, {
          state: 'cleared',
          clearing_since: null,
          cleared_at: t.ts,
          evaluated_until: judgedTs,
        });
        this.onEvent?.({ type: 'cleared', alarm: saved });
        await this.afterClear(rule, saved, t.ts);
        return;
      }
    }
  }

  /** Silencing, topology and the rule's work-order policy for an alarm that just raised. */
  private async afterRaise(ctx: DeviceContext, rule: Rule, alarm: AlarmRow, ts: number, obs: Observation) {
    const silenced = await this.silencedBy(ctx, rule, alarm, ts);
    if (silenced) return;
    await this.maybeOrder(ctx, rule, alarm, ts, obs);
    if (rule.root_cause === 'building') await this.adoptSymptoms(ctx, alarm, ts);
  }

  /** Maintenance windows, repairs in progress and root incidents hold notifications back. */
  private async silencedBy(ctx: DeviceContext, rule: Rule, alarm: AlarmRow, ts: number): Promise<boolean> {
    const { db, orders } = this.opts;
    const window = await db
      .selectFrom('maintenance_windows')
      .select(['id', 'reason'])
      .where('site', '=', ctx.site)
      .where((eb) => eb.or([eb('device', 'is', null), eb('device', '=', ctx.device)]))
      .where('starts_at', '<=', ts)
      .where('ends_at', '>', ts)
      .executeTakeFirst();
    if (window) {
      await this.save(alarm, { silenced: 'maintenance' });
      return true;
    }
    if (rule.root_cause === undefined && ctx.building) {
      const root = [...this.open.values()].find(
        (a) =>
          a.state === 'active' &&
          a.device !== ctx.device &&
          a.device !== null &&
          this.rulesById.get(a.rule_id)?.root_cause === 'building' &&
          this.assets.buildingOf(a.device) === ctx.building,
      );
      if (root) {
        await this.save(alarm, { silenced: 'symptom', root_alarm_id: root.id });
        const rootOrder = await orders.openFor(root.incident_key);
        if (rootOrder) await orders.attach(rootOrder.id, alarm.id, 'symptom', ts);
        return true;
      }
    }
    const repair = await orders.inRepairOn(ctx.device);
    if (repair && repair.incident_key !== alarm.incident_key) {
      await this.save(alarm, { silenced: 'in_repair' });
      await orders.attach(repair.id, alarm.id, 'silenced', ts);
      return true;
    }
    if (alarm.silenced) await this.save(alarm, { silenced: null });
    return false;
  }

  /** A root incident takes in the alarms its building raised just before it (and their orders). */
  private async adoptSymptoms(ctx: DeviceContext, root: AlarmRow, ts: number): Promise<void> {
    const rootOrder = await this.opts.orders.openFor(root.incident_key);
    for (const a of [...this.open.values()]) {
      if (a.device === null || a.device === ctx.device || a.state === 'pending' || a.state === 'cleared')
        continue;
      if (this.assets.buildingOf(a.device) !== ctx.building) continue;
      if (a.raised_at === null || a.raised_at < ts - ROOT_LOOKBACK_MS) continue;
      await this.save(a, { silenced: 'symptom', root_alarm_id: root.id });
      const order = await this.opts.orders.openFor(a.incident_key);
      if (order && order.source === 'sensor' && order.acknowledged_at === null) {
        await this.opts.orders.cancel(order.id, 'merged_into_root', 'sensor', ts, { root_alarm_id: root.id });
      }
      if (rootOrder) await this.opts.orders.attach(rootOrder.id, a.id, 'symptom', ts);
    }
  }

  /** Whether the rule says this alarm is an order now; if so, raises or attaches it. */
  private async maybeOrder(ctx: DeviceContext, rule: Rule, alarm: AlarmRow, ts: number, obs: Observation) {
    const policy = rule.work_order;
    const { orders } = this.opts;
    const open = await orders.openFor(alarm.incident_key);
    let due = open !== undefined;
    switch (policy.when) {
      case 'never':
        due = false;
        break;
      case 'immediate':
        due = true;
        break;
      case 'severity':
        due ||= severityRank(alarm.severity) >= severityRank(policy.at_least);
        break;
      case 'active_for':
        due ||= alarm.raised_at !== null && ts - alarm.raised_at >= policy.after;
        break;
      case 'occurrences': {
        const since = ts - policy.within;
        const rows = await this.opts.db
          .selectFrom('alarms')
          .select(['occurrences', 'raised_at'])
          .where('incident_key', '=', alarm.incident_key)
          .where('raised_at', '>=', since)
          .execute();
        const count = rows.reduce((n, r) => n + r.occurrences, 0);
        due ||= count >= policy.count;
        break;
      }
    }
    // A flapping alarm that already has (or had) its order attaches to it, never opens another.
    if (!due) return;
    const recent = await orders.recentForDevice(alarm.device ?? '', 5);
    const evidence = {
      rule: ruleSummary(rule),
      alarm: {
        id: alarm.id,
        severity: alarm.severity,
        raised_at: alarm.raised_at,
        occurrences: alarm.occurrences,
      },
      values: obs.values,
      ...(obs.timeToLimitMs !== undefined ? { time_to_limit_ms: finite(obs.timeToLimitMs) } : {}),
      ...(obs.slopePerHour !== undefined ? { slope_per_hour: obs.slopePerHour } : {}),
      // Every point of the device leading up to the event, not only the rule's: what else moved.
      readings: evidenceReadings(ctx),
      recent_orders: recent,
    };
    const { order, outcome } = await orders.raiseForAlarm({
      alarm,
      problemType: rule.problem_type,
      title: alarm.title,
      kind: rule.trend ? 'preventive' : 'corrective',
      evidence,
      ts,
      reopenWindowMs: this.opts.rules.reopen_window,
      reviveWindowMs: this.opts.rules.flap_window,
    });
    this.ordered.add(alarm.id);
    this.onEvent?.({ type: 'order', alarm, orderId: order.id });
    this.opts.log.info({ order: order.code, outcome, incident: alarm.incident_key }, 'work order');
  }

  /** An alarm clearing never closes an order; an unacknowledged one may be self-recovered. */
  private async afterClear(rule: Rule, alarm: AlarmRow, ts: number): Promise<void> {
    if (rule.self_recovery_window <= 0 || alarm.flapping === 1) return;
    const order = await this.opts.orders.openFor(alarm.incident_key);
    if (
      order?.source !== 'sensor' ||
      order.acknowledged_at !== null ||
      order.status !== 'pending_acceptance'
    ) {
      return;
    }
    const start = alarm.first_raised_at ?? alarm.raised_at ?? ts;
    if (ts - start <= rule.self_recovery_window && order.reopen_count === 0) {
      await this.opts.orders.cancel(order.id, 'self_recovered', 'sensor', ts, { alarm_id: alarm.id });
    }
  }

  private async raiseComm(
    key: string,
    ctx: DeviceContext,
    gatewayLevel: boolean,
    since: number,
    now: number,
  ) {
    const current = this.open.get(key);
    const row =
      current && current.id !== 0 ? current : this.blankAlarm(key, ctx, COMM_LOSS_RULE, gatewayLevel);
    const occurrences = row.occurrences + (row.raised_at === null || row.state === 'cleared' ? 1 : 0);
    const saved = await this.save(row, {
      state: 'active',
      raised_at: since,
      first_raised_at: row.first_raised_at ?? since,
      occurrences: Math.max(occurrences, 1),
      detail: JSON.stringify({ since, detected_at: now, scope: gatewayLevel ? 'gateway' : 'device' }),
    });
    if (gatewayLevel) {
      // The gateway is the one incident: close the device-level ones it explains.
      for (const a of [...this.open.values()]) {
        if (
          a.rule_id === COMM_LOSS_RULE.id &&
          a.device !== null &&
          a.gateway === ctx.gateway &&
          a.site === ctx.site
        ) {
          await this.save(a, {
            state: 'cleared',
            cleared_at: now,
            closed_at: now,
            root_alarm_id: saved.id,
            silenced: 'symptom',
          });
        }
      }
    }
    this.onEvent?.({ type: 'raised', alarm: saved });
  }

  private commRestored(ctx: DeviceContext): void {
    ctx.commLostSince = null;
    const now = this.now();
    const deviceKey = `${ctx.site}/${ctx.device}/comm_loss`;
    if (this.open.has(deviceKey)) this.enqueue(() => this.clearComm(deviceKey, now));
    const gatewayKey = `${ctx.site}/gateway:${ctx.gateway}/comm_loss`;
    if (this.open.has(gatewayKey)) this.enqueue(() => this.clearComm(gatewayKey, now));
  }

  private async clearComm(key: string, now: number): Promise<void> {
    const current = this.open.get(key);
    if (!current || current.id === 0 || current.state === 'cleared') return;
    const saved = await this.save(current, { state: 'cleared', cleared_at: now });
    this.onEvent?.({ type: 'cleared', alarm: saved });
  }

  /** Orders for alarms active long enough; alarms cleared longer than the flap window close. */
  private async periodic(now: number): Promise<void> {
    for (const alarm of [...this.open.values()]) {
      if (alarm.id === 0) continue;
      const rule = this.rulesById.get(alarm.rule_id);
      if (
        alarm.state === 'cleared' &&
        alarm.cleared_at !== null &&
        now - alarm.cleared_at > this.opts.rules.flap_window
      ) {
        await this.save(alarm, { closed_at: now });
        continue;
      }
      if (!rule || alarm.state !== 'active' || alarm.silenced || rule.work_order.when !== 'active_for')
        continue;
      if (alarm.raised_at === null || now - alarm.raised_at < rule.work_order.after) continue;
      // Once its order exists, an alarm is not looked up again every second.
      if (this.ordered.has(alarm.id)) continue;
      if (await this.opts.orders.openFor(alarm.incident_key)) {
        this.ordered.add(alarm.id);
        continue;
      }
      const ctx = alarm.device ? this.devices.get(alarm.device) : this.gatewayContext(alarm);
      if (!ctx) continue;
      const observation: Observation = JSON.parse(alarm.detail || '{}').last ?? { values: {} };
      await this.maybeOrder(ctx, rule, alarm, now, observation);
    }
  }

  private gatewayContext(alarm: AlarmRow): DeviceContext | undefined {
    return [...this.devices.values()].find((c) => c.site === alarm.site && c.gateway === alarm.gateway);
  }
}

/** The slot of the point at position `i` of a batch, remembered for the device's next batch. */
function slotAt(ctx: DeviceContext, i: number, point: string): number {
  const slot = ctx.slots.slot(point);
  ctx.pointOrder[i] = point;
  ctx.slotOrder[i] = slot;
  return slot;
}

/** Whether every reading has the first one's time. */
function oneTime(readings: TelemetryBatch['readings']): boolean {
  const n = readings.length;
  if (n === 0) return true;
  const ts = (readings[0] as { ts: number }).ts;
  for (let i = 1; i < n; i += 1) if ((readings[i] as { ts: number }).ts !== ts) return false;
  return true;
}

function inTimeOrder(readings: TelemetryBatch['readings']): boolean {
  for (let i = 1; i < readings.length; i += 1) {
    if ((readings[i] as { ts: number }).ts < (readings[i - 1] as { ts: number }).ts) return false;
  }
  return true;
}

/** Every point's latest readings, by name (points without any left out). */
function evidenceReadings(ctx: DeviceContext): Record<string, Array<[number, number]>> {
  const out: Record<string, Array<[number, number]>> = {};
  for (let slot = 0; slot < ctx.slots.size; slot += 1) {
    const series = ctx.evidence.series(slot);
    if (series.length > 0) out[ctx.slots.name(slot)] = series;
  }
  return out;
}

function ruleSummary(rule: Rule) {
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    ...(rule.when ? { when: rule.when } : {}),
    ...(rule.trend ? { trend: rule.trend } : {}),
    raise_after_ms: rule.raise_after,
    clear_after_ms: rule.clear_after,
  };
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? Math.round(n) : null;
}

export type { AlarmPhase, Severity };
