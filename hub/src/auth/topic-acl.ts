import { parseCommandFilter, TOPIC_ROOT, topicOwner } from '@caretaker/protocol';
import type { User } from './users.js';

/**
 * Who may publish where on the embedded broker. A gateway publishes under its own gateway id
 * (any site: the user name is the gateway id); an admin anywhere (commands to gateways included);
 * every other person (viewer, supervisor, technician, reviewer, requester) nowhere: they read.
 */
export function mayPublish(user: User, topic: string): boolean {
  if (user.role === 'admin') return true;
  if (user.role !== 'gateway') return false;
  return topicOwner(topic)?.gateway === user.username;
}

/** MQTT 5 §4.8.2: `$share/<group>/<filter>` subscribes to `<filter>` as one of a group. */
function unshared(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const start = filter.indexOf('/', '$share/'.length);
  return start === -1 ? '' : filter.slice(start + 1);
}

/**
 * Who may subscribe to what. A gateway only to the commands to its own devices (one device or all,
 * topics.gatewayCommands): not to other gateways' telemetry or commands. Any other person, like a
 * viewer, to anything in Caretaker's tree (not the broker's `$SYS` or other applications'
 * topics); an admin to anything.
 */
export function maySubscribe(user: User, filter: string): boolean {
  if (user.role === 'admin') return true;
  const plain = unshared(filter);
  if (user.role !== 'gateway') return plain.startsWith(`${TOPIC_ROOT}/`);
  return parseCommandFilter(plain)?.gateway === user.username;
}
