import { describe, expect, it } from 'vitest';
import { Browser, signedIn } from '../auth/secured-hub.fixture.js';

/** The people API on a real hub: who may manage and read users and sites, and what is refused. */
describe('people API', () => {
  it('bootstraps the users file: its people, sites and skills are in the database', async () => {
    const { as } = await signedIn('ada');
    const { body } = await as.ada.request('GET', '/api/users');
    const users = body.users as Array<Record<string, unknown>>;
    expect(users.map((u) => u.username)).toEqual(['ada', 'bea', 'sam', 'tom', 'vic']);
    expect(users.find((u) => u.username === 'tom')).toMatchObject({
      role: 'technician',
      sites: ['site-a'],
      zone: 'b1',
      reports_to: 'sam',
      active: true,
      skills: [{ skill: 'elevator', certificate_no: 'T-07', expires_at: null }],
    });
    expect(JSON.stringify(body)).not.toMatch(/password|scrypt/);
    const sites = (await as.ada.request('GET', '/api/sites')).body.sites as Array<{ id: string }>;
    expect(sites.map((s) => s.id)).toEqual(['site-a', 'site-b']);
  });

  it('lets an administrator create, change and disable users; passwords go in, never out', async () => {
    const { running, as } = await signedIn('ada');
    expect(
      (
        await as.ada.request('POST', '/api/sites', {
          id: 'site-c',
          name: 'Site C',
          timezone: 'Asia/Shanghai',
        })
      ).status,
    ).toBe(201);
    const created = await as.ada.request('POST', '/api/users', {
      username: 'newbie',
      role: 'technician',
      display_name: 'New Technician',
      password: 'a fresh password',
      reports_to: 'sam',
      sites: ['site-c'],
      skills: ['pumps', { skill: 'high_voltage', certificate_no: 'HV-1', expires_at: '2028-01-01' }],
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({
      username: 'newbie',
      sites: ['site-c'],
      skills: [
        { skill: 'high_voltage', certificate_no: 'HV-1', expires_at: Date.UTC(2028, 0, 1) },
        { skill: 'pumps', certificate_no: null, expires_at: null },
      ],
    });
    expect(JSON.stringify(created.body)).not.toContain('fresh');
    const newbie = new Browser(running.hub.url);
    expect((await newbie.login('newbie', 'a fresh password')).status).toBe(200);

    const moved = await as.ada.request('PUT', '/api/users/newbie/sites', { sites: ['site-a', 'site-c'] });
    expect(moved.body.user).toMatchObject({ sites: ['site-a', 'site-c'] });
    const skilled = await as.ada.request('PUT', '/api/users/newbie/skills', { skills: ['elevator'] });
    expect((skilled.body.user as { skills: unknown[] }).skills).toEqual([
      { skill: 'elevator', certificate_no: null, expires_at: null },
    ]);
    expect(
      (await as.ada.request('PATCH', '/api/users/newbie', { role: 'supervisor', zone: null })).body.user,
    ).toMatchObject({
      role: 'supervisor',
      zone: null,
    });
    expect((await newbie.request('GET', '/api/auth/me')).body).toMatchObject({
      role: 'supervisor',
      sites: ['site-a', 'site-c'],
    });
    await as.ada.request('PATCH', '/api/users/newbie', { active: false });
    expect((await newbie.request('GET', '/api/auth/me')).status).toBe(401);
  });

  it.each([
    ['POST', '/api/users', { username: 'x', role: 'wizard' }, 400, 'role: Invalid option: expected one of'],
    ['POST', '/api/users', { username: 'x y', role: 'viewer' }, 400, 'username: must be 1-64 characters'],
    [
      'POST',
      '/api/users',
      { username: 'x', role: 'viewer', password: 'short' },
      400,
      'password: must be at least 8 characters',
    ],
    ['POST', '/api/users', { username: 'tom', role: 'viewer' }, 409, 'username: tom exists already'],
    [
      'POST',
      '/api/users',
      { username: 'x', role: 'viewer', reports_to: 'ghost' },
      400,
      'reports_to: no user ghost',
    ],
    ['PUT', '/api/users/tom/sites', { sites: ['nowhere'] }, 400, 'sites.0: no site nowhere'],
    ['PUT', '/api/users/ghost/sites', { sites: [] }, 404, 'username: no user ghost'],
    ['PUT', '/api/users/tom/skills', { skills: [{ skill: 'hv', expires_at: 'someday' }] }, 400, 'skills.0'],
    ['PATCH', '/api/users/tom', {}, 400, 'body: nothing to change'],
    ['PATCH', '/api/users/tom', { password_hash: 'x' }, 400, 'body: Unrecognized key: "password_hash"'],
    ['PATCH', '/api/users/ada', { role: 'viewer' }, 409, 'role: ada is the last active administrator'],
    [
      'POST',
      '/api/sites',
      { id: 'site-x', timezone: 'Moon/Base' },
      400,
      'timezone: must be an IANA time zone',
    ],
    ['POST', '/api/sites', { id: 'site-a' }, 409, 'id: site site-a exists already'],
  ] as const)('%s %s %j answers %i naming the field', async (method, path, body, status, error) => {
    const { as } = await signedIn('ada');
    const answer = await as.ada.request(method, path, body);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toContain(error);
  });

  it('supervisors read the users of their sites; technicians read only themselves; only admins change', async () => {
    const { as } = await signedIn('sam', 'tom');
    const names = (body: Record<string, unknown>) =>
      (body.users as Array<{ username: string }>).map((u) => u.username);
    expect(names((await as.sam.request('GET', '/api/users')).body)).toEqual(['sam', 'tom', 'vic']);
    expect(names((await as.sam.request('GET', '/api/users?role=technician')).body)).toEqual(['tom']);
    expect((await as.sam.request('GET', '/api/users/tom')).status).toBe(200);
    expect((await as.sam.request('GET', '/api/users/bea')).status).toBe(404);
    expect((await as.sam.request('GET', '/api/users?site=site-b')).status).toBe(403);
    expect((await as.tom.request('GET', '/api/users')).status).toBe(403);
    expect((await as.tom.request('GET', '/api/users/tom')).body.user).toMatchObject({ username: 'tom' });
    expect((await as.tom.request('GET', '/api/users/sam')).status).toBe(404);
    for (const [method, path, body] of [
      ['POST', '/api/users', { username: 'x', role: 'viewer' }],
      ['PATCH', '/api/users/tom', { role: 'admin' }],
      ['PUT', '/api/users/tom/sites', { sites: 'all' }],
      ['PUT', '/api/users/tom/skills', { skills: [] }],
      ['POST', '/api/sites', { id: 'site-z' }],
    ] as const) {
      expect(await as.sam.request(method, path, body)).toEqual({
        status: 403,
        body: { error: 'only an administrator may change users and sites' },
      });
    }
  });
});
