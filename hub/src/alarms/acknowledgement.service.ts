import type { AlarmAcknowledgement } from '@caretaker/protocol';
import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';
import type { AlarmRow, Database } from '../db/schema.js';
import { type Actor, canSeeSite } from '../people/actor.js';
import { may } from '../people/permissions.js';

/**
 * A person acknowledges an alarm: "I have seen it, I am on it". Recorded once per raise of the
 * alarm (its occurrence: a re-raise within the flap window is the same alarm, and a passenger
 * trapped again must be acknowledged again), in a table of its own so the alarm engine, which
 * writes its alarm rows whole from memory, never overwrites it. The first acknowledgement
 * stands; later ones change nothing (idempotent).
 */
export interface AlarmAcknowledgementsTable {
  alarm_id: number;
  occurrence: number;
  site: string;
  acknowledged_by: string;
  /** The person's display name when they acknowledged (names may change later). */
  acknowledged_by_name: string;
  acknowledged_at: number;
}

export interface AlarmAcknowledgementTables {
  alarm_acknowledgements: AlarmAcknowledgementsTable;
}

/** Migration 0010_alarm_acknowledgements. */
export function alarmAcknowledgementsMigration(kind: DatabaseKind): Migration {
  const { time, ref } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `create table alarm_acknowledgements (
          alarm_id ${ref} not null references alarms (id),
          occurrence integer not null,
          site text not null,
          acknowledged_by text not null,
          acknowledged_by_name text not null,
          acknowledged_at ${time} not null,
          primary key (alarm_id, occurrence)
        )`,
      ]);
    },
  };
}

/** A refusal with the HTTP status it is answered with. */
export class AcknowledgeError extends Error {
  constructor(
    readonly status: 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'AcknowledgeError';
  }
}

export interface AcknowledgedEvent {
  alarm: AlarmRow;
  acknowledged: AlarmAcknowledgement;
}

export interface AlarmAcknowledgementsDeps {
  db: Kysely<Database>;
  now: () => number;
  /** The live alarms (the engine's memory), looked at before the database. */
  openAlarms: () => readonly AlarmRow[];
}

export class AlarmAcknowledgements {
  private readonly listeners = new Set<(event: AcknowledgedEvent) => void>();

  constructor(private readonly deps: AlarmAcknowledgementsDeps) {}

  /** Told once per new acknowledgement (not for repeats), after it is stored. */
  onAcknowledged(listener: (event: AcknowledgedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records that `actor` acknowledged the alarm's current raise; answers the acknowledgement
   * that stands (theirs, or an earlier one). Checks role, then the alarm, then the site.
   */
  async acknowledge(
    alarmId: number,
    actor: Actor,
  ): Promise<{ alarm: AlarmRow; acknowledged: AlarmAcknowledgement; created: boolean }> {
    if (!may(actor, 'alarms.acknowledge')) {
      throw new AcknowledgeError(403, `role ${actor.role} may not acknowledge alarms`);
    }
    const alarm = await this.find(alarmId);
    if (!alarm) throw new AcknowledgeError(404, `alarm ${alarmId} not found`);
    if (!canSeeSite(actor, alarm.site)) {
      throw new AcknowledgeError(403, `site: ${alarm.site} is not one of your sites`);
    }
    const { db, now } = this.deps;
    const person = await db
      .selectFrom('users')
      .select('display_name')
      .where('username', '=', actor.username)
      .executeTakeFirst();
    // Two screens pressing at once: the primary key keeps the first, the second reads it back.
    const inserted = await db
      .insertInto('alarm_acknowledgements')
      .values({
        alarm_id: alarm.id,
        occurrence: alarm.occurrences,
        site: alarm.site,
        acknowledged_by: actor.username,
        acknowledged_by_name: person?.display_name || actor.username,
        acknowledged_at: now(),
      })
      .onConflict((oc) => oc.columns(['alarm_id', 'occurrence']).doNothing())
      .executeTakeFirst();
    const created = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    const stored = (await this.forAlarms([alarm])).get(alarm.id);
    if (!stored) throw new Error(`alarm ${alarm.id}: acknowledgement not found after writing it`);
    if (created) {
      for (const listener of [...this.listeners]) {
        try {
          listener({ alarm, acknowledged: stored });
        } catch {
          // A listener (the socket broadcast) failing must not undo a stored acknowledgement.
        }
      }
    }
    return { alarm, acknowledged: stored, created };
  }

  /** The acknowledgement of each alarm's current raise, by alarm id (absent: nobody yet). */
  async forAlarms(alarms: readonly AlarmRow[]): Promise<Map<number, AlarmAcknowledgement>> {
    const out = new Map<number, AlarmAcknowledgement>();
    if (alarms.length === 0) return out;
    const current = new Map(alarms.map((a) => [a.id, a.occurrences]));
    const rows = await this.deps.db
      .selectFrom('alarm_acknowledgements')
      .selectAll()
      .where('alarm_id', 'in', [...current.keys()])
      .execute();
    for (const row of rows) {
      const id = Number(row.alarm_id);
      if (current.get(id) !== row.occurrence) continue;
      out.set(id, {
        by: row.acknowledged_by,
        by_name: row.acknowledged_by_name,
        at: Number(row.acknowledged_at),
        occurrence: row.occurrence,
      });
    }
    return out;
  }

  private async find(id: number): Promise<AlarmRow | undefined> {
    const live = this.deps.openAlarms().find((a) => a.id === id);
    // A hold time still running is not an alarm yet: nothing to acknowledge.
    if (live) return live.state === 'pending' ? undefined : live;
    const row = await this.deps.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
    return row && row.state !== 'pending' ? { ...row, id: Number(row.id) } : undefined;
  }
}
