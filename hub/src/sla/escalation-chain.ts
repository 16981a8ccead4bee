import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { siteMarkers } from '../people/people.input.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Who is told at one escalation level, and why them. */
export interface EscalationTargets {
  notified: string[];
  /** `supervisor of t-07`, `supervisors of site north`, `above sup-li`; empty when nobody. */
  basis: string;
}

/** Longest walk past disabled people up a chain (guards against a reports_to cycle). */
const MAX_WALK = 20;

/**
 * The escalation chain from the people tables (hub/src/people/schema.ts): the first level is
 * the assignee's `reports_to`, or the site's active supervisors when the order has no assignee
 * (or the assignee reports to nobody); each further level is the `reports_to` of the level
 * below. Disabled people are stepped over to whoever they report to; nobody is told twice.
 */
export async function firstLevel(db: Db, site: string, assignee: string | null): Promise<EscalationTargets> {
  if (assignee) {
    const above = await activeAbove(db, assignee, new Set([assignee]));
    if (above) return { notified: [above], basis: `supervisor of ${assignee}` };
  }
  const supervisors = await activeSiteSupervisors(db, site);
  return { notified: supervisors, basis: supervisors.length > 0 ? `supervisors of site ${site}` : '' };
}

/** The site's active supervisors by name: who hears of an order nobody above can take. */
export async function activeSiteSupervisors(db: Db, site: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .innerJoin('user_sites', 'user_sites.username', 'users.username')
    .select('users.username')
    .where('user_sites.site', 'in', siteMarkers(site))
    .where('users.role', '=', 'supervisor')
    .where('users.active', '=', 1)
    .orderBy('users.username')
    .execute();
  return rows.map((r) => r.username);
}

/** The next level: whoever each person of the level below reports to, not told before. */
export async function nextLevel(
  db: Db,
  below: readonly string[],
  alreadyNotified: ReadonlySet<string>,
): Promise<EscalationTargets> {
  const found = new Set<string>();
  for (const person of below) {
    const above = await activeAbove(db, person, new Set([...alreadyNotified, person]));
    if (above && !alreadyNotified.has(above)) found.add(above);
  }
  const notified = [...found].sort();
  return { notified, basis: notified.length > 0 ? `above ${below.join(', ')}` : '' };
}

/** The first active person above `username` (skipping disabled ones); null at the top. */
async function activeAbove(db: Db, username: string, seen: Set<string>): Promise<string | null> {
  let current = username;
  for (let i = 0; i < MAX_WALK; i += 1) {
    const row = await db
      .selectFrom('users')
      .select('reports_to')
      .where('username', '=', current)
      .executeTakeFirst();
    const next = row?.reports_to ?? null;
    if (next === null || seen.has(next)) return null;
    seen.add(next);
    const user = await db
      .selectFrom('users')
      .select('active')
      .where('username', '=', next)
      .executeTakeFirst();
    if (user && user.active === 1) return next;
    current = next;
  }
  return null;
}
