import type { Kysely, Migration } from 'kysely';
import { columnTypes, type DatabaseKind, runStatements } from '../db/migrations.js';
import type { Database } from '../db/schema.js';
import { type PcaMonitorState, pcaMonitorStateSchema } from '../detectors/pca-monitor.detector.js';

/**
 * What the learned-behaviour rules have learned, per device and rule, kept in the maintenance
 * database so a restarted hub resumes instead of relearning (a pump learns from its first 600
 * running rows: ten minutes of running, hours for a pump that runs in bursts). Saved
 * periodically and when the hub stops; loaded when the engine starts.
 */
export interface DetectorStateTable {
  site: string;
  device: string;
  rule_id: string;
  /** The kind of state (`pca`: the relation model of `pca-monitor.detector.ts`). */
  kind: string;
  /** The rule's learning settings the state was learned with; other settings relearn. */
  config: string;
  /** The state as JSON. */
  state: string;
  updated_at: number;
}

export interface DetectorStateTables {
  detector_state: DetectorStateTable;
}

/** Migration 0008_detector_state. */
export function detectorStateMigration(kind: DatabaseKind): Migration {
  const { time } = columnTypes(kind);
  return {
    async up(db: Kysely<unknown>) {
      await runStatements(db, [
        `create table detector_state (
          site text not null,
          device text not null,
          rule_id text not null,
          kind text not null,
          config text not null,
          state text not null,
          updated_at ${time} not null,
          primary key (site, device, rule_id)
        )`,
      ]);
    },
  };
}

const PCA = 'pca';

export interface SavedModel {
  site: string;
  device: string;
  ruleId: string;
  config: string;
  state: PcaMonitorState;
}

export const detectorStateKey = (site: string, device: string, ruleId: string) =>
  `${site}/${device}/${ruleId}`;

export class DetectorStateStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Every saved model, by `detectorStateKey`. A row that does not parse or validate is left out
   * (its device relearns) and reported through `onInvalid`.
   */
  async loadAll(onInvalid: (key: string, reason: string) => void): Promise<Map<string, SavedModel>> {
    const rows = await this.db.selectFrom('detector_state').selectAll().where('kind', '=', PCA).execute();
    const out = new Map<string, SavedModel>();
    for (const row of rows) {
      const key = detectorStateKey(row.site, row.device, row.rule_id);
      let json: unknown;
      try {
        json = JSON.parse(row.state);
      } catch (err) {
        onInvalid(key, `not JSON: ${(err as Error).message}`);
        continue;
      }
      const parsed = pcaMonitorStateSchema.safeParse(json);
      if (!parsed.success) {
        onInvalid(key, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        continue;
      }
      out.set(key, {
        site: row.site,
        device: row.device,
        ruleId: row.rule_id,
        config: row.config,
        state: parsed.data,
      });
    }
    return out;
  }

  /** Inserts or replaces the given models' rows, in one transaction. */
  async save(models: readonly SavedModel[], now: number): Promise<void> {
    if (models.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const m of models) {
        await trx
          .insertInto('detector_state')
          .values({
            site: m.site,
            device: m.device,
            rule_id: m.ruleId,
            kind: PCA,
            config: m.config,
            state: JSON.stringify(m.state),
            updated_at: now,
          })
          .onConflict((oc) =>
            oc.columns(['site', 'device', 'rule_id']).doUpdateSet((eb) => ({
              kind: eb.ref('excluded.kind'),
              config: eb.ref('excluded.config'),
              state: eb.ref('excluded.state'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
    });
  }
}
