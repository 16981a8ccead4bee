import { isValidId } from './ids.js';

/**
 * The MQTT topic tree. Every topic Caretaker publishes or subscribes to is built and parsed
 * here and nowhere else.
 *
 *   caretaker/v1/<site>/<gateway>/status                      retained, gateway online/offline (LWT)
 *   caretaker/v1/<site>/<gateway>/device/<device>/telemetry   one batch per device per poll, QoS 1
 *   caretaker/v1/<site>/<gateway>/device/<device>/status      retained, device online/offline
 *   caretaker/v1/<site>/<gateway>/stats                       gateway health, periodic, QoS 0
 *   caretaker/v1/<site>/<gateway>/device/<device>/command     write request to the gateway, QoS 1
 *   caretaker/v1/<site>/<gateway>/device/<device>/response    the gateway's answer to a command
 */
export const TOPIC_ROOT = 'caretaker/v1';

export type TopicRef =
  | { kind: 'gateway_status'; site: string; gateway: string }
  | { kind: 'telemetry'; site: string; gateway: string; device: string }
  | { kind: 'device_status'; site: string; gateway: string; device: string }
  | { kind: 'gateway_stats'; site: string; gateway: string }
  | { kind: 'command'; site: string; gateway: string; device: string }
  | { kind: 'command_response'; site: string; gateway: string; device: string };

function assertIds(ids: Record<string, string>): void {
  for (const [name, value] of Object.entries(ids)) {
    if (!isValidId(value)) {
      throw new Error(`invalid ${name} id for an MQTT topic: ${JSON.stringify(value)}`);
    }
  }
}

export const topics = {
  gatewayStatus(site: string, gateway: string): string {
    assertIds({ site, gateway });
    return `${TOPIC_ROOT}/${site}/${gateway}/status`;
  },
  telemetry(site: string, gateway: string, device: string): string {
    assertIds({ site, gateway, device });
    return `${TOPIC_ROOT}/${site}/${gateway}/device/${device}/telemetry`;
  },
  deviceStatus(site: string, gateway: string, device: string): string {
    assertIds({ site, gateway, device });
    return `${TOPIC_ROOT}/${site}/${gateway}/device/${device}/status`;
  },
  gatewayStats(site: string, gateway: string): string {
    assertIds({ site, gateway });
    return `${TOPIC_ROOT}/${site}/${gateway}/stats`;
  },
  command(site: string, gateway: string, device: string): string {
    assertIds({ site, gateway, device });
    return `${TOPIC_ROOT}/${site}/${gateway}/device/${device}/command`;
  },
  commandResponse(site: string, gateway: string, device: string): string {
    assertIds({ site, gateway, device });
    return `${TOPIC_ROOT}/${site}/${gateway}/device/${device}/response`;
  },
  /** Subscription filter for the commands to every device of one gateway. */
  gatewayCommands(site: string, gateway: string): string {
    assertIds({ site, gateway });
    return `${TOPIC_ROOT}/${site}/${gateway}/device/+/command`;
  },
  /** Subscription filter for everything Caretaker gateways publish. */
  all(): string {
    return `${TOPIC_ROOT}/#`;
  },
  /** Subscription filter for all telemetry of one site (or every site with `+`). */
  siteTelemetry(site = '+'): string {
    return `${TOPIC_ROOT}/${site}/+/device/+/telemetry`;
  },
} as const;

/** Parses a topic into its reference, or returns null for anything outside the tree. */
export function parseTopic(topic: string): TopicRef | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const site = parts[2] ?? '';
  const gateway = parts[3] ?? '';
  if (!isValidId(site) || !isValidId(gateway)) return null;
  if (parts.length === 5 && parts[4] === 'status') {
    return { kind: 'gateway_status', site, gateway };
  }
  if (parts.length === 5 && parts[4] === 'stats') {
    return { kind: 'gateway_stats', site, gateway };
  }
  if (parts.length === 7 && parts[4] === 'device') {
    const device = parts[5] ?? '';
    if (!isValidId(device)) return null;
    if (parts[6] === 'telemetry') return { kind: 'telemetry', site, gateway, device };
    if (parts[6] === 'status') return { kind: 'device_status', site, gateway, device };
    if (parts[6] === 'command') return { kind: 'command', site, gateway, device };
    if (parts[6] === 'response') return { kind: 'command_response', site, gateway, device };
  }
  return null;
}

/**
 * The site and gateway a topic (or a subscription filter) is under, when it names both without
 * wildcards: what a gateway's credentials are checked against.
 */
export function topicOwner(topic: string): { site: string; gateway: string } | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const site = parts[2] ?? '';
  const gateway = parts[3] ?? '';
  return isValidId(site) && isValidId(gateway) ? { site, gateway } : null;
}

/**
 * A subscription filter for the commands to one gateway's devices: one device's command topic, or
 * `+` for all of them (topics.gatewayCommands). Null for any other filter.
 */
export function parseCommandFilter(
  filter: string,
): { site: string; gateway: string; device: string | '+' } | null {
  const owner = topicOwner(filter);
  const parts = filter.split('/');
  const device = parts[5] ?? '';
  if (!owner || parts.length !== 7 || parts[4] !== 'device' || parts[6] !== 'command') return null;
  if (device !== '+' && !isValidId(device)) return null;
  return { ...owner, device };
}
