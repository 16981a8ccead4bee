import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { type Actor, actorOf } from '../people/actor.js';
import {
  displayNameSchema,
  emailSchema,
  passwordSchema,
  personRoleSchema,
  phoneSchema,
  siteInputSchema,
  skillListSchema,
  usernameSchema,
  userSitesSchema,
} from '../people/people.input.js';
import { PeopleError, type PeopleService } from '../people/people.service.js';
import { may } from '../people/permissions.js';
import { firstIssue, sendError } from './errors.js';

/**
 * People and sites over HTTP. Administrators manage them; supervisors read the users of their
 * sites; everyone reads themselves and the sites they work at. Passwords go in, never out.
 */
const zone = z.string().trim().min(1).max(64);

export const newUserBody = z
  .object({
    username: usernameSchema,
    role: personRoleSchema,
    display_name: displayNameSchema.optional(),
    password: passwordSchema.optional(),
    email: emailSchema.nullable().optional(),
    phone: phoneSchema.nullable().optional(),
    reports_to: usernameSchema.nullable().optional(),
    zone: zone.nullable().optional(),
    sites: userSitesSchema.optional(),
    skills: skillListSchema.optional(),
  })
  .strict();

export const patchUserBody = z
  .object({
    display_name: displayNameSchema.optional(),
    role: personRoleSchema.optional(),
    password: passwordSchema.optional(),
    email: emailSchema.nullable().optional(),
    phone: phoneSchema.nullable().optional(),
    reports_to: usernameSchema.nullable().optional(),
    zone: zone.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');

export const sitesBody = z.object({ sites: userSitesSchema }).strict();
export const skillsBody = z.object({ skills: skillListSchema }).strict();

export const userListQuery = z.object({
  role: personRoleSchema.optional(),
  site: z.string().min(1).max(64).optional(),
  active: z.enum(['true', 'false']).optional(),
});

export interface PeopleRoutesDeps {
  people: PeopleService;
}

export function peopleRoutes({ people }: PeopleRoutesDeps): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));

  const admin = (req: Request, res: Response): Actor | null => {
    const actor = actorOf(req) as Actor;
    if (!may(actor, 'users.manage')) {
      sendError(res, 403, 'only an administrator may change users and sites');
      return null;
    }
    return actor;
  };

  /** Runs a change; a refused one answers with its status and the field it names. */
  const attempt = async (res: Response, change: () => Promise<unknown>, status = 200) => {
    try {
      res.status(status).json(await change());
    } catch (err) {
      if (err instanceof PeopleError) return sendError(res, err.status, err.message);
      throw err;
    }
  };

  router.get('/users', async (req, res) => {
    const actor = actorOf(req) as Actor;
    if (!may(actor, 'users.read')) return sendError(res, 403, 'your role may not read users');
    const query = userListQuery.safeParse(req.query);
    if (!query.success) return sendError(res, 400, firstIssue(query.error));
    const { role, site, active } = query.data;
    const users = await people.list({
      ...(actor.role === 'admin' ? {} : { visibleTo: actor }),
      ...(role ? { role } : {}),
      ...(site ? { site } : {}),
      ...(active ? { active: active === 'true' } : {}),
    });
    res.json({ users });
  });

  router.get('/users/:username', async (req: Request<{ username: string }>, res) => {
    const actor = actorOf(req) as Actor;
    const { username } = req.params;
    const [user] =
      username === actor.username || actor.role === 'admin'
        ? [await people.get(username)]
        : may(actor, 'users.read')
          ? await people.list({ visibleTo: actor, username })
          : [];
    if (!user) return sendError(res, 404, `username: no user ${username}`);
    res.json({ user });
  });

  router.post('/users', async (req, res) => {
    if (!admin(req, res)) return;
    const body = newUserBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    await attempt(res, async () => ({ user: await people.create(body.data) }), 201);
  });

  router.patch('/users/:username', async (req: Request<{ username: string }>, res) => {
    if (!admin(req, res)) return;
    const body = patchUserBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    await attempt(res, async () => ({ user: await people.update(req.params.username, body.data) }));
  });

  router.put('/users/:username/sites', async (req: Request<{ username: string }>, res) => {
    if (!admin(req, res)) return;
    const body = sitesBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    await attempt(res, async () => ({ user: await people.setSites(req.params.username, body.data.sites) }));
  });

  router.put('/users/:username/skills', async (req: Request<{ username: string }>, res) => {
    if (!admin(req, res)) return;
    const body = skillsBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    await attempt(res, async () => ({ user: await people.setSkills(req.params.username, body.data.skills) }));
  });

  router.get('/sites', async (req, res) => {
    res.json({ sites: await people.listSites(actorOf(req) as Actor) });
  });

  router.post('/sites', async (req, res) => {
    if (!admin(req, res)) return;
    const body = siteInputSchema.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    await attempt(res, async () => ({ site: await people.createSite(body.data) }), 201);
  });

  return router;
}
