import type {
  AlarmSummary,
  AssetsResponse,
  DeviceSummary,
  ReadingsReceivedEvent,
  ReadingsUpdatedEvent,
} from '@caretaker/protocol';
import { compareDevices, mergeDevice, mergeReadings } from './devices.js';
import { SparkHistory, type SparkSeries } from './history.js';
import { keyPoints } from './key-points.js';
import { compareAlarms, type TileState, tileState, worstAlarmByDevice } from './tile-state.js';

/** One device as a tile needs it; replaced (never mutated) when anything about it changes. */
export interface DeviceView {
  summary: DeviceSummary;
  state: TileState;
  /** Its worst open alarm. */
  alarm: AlarmSummary | undefined;
  site: { id: string; name: string };
  building: { id: string; name: string } | undefined;
  /** Its room in the building, if the assets file puts it in one. */
  room: { id: string; name: string } | undefined;
  /** Key points, in the order the tile shows them. */
  keys: readonly string[];
}

export interface BoardLayout {
  sites: Array<{
    id: string;
    name: string;
    buildings: Array<{
      id: string | null;
      name: string | null;
      /** Every device of the building, room by room. */
      devices: string[];
      /** Its rooms in the assets order; `id: null` holds the devices in no room (listed first). */
      rooms: Array<{ id: string | null; name: string | null; devices: string[] }>;
    }>;
  }>;
  counts: Record<TileState, number> & { total: number };
}

/** Bounds on readings kept for devices whose summary has not arrived (a stray device id). */
const MAX_ORPHANS = 5_000;
const MAX_ORPHAN_READINGS = 200;
/** History requests in flight at once when tiles fill their sparklines. */
const MAX_PREFILLS = 4;

/** Loads a point's recent history from the hub's store (the connection sets it). */
export type HistoryLoader = (device: string, point: string, from: number, to: number) => Promise<SparkSeries>;

export type Connection = 'connecting' | 'live' | 'reconnecting';

type Listener = () => void;

/** When to flush queued updates: the next animation frame, or a timer where frames stop (hidden tab). */
export interface FrameScheduler {
  request(flush: () => void): void;
}

export const animationFrames: FrameScheduler = {
  request(flush) {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      flush();
    };
    requestAnimationFrame(once);
    // Background tabs get no frames; a wall screen that is covered still catches up.
    setTimeout(once, 500);
  },
};

/**
 * The board's state outside React: devices by id, alarms, the site/building layout and the
 * sparkline history. Socket messages are queued and applied once per animation frame; each tile
 * subscribes to its own device (useSyncExternalStore), so a frame re-renders only the tiles whose
 * device changed, however many devices there are.
 */
export class LiveStore {
  readonly history = new SparkHistory();
  private readonly views = new Map<string, DeviceView>();
  private readonly deviceListeners = new Map<string, Set<Listener>>();
  private readonly layoutListeners = new Set<Listener>();
  private readonly alarmListeners = new Set<Listener>();
  private readonly connectionListeners = new Set<Listener>();
  private alarmList: AlarmSummary[] = [];
  private worst = new Map<string, AlarmSummary>();
  private assets: AssetsResponse = { sites: [] };
  private placeOf = new Map<
    string,
    {
      site: string;
      building: string;
      buildingName: string | undefined;
      room: string | undefined;
      roomName: string | undefined;
    }
  >();
  private siteNames = new Map<string, string>();
  private layoutSnapshot: BoardLayout | null = null;
  private connectionState: Connection = 'connecting';
  private queuedReadings: ReadingsReceivedEvent[] = [];
  private queuedDevices: DeviceSummary[] = [];
  private flushScheduled = false;
  /**
   * Called after each flush with the number of devices it changed and when the oldest update it
   * applied arrived (the benchmark measures the page's own share of the latency with it).
   */
  onFlush: ((changed: number, queuedSince: number) => void) | null = null;
  private queuedSince = 0;
  private readonly orphans = new Map<string, ReadingsReceivedEvent['readings']>();
  /** Where sparklines get their history after a reload; null: live readings only. */
  historyLoader: HistoryLoader | null = null;
  private readonly prefilled = new Set<string>();
  private readonly prefillQueue: Array<{ device: string; point: string }> = [];
  private prefillsRunning = 0;

  constructor(
    private readonly frames: FrameScheduler = animationFrames,
    private readonly now: () => number = Date.now,
  ) {}

  // ------------------------------------------------------------ reads (stable snapshots)

  device(id: string): DeviceView | undefined {
    return this.views.get(id);
  }

  devices(): DeviceView[] {
    return [...this.views.values()];
  }

  alarms(): readonly AlarmSummary[] {
    return this.alarmList;
  }

  connection(): Connection {
    return this.connectionState;
  }

  layout(): BoardLayout {
    this.layoutSnapshot ??= this.buildLayout();
    return this.layoutSnapshot;
  }

  // ------------------------------------------------------------ subscriptions

  subscribeDevice(id: string, listener: Listener): () => void {
    let set = this.deviceListeners.get(id);
    if (!set) {
      set = new Set();
      this.deviceListeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.deviceListeners.delete(id);
    };
  }

  subscribeLayout = (listener: Listener): (() => void) => subscribe(this.layoutListeners, listener);
  subscribeAlarms = (listener: Listener): (() => void) => subscribe(this.alarmListeners, listener);
  subscribeConnection = (listener: Listener): (() => void) => subscribe(this.connectionListeners, listener);

  // ------------------------------------------------------------ writes

  setConnection(state: Connection): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    notify(this.connectionListeners);
  }

  /** The REST snapshot: merged by timestamp with whatever arrived live meanwhile. */
  loadDevices(list: readonly DeviceSummary[]): void {
    this.queuedDevices.push(...list);
    this.flush();
  }

  /** socket.io `device.changed`. */
  deviceChanged(device: DeviceSummary): void {
    this.queuedDevices.push(device);
    this.schedule();
  }

  /** socket.io `readings.updated`. */
  readingsUpdated(event: ReadingsUpdatedEvent): void {
    for (const update of event.devices) this.queuedReadings.push(update);
    this.schedule();
  }

  setAlarms(alarms: readonly AlarmSummary[]): void {
    this.alarmList = [...alarms].sort(compareAlarms);
    const previous = this.worst;
    this.worst = worstAlarmByDevice(this.alarmList);
    const touched = new Set<string>([...previous.keys(), ...this.worst.keys()]);
    const changed: string[] = [];
    for (const id of touched) {
      const view = this.views.get(id);
      if (!view || sameAlarm(previous.get(id), this.worst.get(id))) continue;
      if (this.replace(view.summary)) changed.push(id);
    }
    if (changed.length > 0) this.layoutSnapshot = null;
    this.notifyDevices(changed);
    notify(this.alarmListeners);
    if (changed.length > 0) notify(this.layoutListeners);
  }

  /** One alarm as the hub answered a change to it (an acknowledgement): shown at once. */
  updateAlarm(alarm: AlarmSummary): void {
    if (!this.alarmList.some((a) => a.id === alarm.id)) return;
    this.setAlarms(this.alarmList.map((a) => (a.id === alarm.id ? alarm : a)));
  }

  /**
   * A tile's sparklines start with the last minutes from the store, not empty after a reload:
   * asked for when the tile first shows, once per point, a few requests at a time.
   */
  prefillHistory(device: string, points: readonly string[]): void {
    if (!this.historyLoader) return;
    for (const point of points) {
      const key = `${device}\u0000${point}`;
      if (this.prefilled.has(key)) continue;
      this.prefilled.add(key);
      this.prefillQueue.push({ device, point });
    }
    this.runPrefills();
  }

  private runPrefills(): void {
    const loader = this.historyLoader;
    while (loader && this.prefillsRunning < MAX_PREFILLS) {
      const next = this.prefillQueue.shift();
      if (!next) return;
      this.prefillsRunning += 1;
      const to = this.now();
      loader(next.device, next.point, to - this.history.windowMs, to)
        .then(
          (series) => {
            this.history.merge(next.device, next.point, series);
            const view = this.views.get(next.device);
            if (!view) return;
            // A new snapshot object: the tile draws its sparkline again (its header is unchanged).
            this.views.set(next.device, { ...view });
            this.notifyDevices([next.device]);
          },
          // No history (an older hub, a store outage): the line fills from live readings.
          () => undefined,
        )
        .finally(() => {
          this.prefillsRunning -= 1;
          this.runPrefills();
        });
    }
  }

  setAssets(assets: AssetsResponse): void {
    this.assets = assets;
    this.placeOf = new Map();
    this.siteNames = new Map();
    for (const site of assets.sites) {
      this.siteNames.set(site.id, site.name ?? site.id);
      for (const building of site.buildings) {
        const place = { site: site.id, building: building.id, buildingName: building.name };
        for (const device of building.devices) {
          this.placeOf.set(device, { ...place, room: undefined, roomName: undefined });
        }
        // An older hub sends no rooms.
        for (const room of building.rooms ?? []) {
          for (const device of room.devices) {
            this.placeOf.set(device, { ...place, room: room.id, roomName: room.name ?? room.id });
          }
        }
      }
    }
    const changed = [...this.views.values()]
      .filter((view) => this.replace(view.summary))
      .map((v) => v.summary.id);
    this.layoutSnapshot = null;
    this.notifyDevices(changed);
    notify(this.layoutListeners);
  }

  /** Applies everything queued since the last frame and tells the tiles that changed. */
  flush(): void {
    this.flushScheduled = false;
    const changed = new Set<string>();
    let layoutChanged = false;
    const devices = this.queuedDevices;
    const readings = this.queuedReadings;
    this.queuedDevices = [];
    this.queuedReadings = [];
    const receivedAt = this.now();
    for (const incoming of devices) {
      const current = this.views.get(incoming.id);
      if (!current || current.summary.site !== incoming.site) layoutChanged = true;
      let merged = mergeDevice(current?.summary, incoming);
      const early = this.orphans.get(incoming.id);
      if (early) {
        // Readings that came before the device's summary (a lift reports a point only when it changes).
        merged = mergeReadings(merged, early, merged.last_seen ?? receivedAt);
        this.orphans.delete(incoming.id);
      }
      const before = current?.state;
      if (this.replace(merged)) changed.add(incoming.id);
      const view = this.views.get(incoming.id);
      if (before !== view?.state) layoutChanged = true;
      for (const point of view?.keys ?? []) {
        const latest = merged.latest[point];
        if (typeof latest?.value === 'number') this.history.add(merged.id, point, latest.ts, latest.value);
      }
    }
    for (const update of readings) {
      const current = this.views.get(update.device_id);
      // A device the board does not know yet: its readings wait for its summary (device.changed or REST).
      if (!current) {
        const early = this.orphans.get(update.device_id) ?? [];
        if (this.orphans.size < MAX_ORPHANS || early.length > 0) {
          this.orphans.set(update.device_id, [...early, ...update.readings].slice(-MAX_ORPHAN_READINGS));
        }
        continue;
      }
      const merged = mergeReadings(current.summary, update.readings, receivedAt);
      if (merged === current.summary) continue;
      for (const r of update.readings) {
        if (typeof r.value === 'number' && current.keys.includes(r.point)) {
          this.history.add(update.device_id, r.point, r.ts, r.value);
        }
      }
      if (this.replace(merged)) changed.add(update.device_id);
    }
    if (layoutChanged) this.layoutSnapshot = null;
    this.notifyDevices(changed);
    if (layoutChanged) notify(this.layoutListeners);
    this.onFlush?.(changed.size, this.queuedSince);
  }

  private notifyDevices(ids: Iterable<string>): void {
    for (const id of ids) {
      const listeners = this.deviceListeners.get(id);
      if (listeners) notify(listeners);
    }
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.queuedSince = this.now();
    this.frames.request(() => {
      if (this.flushScheduled) this.flush();
    });
  }

  /** Rebuilds a device's view; false when nothing a tile shows changed. */
  private replace(summary: DeviceSummary): boolean {
    const current = this.views.get(summary.id);
    const alarm = this.worst.get(summary.id);
    const place = this.placeOf.get(summary.id);
    const siteId = place?.site ?? summary.site;
    const siteName = this.siteNames.get(siteId) ?? siteId;
    const buildingName = place?.buildingName ?? place?.building ?? '';
    const roomName = place?.roomName ?? place?.room ?? '';
    const keys =
      current && current.summary.type === summary.type && sameKeys(current.summary, summary)
        ? current.keys
        : keyPoints(summary);
    const view: DeviceView = {
      summary,
      state: tileState(summary, alarm),
      alarm,
      site: sameSite(current?.site, siteId, siteName)
        ? (current?.site ?? { id: siteId, name: siteName })
        : { id: siteId, name: siteName },
      building: !place
        ? undefined
        : current?.building?.id === place.building && current.building.name === buildingName
          ? current.building
          : { id: place.building, name: buildingName },
      room:
        place?.room === undefined
          ? undefined
          : current?.room?.id === place.room && current.room.name === roomName
            ? current.room
            : { id: place.room, name: roomName },
      keys,
    };
    if (
      current &&
      current.summary === summary &&
      current.state === view.state &&
      sameAlarm(current.alarm, alarm) &&
      current.building?.id === view.building?.id &&
      current.room === view.room &&
      current.site.name === view.site.name
    ) {
      return false;
    }
    // A refetched alarm list brings new objects: keep the old one where nothing a tile shows changed.
    if (current && sameAlarm(current.alarm, alarm)) view.alarm = current.alarm;
    this.views.set(summary.id, view);
    return true;
  }

  private buildLayout(): BoardLayout {
    const counts: BoardLayout['counts'] = { total: 0, alarm: 0, warning: 0, offline: 0, stale: 0, normal: 0 };
    const sites = new Map<string, { name: string; buildings: Map<string | null, DeviceView[]> }>();
    for (const view of this.views.values()) {
      counts.total += 1;
      counts[view.state] += 1;
      let site = sites.get(view.site.id);
      if (!site) {
        site = { name: view.site.name, buildings: new Map() };
        sites.set(view.site.id, site);
      }
      const key = view.building?.id ?? null;
      let list = site.buildings.get(key);
      if (!list) {
        list = [];
        site.buildings.set(key, list);
      }
      list.push(view);
    }
    // Sites and buildings in the assets file's order; devices nobody placed come last.
    const siteOrder = this.assets.sites.map((s) => s.id);
    const buildingOrder = new Map(this.assets.sites.map((s) => [s.id, s.buildings.map((b) => b.id)]));
    const roomOrder = new Map(
      this.assets.sites.flatMap((s) =>
        s.buildings.map((b) => [`${s.id}/${b.id}`, (b.rooms ?? []).map((r) => r.id)]),
      ),
    );
    const rank = (order: readonly (string | null)[], id: string | null) => {
      const i = id === null ? -1 : order.indexOf(id);
      return i === -1 ? Number.MAX_SAFE_INTEGER : i;
    };
    return {
      counts,
      sites: [...sites.entries()]
        .sort(([a], [b]) => rank(siteOrder, a) - rank(siteOrder, b) || a.localeCompare(b))
        .map(([id, site]) => ({
          id,
          name: site.name,
          buildings: [...site.buildings.entries()]
            .sort(
              ([a], [b]) =>
                rank(buildingOrder.get(id) ?? [], a) - rank(buildingOrder.get(id) ?? [], b) ||
                (a ?? '').localeCompare(b ?? ''),
            )
            .map(([buildingId, views]) => {
              const rooms = groupByRoom(views, roomOrder.get(`${id}/${buildingId}`) ?? [], rank);
              return {
                id: buildingId,
                name: views[0]?.building?.name ?? null,
                devices: rooms.flatMap((r) => r.devices),
                rooms,
              };
            }),
        })),
    };
  }
}

/** A building's devices by room: those in no room first, then the rooms in the assets order. */
function groupByRoom(
  views: DeviceView[],
  order: readonly string[],
  rank: (order: readonly (string | null)[], id: string | null) => number,
): BoardLayout['sites'][number]['buildings'][number]['rooms'] {
  const rooms = new Map<string | null, DeviceView[]>();
  for (const view of views) {
    const key = view.room?.id ?? null;
    const list = rooms.get(key);
    if (list) list.push(view);
    else rooms.set(key, [view]);
  }
  return [...rooms.entries()]
    .sort(([a], [b]) =>
      a === null ? -1 : b === null ? 1 : rank(order, a) - rank(order, b) || a.localeCompare(b),
    )
    .map(([roomId, list]) => ({
      id: roomId,
      name: list[0]?.room?.name ?? null,
      devices: list.sort((a, b) => compareDevices(a.summary, b.summary)).map((v) => v.summary.id),
    }));
}

function subscribe(set: Set<Listener>, listener: Listener): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

function notify(listeners: Iterable<Listener>): void {
  for (const listener of [...listeners]) listener();
}

function sameKeys(a: DeviceSummary, b: DeviceSummary): boolean {
  if (a.latest === b.latest) return true;
  const ka = Object.keys(a.latest);
  return ka.length === Object.keys(b.latest).length && ka.every((k) => k in b.latest);
}

function sameAlarm(a: AlarmSummary | undefined, b: AlarmSummary | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.id === b.id &&
    a.state === b.state &&
    a.severity === b.severity &&
    a.raised_at === b.raised_at &&
    a.title === b.title
  );
}

function sameSite(site: { id: string; name: string } | undefined, id: string, name: string): boolean {
  return site !== undefined && site.id === id && site.name === name;
}
