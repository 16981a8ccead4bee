import type { DeviceSummary } from './api.js';
import type { Reading } from './payloads.js';

/** socket.io events the hub streams to dashboards. Names are `noun.past_verb`. */

export interface ReadingsReceivedEvent {
  device_id: string;
  readings: Reading[];
}

export interface DeviceChangedEvent {
  device: DeviceSummary;
}

export interface ServerToClientEvents {
  /** New telemetry for a device (only the points in the batch). */
  'readings.received': (event: ReadingsReceivedEvent) => void;
  /** A device appeared or its online/offline status changed; carries the whole summary. */
  'device.changed': (event: DeviceChangedEvent) => void;
}

// biome-ignore lint/complexity/noBannedTypes: socket.io's event-map type for "no events"
export type ClientToServerEvents = {};
