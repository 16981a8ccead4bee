import { topics } from '@caretaker/protocol';
import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe } from './topic-acl.js';
import type { Role } from './users.js';

const user = (role: Role, username = 'someone') => ({ username, role });

describe('embedded broker ACL for every role', () => {
  const telemetry = topics.telemetry('site-a', 'gw-1', 'pump-1');
  const command = topics.command('site-a', 'gw-1', 'pump-1');

  it.each(['supervisor', 'technician', 'reviewer', 'requester', 'viewer'] as const)(
    'a %s reads Caretaker topics like a viewer and publishes nothing',
    (role) => {
      expect(maySubscribe(user(role), topics.all())).toBe(true);
      expect(maySubscribe(user(role), '$share/g/caretaker/v1/#')).toBe(true);
      expect(maySubscribe(user(role), '$SYS/#')).toBe(false);
      expect(maySubscribe(user(role), '#')).toBe(false);
      expect(mayPublish(user(role), telemetry)).toBe(false);
      expect(mayPublish(user(role), command)).toBe(false);
    },
  );

  it('an admin may do anything; a gateway only under its own id', () => {
    expect(mayPublish(user('admin'), command)).toBe(true);
    expect(maySubscribe(user('admin'), '$SYS/#')).toBe(true);
    expect(mayPublish(user('gateway', 'gw-1'), telemetry)).toBe(true);
    expect(mayPublish(user('gateway', 'gw-2'), telemetry)).toBe(false);
    expect(maySubscribe(user('gateway', 'gw-1'), topics.gatewayCommands('site-a', 'gw-1'))).toBe(true);
    expect(maySubscribe(user('gateway', 'gw-1'), topics.all())).toBe(false);
  });
});
