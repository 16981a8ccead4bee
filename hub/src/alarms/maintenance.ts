import { dirname, resolve } from 'node:path';
import type { Logger } from '@caretaker/protocol/log';
import { type DatabaseConfig, type OpenDatabase, openDatabase } from '../db/database.js';
import { DispatchService } from '../dispatch/dispatch.service.js';
import { DispatchRules } from '../dispatch/dispatch-rules.js';
import { ShiftService } from '../dispatch/shift.service.js';
import { PartsService } from '../parts/parts.service.js';
import { liveCounterReader, PreventiveService, readPlansFile } from '../preventive/preventive.service.js';
import { ReportsService } from '../reports/reports.service.js';
import type { LiveStateService } from '../services/live-state.service.js';
import { ServiceLevels } from '../sla/service-levels.js';
import { SlaService } from '../sla/sla.service.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { OrderLifecycle } from '../workorders/order-lifecycle.js';
import { WorkOrderService } from '../workorders/work-order.service.js';
import { loadWorkflow } from '../workorders/workflow.js';
import { AlarmAcknowledgements } from './acknowledgement.service.js';
import { AlarmEngine } from './alarm-engine.js';
import { AssetMap } from './assets.js';
import { loadRules } from './rules.js';

export interface MaintenanceConfig {
  database: DatabaseConfig;
  /** Alarm rules (YAML); the shipped pack when absent. */
  rulesFile?: string;
  /** Sites, buildings and their devices (YAML), for alarm topology. */
  assetsFile?: string;
  /** Preventive objects, templates and plans to create at start (YAML: HUB_PLANS_FILE, the demo's plans). */
  plansFile?: string;
  /** Priorities and time limits per problem type (YAML); hub/config/service-levels.yaml when absent. */
  serviceLevelsFile?: string;
  /** Automatic dispatch rules (YAML); hub/config/dispatch.yaml when absent. */
  dispatchFile?: string;
  /** The work-order transition table (YAML); hub/config/workflow.yaml when absent. */
  workflowFile?: string;
  /** Where attachments and the QR secret are kept (default: beside the SQLite database, or ./data). */
  dataDir?: string;
}

/**
 * The maintenance side of the hub: its database, the alarm engine and the work orders, wired
 * to live state (device and gateway states drive communication-loss alarms).
 */
export class Maintenance {
  /** Preventive plans and inspections (issue 7): orders generated from tick(). */
  preventive!: PreventiveService;
  /** Time limits and escalation, automatic dispatch, shifts (issue 7). */
  sla!: SlaService;
  dispatch!: DispatchService;
  shifts!: ShiftService;
  /** Spare parts, webhooks and the managers' figures (issue 7). */
  parts!: PartsService;
  webhooks!: WebhookService;
  reports!: ReportsService;
  /** People acknowledging alarms (issue 8): told to every screen through the engine's events. */
  acknowledgements!: AlarmAcknowledgements;

  private constructor(
    readonly database: OpenDatabase,
    readonly engine: AlarmEngine,
    readonly orders: WorkOrderService,
    private readonly unsubscribe: () => void,
    /** The people's side of orders: actions, attachments, QR reports (issue 7). */
    readonly lifecycle: OrderLifecycle,
  ) {}

  static async open(
    config: MaintenanceConfig,
    live: LiveStateService,
    log: Logger,
    now: () => number = Date.now,
  ): Promise<Maintenance> {
    // Configuration errors first, before anything is opened.
    const rules = loadRules(config.rulesFile);
    const assets = config.assetsFile ? AssetMap.load(config.assetsFile) : new AssetMap();
    const plans = config.plansFile ? await readPlansFile(config.plansFile) : null;
    const levels = ServiceLevels.load(config.serviceLevelsFile);
    const dispatchRules = DispatchRules.load(config.dispatchFile);
    const workflow = loadWorkflow(config.workflowFile);
    const database = await openDatabase(config.database);
    const orders = new WorkOrderService(database.db, now);
    const preventive = new PreventiveService({
      db: database.db,
      orders,
      now,
      log: log.child({ component: 'preventive' }),
      readCounter: liveCounterReader(live),
    });
    if (plans) {
      const created = await preventive.applyPlans(plans.data, plans.source).catch(async (err: unknown) => {
        await database.close();
        throw err;
      });
      log.info({ ...created, file: config.plansFile }, 'preventive plans file applied');
    }
    const lifecycle = new OrderLifecycle({
      db: database.db,
      orders,
      workflow,
      now,
      dataDir:
        config.dataDir ??
        (config.database.kind === 'sqlite' && config.database.path !== ':memory:'
          ? dirname(config.database.path)
          : resolve('data')),
      deviceSite: (device) => live.siteOf(device) ?? assets.buildingOf(device)?.split('/')[0],
    });
    const parts = new PartsService(database.db, orders, now);
    const webhooks = new WebhookService({
      db: database.db,
      orders,
      now,
      log: log.child({ component: 'webhooks' }),
    });
    webhooks.listen(orders, parts);
    const ruleDeviceTypes = new Map<string, string>(rules.rules.map((r) => [r.id, r.device_type]));
    const reports = new ReportsService({
      db: database.db,
      now,
      deviceType: (device, ruleId) =>
        live.get(device)?.type ?? (ruleId ? ruleDeviceTypes.get(ruleId) : undefined),
      responseEnds: levels.responseEnds,
    });
    // Listening before the alarm engine can raise an order, so every new order gets its limits.
    const sla = new SlaService({
      db: database.db,
      orders,
      levels,
      now,
      log: log.child({ component: 'sla' }),
      lockRows: database.kind === 'postgres',
    });
    const dispatch = new DispatchService({
      db: database.db,
      orders,
      rules: dispatchRules,
      now,
      log: log.child({ component: 'dispatch' }),
      buildingOf: (device) => assets.buildingOf(device)?.split('/')[1],
      // Through the transition table, as the hub's own actor.
      perform: (id, action, actor, body) => lifecycle.workflow.perform(id, action, actor, body),
    });
    await sla.start();
    await dispatch.start();
    const engine = new AlarmEngine({
      db: database.db,
      orders,
      rules,
      assets,
      log,
      now,
      gatewayOnline: (site, gateway) =>
        live.listGateways().find((g) => g.site === site && g.gateway === gateway)?.status !== 'offline',
    });
    await engine.start();
    const acknowledgements = new AlarmAcknowledgements({
      db: database.db,
      now,
      openAlarms: () => engine.listOpen(),
    });
    acknowledgements.onAcknowledged(({ alarm, acknowledged }) =>
      engine.onEvent?.({ type: 'acknowledged', alarm, acknowledged }),
    );
    const onDevice = ({ device }: { device: Parameters<AlarmEngine['onDeviceChanged']>[0] }) =>
      engine.onDeviceChanged(device);
    live.on('device.changed', onDevice);
    log.info(
      { database: database.kind, rules: rules.rules.length, rules_file: config.rulesFile ?? 'default' },
      'maintenance database ready',
    );
    return Object.assign(
      new Maintenance(database, engine, orders, () => live.off('device.changed', onDevice), lifecycle),
      {
        sla,
        dispatch,
        shifts: new ShiftService(database.db),
        preventive,
        parts,
        webhooks,
        reports,
        acknowledgements,
      },
    );
  }

  /** Periodic work, from the hub's 1 s sweeper: cheap when nothing is due. */
  tick(): void {
    this.engine.tick();
    void this.preventive.tick();
    void this.sla.tick();
    void this.webhooks.tick();
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.dispatch.stop();
    await this.sla.stop();
    await this.preventive.stop();
    await this.webhooks.close();
    await this.engine.stop();
    await this.database.close();
  }
}
