import { createHash } from 'node:crypto';
import { idSchema } from '@caretaker/protocol';
import { readYamlFile, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';
import { isPasswordHash, verifyPassword } from './passwords.js';

/**
 * Who may connect. Roles: `admin` and `viewer` use the dashboard and API; `gateway` publishes
 * telemetry over MQTT, only under its own gateway id (its user name).
 */
export const roleSchema = z.enum(['admin', 'viewer', 'gateway']);
export type Role = z.infer<typeof roleSchema>;

export const usersFileSchema = z
  .object({
    users: z
      .array(
        z
          .object({
            username: idSchema,
            password_hash: z
              .string()
              .refine(isPasswordHash, 'must be a hash from `npm run hub -- hash-password`'),
            role: roleSchema,
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export interface User {
  username: string;
  role: Role;
}

export class UserDirectory {
  private readonly users = new Map<string, { hash: string; user: User }>();
  /** Remembers recent successful checks so repeated logins (HTTP Basic) don't re-run scrypt. */
  private readonly verified = new Map<string, string>();

  add(username: string, passwordHash: string, role: Role): void {
    this.users.set(username, { hash: passwordHash, user: { username, role } });
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

export async function loadUsersFile(path: string): Promise<UserDirectory> {
  const file = validateFile(usersFileSchema, await readYamlFile(path, path), path);
  const directory = new UserDirectory();
  for (const user of file.users) directory.add(user.username, user.password_hash, user.role);
  return directory;
}
