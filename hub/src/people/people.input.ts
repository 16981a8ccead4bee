import { idSchema } from '@caretaker/protocol';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { PERSON_ROLES } from './actor.js';

/**
 * The shapes people, sites and skills enter in, shared by the users file (YAML) and the REST
 * API, so both refuse the same things with the same field names.
 */
export const personRoleSchema = z.enum(PERSON_ROLES);
export const usernameSchema = idSchema;

/** Stored in user_sites for "every site, present and future" (no real site id can be `*`). */
export const ALL_SITES = '*';
/**
 * The user_sites values that place someone at any of these sites: the sites themselves and
 * ALL_SITES. Every query for "who works at site X" goes through it so nobody forgets the marker.
 */
export function siteMarkers(...sites: readonly string[]): string[] {
  return [...sites, ALL_SITES];
}
/** A list of site ids, or `all` (managers, company-wide viewers). */
export const userSitesSchema = z.union([
  z.literal('all'),
  z
    .array(idSchema)
    .max(1000)
    .refine((s) => new Set(s).size === s.length, 'must not repeat a site'),
]);
export type UserSites = z.infer<typeof userSitesSchema>;

/** Epoch milliseconds or an ISO 8601 date (`2027-03-31`). */
export const timeInputSchema = z.union([
  z.number().int().min(0),
  z.string().transform((raw, ctx) => {
    const ms = Date.parse(raw);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date' });
      return z.NEVER;
    }
    return ms;
  }),
]);

export const skillNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 characters of a-z 0-9 _ . - (e.g. high_voltage)');

/** A skill or certificate: `elevator`, or `{ skill: elevator, certificate_no: T-1, expires_at: 2027-03-31 }`. */
export const skillInputSchema = z.union([
  skillNameSchema.transform((skill) => ({ skill, certificate_no: null, expires_at: null })),
  z
    .object({
      skill: skillNameSchema,
      certificate_no: z.string().min(1).max(100).nullable().default(null),
      expires_at: timeInputSchema.nullable().default(null),
    })
    .strict(),
]);
export type SkillInput = z.output<typeof skillInputSchema>;
export const skillListSchema = z
  .array(skillInputSchema)
  .max(100)
  .refine((list) => new Set(list.map((s) => s.skill)).size === list.length, 'must not repeat a skill');

export const displayNameSchema = z.string().trim().min(1).max(200);
export const emailSchema = z.email().max(320);
export const phoneSchema = z
  .string()
  .regex(/^\+?[0-9 ()-]{3,32}$/, 'must be digits, spaces, ( ) - and an optional leading +');
/** New passwords: long enough to resist guessing, short enough that hashing stays cheap. */
export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024);

export const timezoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Asia/Shanghai');

export const siteInputSchema = z
  .object({
    id: idSchema,
    name: z.string().trim().min(1).max(200).optional(),
    timezone: timezoneSchema.default('UTC'),
  })
  .strict();
export type SiteInput = z.input<typeof siteInputSchema>;
