import { parse as parseCookies } from 'cookie';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { type Authenticator, SESSION_COOKIE, WRONG_CREDENTIALS } from '../auth/authenticator.js';
import { MAX_TOKEN_DAYS } from '../auth/session.service.js';
import { type Actor, actorOf } from '../people/actor.js';
import { permissionsOf } from '../people/permissions.js';
import { firstIssue, sendError } from './errors.js';

/**
 * Signing in and out (public: before authentication), who am I, and integration tokens.
 * Thin: the Authenticator, PeopleService and SessionService hold the rules.
 */
export const loginBody = z
  .object({
    username: z.string().min(1, 'is required').max(64),
    password: z.string().min(1, 'is required').max(1024),
  })
  .strict();

export const tokenBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(100),
    expires_in_days: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
  })
  .strict();

async function me(auth: Authenticator, actor: Actor) {
  const user = await auth.people.get(actor.username);
  return {
    username: actor.username,
    display_name: user?.display_name ?? actor.username,
    role: actor.role,
    sites: actor.sites,
    permissions: permissionsOf(actor.role),
  };
}

/** POST /api/auth/login and /api/auth/logout: mounted before authentication. */
export function signInRoutes(auth: Authenticator): express.Router {
  const router = express.Router();

  router.post(
    '/api/auth/login',
    express.json({ limit: '8kb' }),
    ...auth.throttle.loginLimiters,
    async (req: Request, res: Response) => {
      const body = loginBody.safeParse(req.body);
      if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
      // The login limiters in front count this attempt, and forget it if it succeeds.
      const actor = await auth.people.verifyPassword(body.data.username, body.data.password);
      if (!actor) return sendError(res, 401, WRONG_CREDENTIALS);
      const session = await auth.sessions.createSession(actor.username);
      auth.setSessionCookie(req, res, session.token, session.expires_at);
      res.json({ ...(await me(auth, actor)), expires_at: session.expires_at });
    },
  );

  router.post('/api/auth/logout', async (req, res) => {
    const token = req.headers.cookie ? parseCookies(req.headers.cookie)[SESSION_COOKIE] : undefined;
    if (token) await auth.sessions.endSession(token);
    auth.clearSessionCookie(req, res);
    res.status(204).end();
  });

  return router;
}

/** GET /api/auth/me and the integration tokens (under /api, after authentication). */
export function accountRoutes(auth: Authenticator): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '8kb' }));

  router.get('/auth/me', async (req, res) => {
    res.json(await me(auth, actorOf(req) as Actor));
  });

  /** Tokens belong to people in the database (not to the demo's anonymous administrator). */
  const person = async (req: Request, res: Response) => {
    const actor = actorOf(req) as Actor;
    if (!(await auth.people.get(actor.username))) {
      sendError(res, 403, 'sign in as a user to manage tokens');
      return null;
    }
    return actor;
  };

  router.post('/tokens', async (req, res) => {
    const actor = await person(req, res);
    if (!actor) return;
    const body = tokenBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, firstIssue(body.error, 'body'));
    const { token, ...apiToken } = await auth.sessions.createToken(
      actor.username,
      body.data.name,
      body.data.expires_in_days,
    );
    // The only time the token is shown: only its hash is kept.
    res.status(201).json({ token, api_token: apiToken });
  });

  router.get('/tokens', async (req, res) => {
    const actor = await person(req, res);
    if (!actor) return;
    // Administrators see everyone's (to revoke a leaked one); everyone else their own.
    const all = actor.role === 'admin' && req.query.all === 'true';
    res.json({ api_tokens: await auth.sessions.listTokens(all ? undefined : actor.username) });
  });

  router.delete('/tokens/:id', async (req: Request<{ id: string }>, res) => {
    const actor = await person(req, res);
    if (!actor) return;
    const id = Number(req.params.id);
    const token = Number.isInteger(id) ? await auth.sessions.getToken(id) : undefined;
    // Someone else's token is "not found" to anyone but an administrator.
    if (!token || (token.username !== actor.username && actor.role !== 'admin')) {
      return sendError(res, 404, `id: no token ${req.params.id}`);
    }
    await auth.sessions.revokeToken(id);
    res.status(204).end();
  });

  return router;
}
