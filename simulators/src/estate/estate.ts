import { formatIssues } from '@caretaker/protocol';
import type { Logger } from '@caretaker/protocol/log';
import { faultDefinition } from '../faults/catalogue.js';
import type { FaultInstance } from '../faults/device-faults.js';
import { faultIntensity } from '../faults/onset.js';
import type { ElectricalConsumer } from '../models/model.js';
import { checkFaultTarget, type FaultRequest, faultRequestSchema } from './fault-request.js';
import type { GroundTruthLog } from './ground-truth.js';
import type { EstatePlan, FaultPlan } from './plan.js';
import { ScenarioError, toFaultPlan } from './scenario.js';
import { SimDevice } from './sim-device.js';

export type FaultState = 'scheduled' | 'active' | 'ended';

/** A fault as the control API lists it (snake_case: it goes over the wire). */
export interface FaultRecord {
  id: string;
  device: string;
  kind: string;
  severity: number;
  onset: string;
  /** Real ms from start to full severity. */
  onset_ms: number;
  point?: string;
  delay_ms?: number;
  exception_code?: number;
  source: 'scenario' | 'control';
  state: FaultState;
  /** How far it has developed now, 0 to severity. */
  intensity: number;
  start_ms: number;
  end_ms: number | null;
}

/** A request the estate refuses; `field` names the offending field of the request. */
export class FaultRequestError extends Error {
  override readonly name = 'FaultRequestError';
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

export interface EstateOptions {
  /** Real clock, epoch ms (tests inject their own). */
  now: () => number;
  groundTruth?: GroundTruthLog;
  logger?: Logger;
}

interface Tracked {
  fault: FaultInstance;
  state: FaultState;
}

/**
 * The running estate: every device's model and faults on one clock. `tick()` advances it; the
 * control API injects and clears faults. Fault times are real epoch ms (what readings are
 * stamped with, so the ground truth lines up with the data); the scenario's time factor
 * compresses them when they are planned.
 */
export class Estate {
  readonly devices: SimDevice[];
  readonly realStartMs: number;
  /** Added to the real clock to get the models' clock (the scenario's start hour). */
  readonly shiftMs: number;
  private readonly byId = new Map<string, SimDevice>();
  /** Pumps and lifts first: a power meter reads the load its feeders have at this step. */
  private readonly stepOrder: SimDevice[];
  private readonly tracked = new Map<string, Tracked>();
  private nextFaultId = 1;

  constructor(
    readonly plan: EstatePlan,
    private readonly options: EstateOptions,
  ) {
    const { now } = options;
    this.realStartMs = now();
    const wanted = (plan.startHour / 24) * plan.dayMs;
    this.shiftMs = (((wanted - (this.realStartMs % plan.dayMs)) % plan.dayMs) + plan.dayMs) % plan.dayMs;
    const startMs = this.realStartMs + this.shiftMs;

    const feeders = new Map<string, ElectricalConsumer[]>();
    const devices = new Map<string, SimDevice>();
    const build = (plans: EstatePlan['devices']) => {
      for (const devicePlan of plans) {
        if (devices.has(devicePlan.id)) throw new ScenarioError(`duplicate device id ${devicePlan.id}`);
        const device = new SimDevice(devicePlan, {
          startMs,
          dayMs: plan.dayMs,
          feeders: feeders.get(devicePlan.building) ?? [],
        });
        devices.set(devicePlan.id, device);
        if (
          devicePlan.kind === 'booster_pump' ||
          devicePlan.kind === 'sewage_pump' ||
          devicePlan.kind === 'elevator'
        ) {
          const list = feeders.get(devicePlan.building) ?? [];
          list.push(device.model as ElectricalConsumer);
          feeders.set(devicePlan.building, list);
        }
      }
    };
    build(plan.devices.filter((d) => d.kind !== 'power_meter'));
    build(plan.devices.filter((d) => d.kind === 'power_meter'));
    this.stepOrder = [...devices.values()];
    // Listed in plan order, the order of the scenario file.
    this.devices = plan.devices.map((d) => devices.get(d.id) as SimDevice);
    for (const device of this.devices) this.byId.set(device.id, device);

    const problems: string[] = [];
    plan.faults.forEach((fault, i) => {
      const issues = this.checkTarget(fault);
      for (const issue of issues) problems.push(`faults.${i}.${issue.path}: ${issue.message}`);
    });
    if (problems.length > 0) throw new ScenarioError(`scenario ${plan.name}: ${problems.join('; ')}`);
    options.groundTruth?.open();
    options.groundTruth?.append({
      event: 'run.started',
      scenario: plan.name,
      seed: plan.seed,
      time_factor: plan.timeFactor,
      day_ms: plan.dayMs,
      devices: this.devices.length,
      ts: this.realStartMs,
      time: new Date(this.realStartMs).toISOString(),
    });
    for (const fault of plan.faults) this.schedule(fault, this.realStartMs, 'scenario');
    this.tick();
  }

  device(id: string): SimDevice | undefined {
    return this.byId.get(id);
  }

  get modelNow(): number {
    return this.options.now() + this.shiftMs;
  }

  /** Starts and ends the faults that are due, then advances every device to now. */
  tick(): void {
    const realNow = this.options.now();
    this.updateFaults(realNow);
    const modelNow = realNow + this.shiftMs;
    for (const device of this.stepOrder) device.advance(modelNow, realNow);
  }

  /**
   * Injects a fault from an untrusted request (the control API, the CLI). Durations are scenario
   * time, `start` counts from now. Throws FaultRequestError naming the field.
   */
  inject(body: unknown): FaultRecord {
    const parsed = faultRequestSchema.safeParse(body);
    if (!parsed.success) throw new FaultRequestError(formatIssues(parsed.error));
    return this.injectRequest(parsed.data);
  }

  injectRequest(request: FaultRequest): FaultRecord {
    const plan = toFaultPlan(request);
    const problems = this.checkTarget(plan);
    if (problems.length > 0) {
      const unknown = problems.find((p) => p.path === 'device');
      throw new FaultRequestError(
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        unknown ? 404 : 400,
      );
    }
    const now = this.options.now();
    const id = this.schedule(plan, now, 'control');
    this.updateFaults(now);
    return this.record(this.tracked.get(id) as Tracked, now);
  }

  /** Ends a fault now (a repair). Ending one that already ended changes nothing. */
  clear(id: string): FaultRecord {
    const tracked = this.tracked.get(id);
    if (!tracked) throw new FaultRequestError(`id: no fault ${id}`, 404);
    const now = this.options.now();
    if (tracked.state === 'scheduled') {
      // Cancelled before it began: it never happened, so the ground truth has nothing to say.
      tracked.state = 'ended';
      tracked.fault.endMs = tracked.fault.startMs;
      this.byId.get(tracked.fault.device)?.faults.remove(tracked.fault.id);
    } else if (tracked.state === 'active') {
      if (tracked.fault.endMs === null || tracked.fault.endMs > now) tracked.fault.endMs = now;
      this.updateFaults(now);
    }
    return this.record(tracked, now);
  }

  /** Takes a device off the network (a `no_response` fault) or brings it back. */
  setOnline(deviceId: string, online: boolean): FaultRecord[] {
    if (!this.byId.has(deviceId)) throw new FaultRequestError(`device: no device ${deviceId}`, 404);
    const now = this.options.now();
    const open = [...this.tracked.values()].filter(
      (t) => t.fault.device === deviceId && t.fault.kind === 'no_response' && t.state !== 'ended',
    );
    if (online) return open.map((t) => this.clear(t.fault.id));
    if (open.some((t) => t.state === 'active' && t.fault.severity === 1)) {
      return open.map((t) => this.record(t, now));
    }
    return [this.injectRequest(faultRequestSchema.parse({ device: deviceId, kind: 'no_response' }))];
  }

  /** Whether the device answers at all now (no full-severity no_response in force). */
  isOnline(deviceId: string): boolean {
    for (const tracked of this.tracked.values()) {
      const f = tracked.fault;
      if (
        f.device === deviceId &&
        f.kind === 'no_response' &&
        tracked.state === 'active' &&
        f.severity === 1
      ) {
        return false;
      }
    }
    return true;
  }

  faults(filter: { device?: string; state?: FaultState } = {}): FaultRecord[] {
    const now = this.options.now();
    return [...this.tracked.values()]
      .filter((t) => filter.device === undefined || t.fault.device === filter.device)
      .filter((t) => filter.state === undefined || t.state === filter.state)
      .map((t) => this.record(t, now));
  }

  fault(id: string): FaultRecord | undefined {
    const tracked = this.tracked.get(id);
    return tracked ? this.record(tracked, this.options.now()) : undefined;
  }

  private checkTarget(fault: FaultPlan | FaultRequest): Array<{ path: string; message: string }> {
    const device = this.byId.get(fault.device);
    if (!device) return [{ path: 'device', message: `no device ${fault.device} in the estate` }];
    const request = {
      ...fault,
      ...(fault.point !== undefined ? { point: fault.point } : {}),
    } as FaultRequest;
    return checkFaultTarget(request, {
      type: device.type,
      protocol: device.protocol,
      numericPoints: device.numericPoints(),
    });
  }

  /** Adds a planned fault whose times count from `originMs`, in scenario time. */
  private schedule(plan: FaultPlan, originMs: number, source: FaultInstance['source']): string {
    const device = this.byId.get(plan.device);
    if (!device) throw new FaultRequestError(`device: no device ${plan.device}`, 404);
    const factor = this.plan.timeFactor;
    const startMs = originMs + plan.startMs / factor;
    const fault: FaultInstance = {
      id: `f${this.nextFaultId++}`,
      device: plan.device,
      kind: plan.kind,
      severity: plan.severity,
      onset: plan.onset,
      onsetMs: plan.onsetMs / factor,
      startMs,
      endMs: plan.durationMs === null ? null : startMs + plan.durationMs / factor,
      source,
      ...(plan.point !== undefined ? { point: plan.point } : {}),
      ...(plan.delayMs !== undefined ? { delayMs: plan.delayMs } : {}),
      ...(plan.exceptionCode !== undefined ? { exceptionCode: plan.exceptionCode } : {}),
    };
    device.faults.add(fault);
    this.tracked.set(fault.id, { fault, state: 'scheduled' });
    return fault.id;
  }

  private updateFaults(now: number): void {
    for (const tracked of this.tracked.values()) {
      const { fault } = tracked;
      if (tracked.state === 'scheduled' && now >= fault.startMs) {
        tracked.state = 'active';
        this.writeTruth('fault.started', tracked);
        this.options.logger?.info(
          { fault: fault.id, device: fault.device, kind: fault.kind, severity: fault.severity },
          'fault started',
        );
      }
      if (tracked.state === 'active' && fault.endMs !== null && now >= fault.endMs) {
        tracked.state = 'ended';
        this.byId.get(fault.device)?.faults.remove(fault.id);
        this.writeTruth('fault.ended', tracked);
        this.options.logger?.info({ fault: fault.id, device: fault.device, kind: fault.kind }, 'fault ended');
      }
    }
  }

  private writeTruth(event: 'fault.started' | 'fault.ended', tracked: Tracked): void {
    const { fault } = tracked;
    const definition = faultDefinition(fault.kind);
    this.options.groundTruth?.append({
      event,
      fault_id: fault.id,
      device: fault.device,
      device_type: this.byId.get(fault.device)?.type,
      kind: fault.kind,
      layer: definition.layer,
      severity: fault.severity,
      onset: fault.onset,
      onset_ms: fault.onsetMs,
      point: fault.point ?? null,
      source: fault.source,
      start_ms: fault.startMs,
      end_ms: fault.endMs,
      start: new Date(fault.startMs).toISOString(),
      end: fault.endMs === null ? null : new Date(fault.endMs).toISOString(),
    });
  }

  private record(tracked: Tracked, now: number): FaultRecord {
    const { fault, state } = tracked;
    return {
      id: fault.id,
      device: fault.device,
      kind: fault.kind,
      severity: fault.severity,
      onset: fault.onset,
      onset_ms: fault.onsetMs,
      ...(fault.point !== undefined ? { point: fault.point } : {}),
      ...(fault.delayMs !== undefined ? { delay_ms: fault.delayMs } : {}),
      ...(fault.exceptionCode !== undefined ? { exception_code: fault.exceptionCode } : {}),
      source: fault.source,
      state,
      intensity: state === 'active' ? faultIntensity(fault, now) : 0,
      start_ms: fault.startMs,
      end_ms: fault.endMs,
    };
  }
}
