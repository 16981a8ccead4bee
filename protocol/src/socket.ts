import type { AlarmAcknowledgement, DeviceSummary } from './api.js';
import type { Reading } from './payloads.js';

/** socket.io events between the hub and dashboards. Names are `noun.past_verb`. */

export interface ReadingsReceivedEvent {
  device_id: string;
  readings: Reading[];
}

/**
 * Live readings, coalesced by the hub: at most one message per flush (10 per second) per
 * subscription, holding each changed device's newest value of each changed point.
 */
export interface ReadingsUpdatedEvent {
  devices: ReadingsReceivedEvent[];
}

export interface DeviceChangedEvent {
  device: DeviceSummary;
}

/** What a dashboard wants to follow; nothing (or `all: true`) means every device. */
export interface LiveSubscription {
  all?: boolean;
  sites?: string[];
  devices?: string[];
}

export type SubscribeAck = { ok: true } | { ok: false; error: string };

export interface ServerToClientEvents {
  'readings.updated': (event: ReadingsUpdatedEvent) => void;
  /** A device appeared or its state changed; carries the whole summary. */
  'device.changed': (event: DeviceChangedEvent) => void;
  /**
   * An alarm was raised, cleared or rose in severity, or a work order was created or changed by
   * a sensor: the board refetches `/api/alarms` and `/api/work-orders` (ids only here).
   */
  'maintenance.changed': (event: MaintenanceChangedEvent) => void;
}

export interface MaintenanceChangedEvent {
  /** `acknowledged`: a person acknowledged the alarm (every screen stops its sound). */
  kind: 'raised' | 'cleared' | 'severity' | 'order' | 'acknowledged';
  site: string;
  device: string | null;
  alarm_id?: number;
  rule_id?: string;
  severity?: string;
  order_id?: number;
  /** kind `acknowledged`: who and when, so a screen can show it before it refetches. */
  acknowledged?: AlarmAcknowledgement;
}

export interface ClientToServerEvents {
  /** Replaces the connection's subscription (rooms per site and per device). */
  subscribe: (subscription: LiveSubscription, ack: (result: SubscribeAck) => void) => void;
}

/** socket.io room names. */
export const liveRooms = {
  all: 'all',
  site: (site: string) => `site:${site}`,
  device: (device: string) => `device:${device}`,
} as const;
