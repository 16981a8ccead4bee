import type express from 'express';
import { ipKeyGenerator, MemoryStore, type RateLimitRequestHandler, rateLimit } from 'express-rate-limit';
import { sendError } from '../http/errors.js';

/**
 * Failed sign-ins are limited per client address and per user name (express-rate-limit's
 * memory store): guessing passwords for one account from many addresses, or for many accounts
 * from one, both run into a wall. Only failures count. The login route uses the limiters as
 * middleware; password checks elsewhere (HTTP Basic, socket.io) use the same counters through
 * `blocked` and `failed`, so switching the way of signing in gains an attacker nothing.
 */
export interface SignInLimits {
  windowMs: number;
  /** Failed attempts per client address (IPv6: per /56) in a window. */
  perAddress: number;
  /** Failed attempts per user name in a window. */
  perUser: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { windowMs: 15 * 60_000, perAddress: 50, perUser: 10 };
export const TOO_MANY_ATTEMPTS = 'too many failed sign-ins; try again later';

const userKey = (username: string) => `user:${username.toLowerCase()}`;
const addressKey = (ip: string | undefined) => `ip:${ipKeyGenerator(ip ?? 'unknown')}`;

export class SignInThrottle {
  private readonly addressStore = new MemoryStore();
  private readonly userStore = new MemoryStore();
  /** For POST /api/auth/login (after the JSON body parser). */
  readonly loginLimiters: RateLimitRequestHandler[];

  constructor(readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {
    const common = {
      windowMs: limits.windowMs,
      skipSuccessfulRequests: true,
      standardHeaders: 'draft-8' as const,
      legacyHeaders: false,
      handler: (_req: express.Request, res: express.Response) => sendError(res, 429, TOO_MANY_ATTEMPTS),
    };
    this.loginLimiters = [
      rateLimit({
        ...common,
        limit: limits.perAddress,
        store: this.addressStore,
        // ipKeyGenerator: one IPv6 /56 counts as one address.
        keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
      }),
      rateLimit({
        ...common,
        limit: limits.perUser,
        store: this.userStore,
        keyGenerator: (req) => {
          const name = (req.body as { username?: unknown } | undefined)?.username;
          return userKey(typeof name === 'string' ? name : '');
        },
      }),
    ];
  }

  async blocked(ip: string | undefined, username: string): Promise<boolean> {
    const [byAddress, byUser] = await Promise.all([
      this.addressStore.get(addressKey(ip)),
      this.userStore.get(userKey(username)),
    ]);
    return (
      (byAddress?.totalHits ?? 0) >= this.limits.perAddress || (byUser?.totalHits ?? 0) >= this.limits.perUser
    );
  }

  async failed(ip: string | undefined, username: string): Promise<void> {
    await Promise.all([
      this.addressStore.increment(addressKey(ip)),
      this.userStore.increment(userKey(username)),
    ]);
  }

  close(): void {
    this.addressStore.shutdown();
    this.userStore.shutdown();
  }
}
