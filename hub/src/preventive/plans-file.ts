import { readYamlFile, validateFile } from '@caretaker/protocol/yaml-file';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Actor } from '../people/actor.js';
import { PreventiveError } from './access.js';
import { type PlansFile, plansFileSchema } from './preventive.inputs.js';
import type { PreventiveService } from './preventive.service.js';

/**
 * Plans files (HUB_PLANS_FILE, the demo's hub/config/demo-plans.yaml): objects, templates and
 * plans by stable key, references by key.
 */

/** Reads and validates a plans file (YAML) before anything is opened; errors name the file and field. */
export async function readPlansFile(file: string): Promise<{ data: PlansFile; source: string }> {
  const source = `plans file ${file}`;
  return { data: validateFile(plansFileSchema, await readYamlFile(file, source), source), source };
}

/**
 * Creates the objects, templates and plans of a plans file (readPlansFile): each record once,
 * by its key; records already in the database are left as they are (people may have edited
 * them through the API, and a plan keeps its counters).
 */
export async function applyPlans(
  service: PreventiveService,
  db: Kysely<Database>,
  data: PlansFile,
  source: string,
  actor: Actor = { username: 'config', role: 'system', sites: 'all' },
) {
  const created = { objects: 0, templates: 0, plans: 0 };
  const objectIds = new Map<string, number>();
  const templateIds = new Map<string, number>();
  const known = async (
    table: 'inspection_objects' | 'inspection_templates' | 'preventive_plans',
    key: string,
  ) => (await db.selectFrom(table).select('id').where('key', '=', key).executeTakeFirst())?.id;
  const wrap = async <T>(field: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PreventiveError) throw new Error(`${source}: ${field}: ${err.message}`);
      throw err;
    }
  };
  for (const [i, { key, ...object }] of data.objects.entries()) {
    let id = await known('inspection_objects', key);
    if (id === undefined) {
      id = (await wrap(`objects.${i}`, () => service.createObject(actor, object, key))).id;
      created.objects += 1;
    }
    objectIds.set(key, id);
  }
  const refs = (keys: string[], field: string) =>
    keys.map((k, j) => {
      const id = objectIds.get(k);
      if (id === undefined) throw new Error(`${source}: ${field}.${j}: no object "${k}" in the file`);
      return id;
    });
  for (const [i, { key, objects, ...template }] of data.templates.entries()) {
    let id = await known('inspection_templates', key);
    if (id === undefined) {
      const body = { ...template, object_ids: refs(objects, `templates.${i}.objects`) };
      id = (await wrap(`templates.${i}`, () => service.createTemplate(actor, body, key))).id;
      created.templates += 1;
    }
    templateIds.set(key, id);
  }
  for (const [i, { key, template, objects, window, ...plan }] of data.plans.entries()) {
    if ((await known('preventive_plans', key)) !== undefined) continue;
    const templateId = template === undefined ? undefined : templateIds.get(template);
    if (template !== undefined && templateId === undefined) {
      throw new Error(`${source}: plans.${i}.template: no template "${template}" in the file`);
    }
    const body = {
      ...plan,
      window: `${window}ms`,
      ...(templateId !== undefined ? { template_id: templateId } : {}),
      ...(objects ? { object_ids: refs(objects, `plans.${i}.objects`) } : {}),
    };
    await wrap(`plans.${i}`, () => service.createPlan(actor, body, key));
    created.plans += 1;
  }
  return created;
}
