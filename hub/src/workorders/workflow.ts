import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { z } from 'zod';
import { ORDER_STATUSES, type WorkOrderStatus } from '../db/schema.js';
import { type ActorRole, PERSON_ROLES } from '../people/actor.js';

/**
 * The transition table of work orders as data (hub/config/workflow.yaml, or HUB_WORKFLOW_FILE):
 * which action leads from which statuses to which, who may take it, what it needs. The code
 * holds only the vocabulary (fields, preconditions, effects); the table combines it.
 */

export const FAULT_CATEGORIES = ['natural_wear', 'misuse', 'human_damage', 'other'] as const;

const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.@-]+$/, 'letters, digits, _ . @ - only');

/** Every field an action's body may carry, each with its one schema. */
export const ACTION_FIELDS = {
  assignee: username,
  assignees: z.array(username).min(1).max(10),
  reason: z.string().trim().min(1, 'must not be empty').max(2000),
  resolution: z.string().trim().min(1, 'must not be empty').max(4000),
  labour_minutes: z.number().int().min(0).max(100_000),
  fault_category: z.enum(FAULT_CATEGORIES),
  rating: z.number().int().min(1).max(5),
  comment: z.string().max(2000),
  /** Epoch ms: until when an order is deferred into a plan. */
  until: z.number().int().min(0),
  note: z.string().max(2000),
} as const;
export type ActionField = keyof typeof ACTION_FIELDS;
const FIELD_NAMES = Object.keys(ACTION_FIELDS) as [ActionField, ...ActionField[]];

export const GUARDS = ['unassigned', 'defer_requested', 'no_defer_requested', 'not_rated'] as const;
export type Guard = (typeof GUARDS)[number];

export const RELATIONS = ['assignee', 'assignee_or_helper', 'requester'] as const;
export type Relation = (typeof RELATIONS)[number];

/** What an action changes besides the status, and the body fields it cannot do without. */
export const EFFECTS = {
  none: [],
  assign: ['assignee'],
  self_assign: [],
  record_work: ['resolution', 'labour_minutes', 'fault_category'],
  reject: ['reason'],
  rate: ['rating'],
  add_helpers: ['assignees'],
  request_defer: ['reason'],
  approve_defer: [],
  decline_defer: [],
  resume: [],
  cancel: ['reason'],
} as const satisfies Record<string, readonly ActionField[]>;
export type Effect = keyof typeof EFFECTS;
const EFFECT_NAMES = Object.keys(EFFECTS) as [Effect, ...Effect[]];

const ROLE_NAMES = [...PERSON_ROLES, 'system', 'any'] as const;
const status = z.enum(ORDER_STATUSES);

const roleEntrySchema = z.union([
  z.enum(ROLE_NAMES),
  z
    .object({
      role: z.enum(ROLE_NAMES),
      must_be: z.enum(RELATIONS).optional(),
      from: z.array(status).min(1).optional(),
    })
    .strict(),
]);

const actionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _, starting with a letter'),
    from: z.array(status).min(1),
    to: z.union([status, z.literal('same')]),
    roles: z.array(roleEntrySchema).min(1),
    when: z.array(z.enum(GUARDS)).default([]),
    body: z
      .object({
        required: z.array(z.enum(FIELD_NAMES)).default([]),
        optional: z.array(z.enum(FIELD_NAMES)).default([]),
      })
      .strict()
      .default({ required: [], optional: [] }),
    effect: z.enum(EFFECT_NAMES).default('none'),
  })
  .strict()
  .superRefine((action, ctx) => {
    for (const field of EFFECTS[action.effect]) {
      if (!action.body.required.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['body', 'required'],
          message: `effect ${action.effect} needs ${field} to be required`,
        });
      }
    }
    action.roles.forEach((entry, i) => {
      if (typeof entry === 'object' && entry.from) {
        for (const s of entry.from) {
          if (!action.from.includes(s)) {
            ctx.addIssue({
              code: 'custom',
              path: ['roles', i, 'from'],
              message: `${s} is not one of the action's from statuses`,
            });
          }
        }
      }
    });
  });

export const workflowFileSchema = z
  .object({ actions: z.array(actionSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.actions.forEach((a, i) => {
      if (seen.has(a.name)) {
        ctx.addIssue({ code: 'custom', path: ['actions', i, 'name'], message: `duplicate action ${a.name}` });
      }
      seen.add(a.name);
    });
  });
export type WorkflowFileInput = z.input<typeof workflowFileSchema>;

export interface RoleRule {
  /** A role, or 'any' (every person's role but viewer). */
  role: ActorRole | 'any';
  mustBe?: Relation;
  /** Narrower statuses for this role (the action's own when absent). */
  from?: readonly WorkOrderStatus[];
}

export interface WorkflowAction {
  name: string;
  from: readonly WorkOrderStatus[];
  to: WorkOrderStatus | 'same';
  roles: readonly RoleRule[];
  when: readonly Guard[];
  required: readonly ActionField[];
  optional: readonly ActionField[];
  effect: Effect;
  /** Validates a body: exactly the fields this action takes ("note" always allowed). */
  bodySchema: z.ZodType<ActionBody>;
}

/** A validated action body; which fields are present depends on the action. */
export type ActionBody = Partial<{ [K in ActionField]: z.infer<(typeof ACTION_FIELDS)[K]> }>;

export interface Workflow {
  /** Where it came from (a file, or "default"). */
  source: string;
  actions: readonly WorkflowAction[];
  action(name: string): WorkflowAction | undefined;
}

function bodySchemaOf(required: readonly ActionField[], optional: readonly ActionField[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const field of optional) shape[field] = ACTION_FIELDS[field].optional();
  if (!required.includes('note')) shape.note = ACTION_FIELDS.note.optional();
  for (const field of required) shape[field] = ACTION_FIELDS[field];
  return z.object(shape).strict() as unknown as z.ZodType<ActionBody>;
}

export function parseWorkflow(input: unknown, source = 'workflow'): Workflow {
  const file = validateFile(workflowFileSchema, input, source);
  const actions: WorkflowAction[] = file.actions.map((a) => ({
    name: a.name,
    from: a.from,
    to: a.to,
    roles: a.roles.map((r) =>
      typeof r === 'string'
        ? { role: r }
        : {
            role: r.role,
            ...(r.must_be ? { mustBe: r.must_be } : {}),
            ...(r.from ? { from: r.from } : {}),
          },
    ),
    when: a.when,
    required: a.body.required,
    optional: a.body.optional,
    effect: a.effect,
    bodySchema: bodySchemaOf(a.body.required, a.body.optional),
  }));
  const byName = new Map(actions.map((a) => [a.name, a]));
  return { source, actions, action: (name) => byName.get(name) };
}

export const DEFAULT_WORKFLOW_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../config/workflow.yaml',
);

/** Loads and validates a workflow file; errors name the file and the field path. */
export function loadWorkflow(file = DEFAULT_WORKFLOW_FILE): Workflow {
  const source = `workflow file ${file}`;
  return parseWorkflow(readYamlFileSync(file, source), source);
}

/** The table as the API shows it (GET /api/workflow). */
export function describeWorkflow(workflow: Workflow) {
  return {
    actions: workflow.actions.map((a) => ({
      name: a.name,
      from: a.from,
      to: a.to,
      roles: a.roles.map((r) => ({
        role: r.role,
        ...(r.mustBe ? { must_be: r.mustBe } : {}),
        ...(r.from ? { from: r.from } : {}),
      })),
      when: a.when,
      body: { required: [...a.required], optional: [...a.optional] },
      effect: a.effect,
    })),
  };
}
