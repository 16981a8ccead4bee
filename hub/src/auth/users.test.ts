import { describe, expect, it } from 'vitest';
import { hashPassword } from './passwords.js';
import { loadDemoPeople, parseUsersFile } from './users.js';

const HASH = await hashPassword('a long secret');

describe('users file', () => {
  it('takes gateways and people of every role, with their sites, skills and chain', () => {
    const directory = parseUsersFile(
      {
        sites: [{ id: 'site-a', name: 'Site A', timezone: 'Asia/Shanghai' }],
        users: [
          { username: 'gw-1', role: 'gateway', password_hash: HASH },
          { username: 'ada', role: 'admin', password_hash: HASH },
          {
            username: 'sam',
            role: 'supervisor',
            password_hash: HASH,
            display_name: 'Sam',
            sites: ['site-a'],
            reports_to: 'ada',
          },
          {
            username: 'tom',
            role: 'technician',
            password_hash: HASH,
            sites: ['site-a'],
            zone: 'b1',
            reports_to: 'sam',
            skills: ['pumps', { skill: 'elevator', certificate_no: 'T-07', expires_at: '2027-03-31' }],
          },
          { username: 'rita', role: 'reviewer', password_hash: HASH, email: 'rita@example.com' },
          { username: 'rob', role: 'requester', password_hash: HASH, phone: '+86 21 5555 0100' },
          { username: 'vic', role: 'viewer', password_hash: HASH, sites: 'all' },
        ],
      },
      'users.yaml',
    );
    expect(directory.size).toBe(7);
    expect(directory.people.map((p) => `${p.username}:${p.role}`)).toEqual([
      'ada:admin',
      'sam:supervisor',
      'tom:technician',
      'rita:reviewer',
      'rob:requester',
      'vic:viewer',
    ]);
    expect(directory.people.find((p) => p.username === 'tom')).toEqual({
      username: 'tom',
      role: 'technician',
      password_hash: HASH,
      sites: ['site-a'],
      zone: 'b1',
      reports_to: 'sam',
      skills: [
        { skill: 'pumps', certificate_no: null, expires_at: null },
        { skill: 'elevator', certificate_no: 'T-07', expires_at: Date.UTC(2027, 2, 31) },
      ],
    });
    expect(directory.sites).toEqual([{ id: 'site-a', name: 'Site A', timezone: 'Asia/Shanghai' }]);
  });

  it.each([
    [
      { username: 'gw-1', role: 'gateway', password_hash: HASH, sites: ['a'] },
      'users.0.sites: is for people, not gateways',
    ],
    [{ username: 'x', role: 'manager', password_hash: HASH }, 'users.0.role: Invalid option'],
    [{ username: 'x', role: 'viewer', password_hash: 'plain' }, 'users.0.password_hash: must be a hash'],
    [
      { username: 'x', role: 'viewer', password_hash: HASH, reports_to: 'x' },
      'users.0.reports_to: must not be the user itself',
    ],
    [{ username: 'x', role: 'viewer', password_hash: HASH, sites: ['a', 'a'] }, 'users.0.sites'],
    [
      { username: 'x', role: 'technician', password_hash: HASH, skills: ['High Voltage'] },
      'users.0.skills.0',
    ],
    [
      {
        username: 'x',
        role: 'technician',
        password_hash: HASH,
        skills: [{ skill: 'hv', expires_at: 'soon' }],
      },
      'users.0.skills.0',
    ],
    [{ username: 'x', role: 'viewer', password_hash: HASH, email: 'not-an-address' }, 'users.0.email'],
    [
      { username: 'x', role: 'viewer', password_hash: HASH, shoe_size: 44 },
      'users.0: Unrecognized key: "shoe_size"',
    ],
  ])('refuses a bad entry, naming the field (%#)', (user, message) => {
    expect(() => parseUsersFile({ users: [user] }, 'users.yaml')).toThrow(message);
  });

  it('refuses duplicates, a boss that is a gateway, and a bad time zone', () => {
    const file = (users: unknown[], sites?: unknown[]) => () =>
      parseUsersFile({ users, ...(sites ? { sites } : {}) }, 'users.yaml');
    expect(
      file([
        { username: 'a', role: 'viewer', password_hash: HASH },
        { username: 'a', role: 'admin', password_hash: HASH },
      ]),
    ).toThrow('users.yaml: users.1.username: a is listed twice');
    expect(
      file([
        { username: 'gw', role: 'gateway', password_hash: HASH },
        { username: 'a', role: 'viewer', password_hash: HASH, reports_to: 'gw' },
      ]),
    ).toThrow('users.1.reports_to: gw is a gateway');
    expect(
      file([{ username: 'a', role: 'admin', password_hash: HASH }], [{ id: 's', timezone: 'Mars/Olympus' }]),
    ).toThrow('sites.0.timezone: must be an IANA time zone');
  });

  it('ships demo people, one per role, that check with the documented password', async () => {
    const demo = loadDemoPeople();
    expect(new Set(demo.people.map((p) => p.role))).toEqual(
      new Set(['admin', 'supervisor', 'technician', 'reviewer', 'requester', 'viewer']),
    );
    expect(await demo.verify('tom', 'caretaker')).toEqual({ username: 'tom', role: 'technician' });
  });
});
