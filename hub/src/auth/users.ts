import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFile, readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';
import { PERSON_ROLES, type PersonRole } from '../people/actor.js';
import {
  displayNameSchema,
  emailSchema,
  phoneSchema,
  type SkillInput,
  siteInputSchema,
  skillListSchema,
  type UserSites,
  usernameSchema,
  userSitesSchema,
} from '../people/people.input.js';
import { isPasswordHash, verifyPassword } from './passwords.js';

/**
 * The users file (HUB_USERS_FILE): gateways, which authenticate on MQTT with it, and the
 * bootstrap of people, who are upserted into the database at start and sign in from there.
 * Roles: the people's (admin, supervisor, technician, reviewer, requester, viewer) and `gateway`,
 * which publishes telemetry only under its own gateway id (its user name).
 */
export const roleSchema = z.enum([...PERSON_ROLES, 'gateway']);
export type Role = z.infer<typeof roleSchema>;

/** What a person has beyond a name, a role and a password (all optional in the file). */
const personFields = {
  display_name: displayNameSchema.optional(),
  sites: userSitesSchema.optional(),
  skills: skillListSchema.optional(),
  reports_to: usernameSchema.optional(),
  zone: z.string().trim().min(1).max(64).optional(),
  email: emailSchema.optional(),
  phone: phoneSchema.optional(),
};
const PERSON_FIELDS = Object.keys(personFields) as Array<keyof typeof personFields>;

export const usersFileSchema = z
  .object({
    users: z
      .array(
        z
          .object({
            username: usernameSchema,
            password_hash: z
              .string()
              .refine(isPasswordHash, 'must be a hash from `npm run hub -- hash-password`'),
            role: roleSchema,
            ...personFields,
          })
          .strict()
          .superRefine((user, ctx) => {
            if (user.role === 'gateway') {
              for (const field of PERSON_FIELDS) {
                if (user[field] !== undefined)
                  ctx.addIssue({ code: 'custom', path: [field], message: 'is for people, not gateways' });
              }
            }
            if (user.reports_to === user.username)
              ctx.addIssue({ code: 'custom', path: ['reports_to'], message: 'must not be the user itself' });
          }),
      )
      .min(1),
    /** Sites with their names and time zones; a site a user names but this list lacks is created with its id as name, in UTC. */
    sites: z.array(siteInputSchema).optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const roles = new Map<string, Role>();
    file.users.forEach((user, i) => {
      if (roles.has(user.username))
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'username'],
          message: `${user.username} is listed twice`,
        });
      roles.set(user.username, user.role);
    });
    file.users.forEach((user, i) => {
      if (user.reports_to !== undefined && roles.get(user.reports_to) === 'gateway')
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'reports_to'],
          message: `${user.reports_to} is a gateway`,
        });
    });
    const seen = new Set<string>();
    (file.sites ?? []).forEach((site, i) => {
      if (seen.has(site.id))
        ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `${site.id} is listed twice` });
      seen.add(site.id);
    });
  });

export interface User {
  username: string;
  role: Role;
}

/** A person of the users file, to be upserted into the database (fields absent stay as they are). */
export interface PersonSeed {
  username: string;
  role: PersonRole;
  password_hash: string;
  display_name?: string;
  sites?: UserSites;
  skills?: SkillInput[];
  reports_to?: string;
  zone?: string;
  email?: string;
  phone?: string;
}

export interface SiteSeed {
  id: string;
  name?: string | undefined;
  timezone: string;
}

export class UserDirectory {
  private readonly users = new Map<string, { hash: string; user: User }>();
  /** Remembers recent successful checks so repeated logins (HTTP Basic) don't re-run scrypt. */
  private readonly verified = new Map<string, string>();
  /** The people among the users, for the database (PeopleService.bootstrap). */
  readonly people: PersonSeed[] = [];
  readonly sites: SiteSeed[] = [];

  add(
    username: string,
    passwordHash: string,
    role: Role,
    person: Omit<PersonSeed, 'username' | 'role' | 'password_hash'> = {},
  ): void {
    this.users.set(username, { hash: passwordHash, user: { username, role } });
    if (role !== 'gateway') {
      const i = this.people.findIndex((p) => p.username === username);
      if (i >= 0) this.people.splice(i, 1);
      this.people.push({ ...person, username, role, password_hash: passwordHash });
    }
  }

  async verify(username: string | undefined, password: string | undefined): Promise<User | null> {
    if (username === undefined || password === undefined) return null;
    const entry = this.users.get(username);
    if (!entry) return null;
    // Keyed by a digest, so no plaintext password stays in memory.
    const cacheKey = createHash('sha256').update(`${username}\0${password}`).digest('base64');
    if (this.verified.get(cacheKey) === entry.hash) return entry.user;
    if (!(await verifyPassword(password, entry.hash))) return null;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(cacheKey, entry.hash);
    return entry.user;
  }

  get size(): number {
    return this.users.size;
  }
}

/** Parses a users file's content (already read); errors name `source` and every bad field. */
export function parseUsersFile(data: unknown, source: string): UserDirectory {
  const file = validateFile(usersFileSchema, data, source);
  const directory = new UserDirectory();
  for (const { username, password_hash, role, ...person } of file.users) {
    const seed: Omit<PersonSeed, 'username' | 'role' | 'password_hash'> = {};
    for (const [key, value] of Object.entries(person))
      if (value !== undefined) Object.assign(seed, { [key]: value });
    directory.add(username, password_hash, role, seed);
  }
  for (const site of file.sites ?? []) directory.sites.push(site);
  return directory;
}

export async function loadUsersFile(path: string): Promise<UserDirectory> {
  return parseUsersFile(await readYamlFile(path, path), path);
}

/** The demo's people (one per role, password "caretaker"); read only in the demo mode. */
export const DEMO_PEOPLE_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../config/demo-people.yaml',
);

export function loadDemoPeople(): UserDirectory {
  return parseUsersFile(readYamlFileSync(DEMO_PEOPLE_FILE, DEMO_PEOPLE_FILE), DEMO_PEOPLE_FILE);
}
