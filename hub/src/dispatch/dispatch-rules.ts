import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFileSync, validateFile } from '@caretaker/protocol/yaml-file';
import { IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Dispatch rules: which skill (and certificate) a problem type needs, and whether the hub
 * dispatches it by itself. `hub/config/dispatch.yaml` ships; `HUB_DISPATCH_FILE` replaces it.
 */

const skillId = z.string().regex(/^[a-z0-9_]{1,40}$/, 'must be a skill id such as elevator or high_voltage');

const timezoneSchema = z.string().refine((tz) => IANAZone.isValidZone(tz), {
  message: 'must be an IANA time zone such as Asia/Shanghai',
});

const typeRuleSchema = z
  .object({
    /** The skill the technician must hold; null: anyone of the site. */
    skill: skillId.nullable().default(null),
    /** The skill must come with a certificate (a number on file), unexpired. */
    certificate: z.boolean().default(true),
    /** Dispatched by the hub as soon as the order reaches to_dispatch. */
    auto: z.boolean().default(false),
    /** Dispatched straight from pending acceptance (the hub accepts it itself). */
    skip_acceptance: z.boolean().default(false),
    description: z.string().max(200).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.skip_acceptance && !r.auto)
      ctx.addIssue({ code: 'custom', path: ['skip_acceptance'], message: 'needs auto: true' });
  });
export type TypeRule = z.infer<typeof typeRuleSchema>;

export const dispatchFileSchema = z
  .object({
    /** For sites without a time zone of their own (table `sites`). */
    timezone: timezoneSchema.default('Asia/Shanghai'),
    /**
     * Whether a technician must be on shift: true, false (nobody keeps rosters), or if_planned:
     * only at a site where shifts are on file for someone (a site without rosters is not left
     * without automatic dispatch).
     */
    require_shift: z.union([z.boolean(), z.literal('if_planned')]).default('if_planned'),
    /** Problem types the file does not name. */
    default: typeRuleSchema.default({ skill: null, certificate: true, auto: false, skip_acceptance: false }),
    problem_types: z
      .record(z.string().regex(/^[a-z0-9_]{1,60}$/, 'must be a problem type id'), typeRuleSchema)
      .default({}),
  })
  .strict();
export type DispatchFile = z.infer<typeof dispatchFileSchema>;
export type DispatchFileInput = z.input<typeof dispatchFileSchema>;

export const DEFAULT_DISPATCH_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../config/dispatch.yaml',
);

export class DispatchRules {
  constructor(readonly file: DispatchFile) {}

  static parse(input: unknown, source = 'dispatch rules'): DispatchRules {
    return new DispatchRules(validateFile(dispatchFileSchema, input, source));
  }

  static load(file = DEFAULT_DISPATCH_FILE): DispatchRules {
    const source = `dispatch file ${file}`;
    return DispatchRules.parse(readYamlFileSync(file, source), source);
  }

  forType(problemType: string): TypeRule {
    return this.file.problem_types[problemType] ?? this.file.default;
  }

  get timezone(): string {
    return this.file.timezone;
  }

  get requireShift(): boolean | 'if_planned' {
    return this.file.require_shift;
  }
}
