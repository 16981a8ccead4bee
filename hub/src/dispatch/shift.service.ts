import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { type Actor, canSeeSite } from '../people/actor.js';
import { ALL_SITES } from '../people/people.input.js';
import type { RosterDayInput, WeeklyShiftInput } from './dispatch.inputs.js';
import { formatMinute } from './shifts.js';

/** A refusal with the HTTP status it maps to. */
export class ShiftError extends Error {
  constructor(
    readonly status: 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'ShiftError';
  }
}

/** Who may plan shifts: administrators anywhere, supervisors for people of their sites. */
const PLANNERS = new Set(['admin', 'supervisor', 'system']);

/**
 * Weekly shifts and dated roster entries of technicians (tables of 0004_sla_dispatch), read by
 * automatic dispatch. Reading is for anyone sharing a site with the person; changing needs a
 * planner of one of their sites.
 */
export class ShiftService {
  constructor(private readonly db: Kysely<Database>) {}

  /** The person's sites, or a 404/403 for an actor who may not see them. */
  private async sitesOf(actor: Actor, username: string): Promise<string[]> {
    const user = await this.db
      .selectFrom('users')
      .select('username')
      .where('username', '=', username)
      .executeTakeFirst();
    if (!user) throw new ShiftError(404, `username: no user ${username}`);
    const sites = (
      await this.db.selectFrom('user_sites').select('site').where('username', '=', username).execute()
    ).map((s) => s.site);
    if (actor.sites !== 'all' && !sites.includes(ALL_SITES) && !sites.some((s) => canSeeSite(actor, s))) {
      throw new ShiftError(403, `username: ${username} works at none of ${actor.username}'s sites`);
    }
    return sites;
  }

  private async mayPlan(actor: Actor, username: string): Promise<void> {
    await this.sitesOf(actor, username);
    if (!PLANNERS.has(actor.role)) throw new ShiftError(403, `role ${actor.role} may not plan shifts`);
  }

  async list(actor: Actor, username: string, fromDay: string) {
    await this.sitesOf(actor, username);
    const [shifts, roster] = await Promise.all([
      this.db
        .selectFrom('shifts')
        .selectAll()
        .where('username', '=', username)
        .orderBy('weekday')
        .orderBy('start_minute')
        .execute(),
      this.db
        .selectFrom('roster_days')
        .selectAll()
        .where('username', '=', username)
        .where('day', '>=', fromDay)
        .orderBy('day')
        .orderBy('id')
        .limit(500)
        .execute(),
    ]);
    return {
      username,
      shifts: shifts.map((s) => ({
        weekday: s.weekday,
        start: formatMinute(s.start_minute),
        end: s.end_minute === 1440 ? '24:00' : formatMinute(s.end_minute),
        site: s.site,
      })),
      roster_days: roster.map((r) => ({
        id: Number(r.id),
        day: r.day,
        on_duty: r.on_duty === 1,
        start: r.start_minute === null ? null : formatMinute(r.start_minute),
        end: r.end_minute === null ? null : r.end_minute === 1440 ? '24:00' : formatMinute(r.end_minute),
        site: r.site,
        note: r.note,
      })),
    };
  }

  /** Replaces the person's weekly pattern as a whole (one transaction). */
  async replaceWeekly(actor: Actor, username: string, shifts: readonly WeeklyShiftInput[]): Promise<void> {
    await this.mayPlan(actor, username);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('shifts').where('username', '=', username).execute();
      if (shifts.length === 0) return;
      await trx
        .insertInto('shifts')
        .values(
          shifts.map((s) => ({
            username,
            weekday: s.weekday,
            start_minute: s.start,
            end_minute: s.end,
            site: s.site,
          })),
        )
        .execute();
    });
  }

  async addRosterDay(actor: Actor, entry: RosterDayInput): Promise<number> {
    await this.mayPlan(actor, entry.username);
    const row = await this.db
      .insertInto('roster_days')
      .values({
        username: entry.username,
        day: entry.day,
        on_duty: entry.on_duty ? 1 : 0,
        start_minute: entry.start ?? null,
        end_minute: entry.end ?? null,
        site: entry.site,
        note: entry.note,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async deleteRosterDay(actor: Actor, id: number): Promise<void> {
    const row = await this.db
      .selectFrom('roster_days')
      .select('username')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new ShiftError(404, `id: no roster entry ${id}`);
    await this.mayPlan(actor, row.username);
    await this.db.deleteFrom('roster_days').where('id', '=', id).execute();
  }
}
