import { parse as parseCookies } from 'cookie';
import express from 'express';
import { parseBasicAuth } from '../http/basic-auth.js';
import { sendError } from '../http/errors.js';
import { type Actor, canSeeSite, DEMO_ACTOR, setActor } from '../people/actor.js';
import type { PeopleService } from '../people/people.service.js';
import type { SessionService } from './session.service.js';
import { SignInThrottle, TOO_MANY_ATTEMPTS } from './sign-in-throttle.js';

export const SESSION_COOKIE = 'caretaker_session';
/** One answer for every failed password check: it does not tell which part was wrong. */
export const WRONG_CREDENTIALS = 'wrong user name or password';

/** What a request or a socket.io handshake presents. */
export interface Credentials {
  authorization?: string | undefined;
  cookie?: string | undefined;
  /** socket.io's `auth: { token }` (browsers cannot set headers on a WebSocket). */
  token?: string | undefined;
  ip?: string | undefined;
}

export type Resolution =
  | { kind: 'actor'; actor: Actor; via: 'session' | 'token' | 'basic' }
  /** Nothing presented, or a session cookie that has ended (`stale`). */
  | { kind: 'none'; stale: boolean }
  | { kind: 'refused'; status: 401 | 429; error: string };

export interface AuthenticatorOptions {
  people: PeopleService;
  sessions: SessionService;
  /** Demo mode: a request without credentials is the anonymous administrator (DEMO_ACTOR). */
  demo: boolean;
  /** Mark the session cookie Secure (the hub serves HTTPS). */
  secureCookies: boolean;
  throttle?: SignInThrottle;
}

/**
 * Who is asking, for every API request and every socket.io connection: an integration token
 * (`Authorization: Bearer ct_…`), HTTP Basic (scripts, older integrations) or the dashboard's
 * session cookie, in that order. Outside the demo mode a request without any is refused;
 * presented credentials that do not hold are refused in every mode (never quietly demoted to
 * the demo's administrator).
 */
export class Authenticator {
  readonly throttle: SignInThrottle;

  constructor(private readonly options: AuthenticatorOptions) {
    this.throttle = options.throttle ?? new SignInThrottle();
  }

  get people(): PeopleService {
    return this.options.people;
  }

  get sessions(): SessionService {
    return this.options.sessions;
  }

  async resolve(credentials: Credentials): Promise<Resolution> {
    const { authorization } = credentials;
    const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? credentials.token;
    if (bearer !== undefined) {
      const actor = await this.options.sessions.tokenActor(bearer);
      return actor
        ? { kind: 'actor', actor, via: 'token' }
        : { kind: 'refused', status: 401, error: 'invalid, expired or revoked token' };
    }
    if (authorization !== undefined) {
      const creds = parseBasicAuth(authorization);
      if (!creds) return { kind: 'refused', status: 401, error: 'authorization: use Bearer or Basic' };
      return this.checkPassword(creds.username, creds.password, credentials.ip);
    }
    const session = credentials.cookie ? parseCookies(credentials.cookie)[SESSION_COOKIE] : undefined;
    if (session) {
      const actor = await this.options.sessions.sessionActor(session);
      return actor ? { kind: 'actor', actor, via: 'session' } : { kind: 'none', stale: true };
    }
    return { kind: 'none', stale: false };
  }

  /** A password check with the failure limits (login, HTTP Basic, socket.io). */
  async checkPassword(username: string, password: string, ip: string | undefined): Promise<Resolution> {
    if (await this.throttle.blocked(ip, username))
      return { kind: 'refused', status: 429, error: TOO_MANY_ATTEMPTS };
    const actor = await this.options.people.verifyPassword(username, password);
    if (actor) return { kind: 'actor', actor, via: 'basic' };
    await this.throttle.failed(ip, username);
    return { kind: 'refused', status: 401, error: WRONG_CREDENTIALS };
  }

  /** The actor for a resolution, or null when it must be refused. */
  actorFor(resolution: Resolution): Actor | null {
    if (resolution.kind === 'actor') return resolution.actor;
    if (resolution.kind === 'none' && this.options.demo) return DEMO_ACTOR;
    return null;
  }

  setSessionCookie(req: express.Request, res: express.Response, token: string, expiresAt: number): void {
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.options.secureCookies || req.secure,
      path: '/',
      expires: new Date(expiresAt),
    });
  }

  clearSessionCookie(req: express.Request, res: express.Response): void {
    res.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.options.secureCookies || req.secure,
      path: '/',
    });
  }

  /**
   * The HTTP middleware: `publicRoutes` first (sign-in), then every /api request gets its actor
   * or is refused. Pages and assets of the dashboard stay open: they hold no data, and the
   * sign-in page must load. A `site` query parameter outside the actor's sites is refused here
   * for every route; lists without one are scoped by the routes (scopeToSites).
   */
  middleware(publicRoutes: express.Router[] = []): express.Router {
    const router = express.Router();
    for (const routes of publicRoutes) router.use(routes);
    router.use('/api', async (req, res, next) => {
      const resolution = await this.resolve({
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
        ip: req.ip,
      });
      const actor = this.actorFor(resolution);
      if (!actor) {
        if (resolution.kind === 'refused') return sendError(res, resolution.status, resolution.error);
        const stale = resolution.kind === 'none' && resolution.stale;
        if (stale) this.clearSessionCookie(req, res);
        // Scripts get the Basic challenge; the dashboard (X-Requested-With) shows its own sign-in form.
        if (!req.headers['x-requested-with'])
          res.setHeader('WWW-Authenticate', 'Basic realm="Caretaker", charset="UTF-8"');
        return sendError(
          res,
          401,
          stale ? 'your session has ended: sign in again' : 'authentication required',
        );
      }
      const site = req.query.site;
      if (typeof site === 'string' && !canSeeSite(actor, site)) {
        return sendError(res, 403, `site: ${site} is not one of your sites`);
      }
      setActor(req, actor);
      next();
    });
    return router;
  }

  close(): void {
    this.throttle.close();
  }
}
