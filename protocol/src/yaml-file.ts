import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatIssues } from './payloads.js';

/**
 * Configuration files (scenarios, profiles, users, rules, assets) all enter the same way: read,
 * parse YAML, validate against a schema; every error names the file (and the field, for the
 * schema's errors), and all of a file's problems are reported at once. Node only.
 */
export type ErrorFactory = (message: string) => Error;

const plainError: ErrorFactory = (message) => new Error(message);

function readError(source: string, err: unknown, fail: ErrorFactory): Error {
  const code = (err as NodeJS.ErrnoException).code;
  return fail(`${source}: ${code === 'ENOENT' ? 'file not found' : (err as Error).message}`);
}

function parse(text: string, source: string, fail: ErrorFactory): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw fail(`${source}: invalid YAML: ${(err as Error).message}`);
  }
}

/** Validates parsed data; the error lists every problem with its field path. */
export function validateFile<T>(
  schema: z.ZodType<T, unknown>,
  data: unknown,
  source: string,
  fail: ErrorFactory = plainError,
): T {
  const result = schema.safeParse(data);
  if (!result.success) throw fail(`${source}: ${formatIssues(result.error)}`);
  return result.data;
}

/** Reads and parses a YAML file; `source` names it in errors (`rules file /etc/x.yaml`). */
export async function readYamlFile(
  file: string,
  source: string,
  fail: ErrorFactory = plainError,
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw readError(source, err, fail);
  }
  return parse(text, source, fail);
}

export function readYamlFileSync(file: string, source: string, fail: ErrorFactory = plainError): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw readError(source, err, fail);
  }
  return parse(text, source, fail);
}
