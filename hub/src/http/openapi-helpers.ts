import { z } from 'zod';

/**
 * Small builders for OpenAPI 3.1 path objects. Request schemas come from the zod schemas the
 * routes validate with (zod's JSON Schema output is draft 2020-12, the dialect OpenAPI 3.1
 * uses), so the document cannot drift from what the API accepts.
 */
export type JsonSchema = Record<string, unknown>;

export interface Operation {
  summary: string;
  description?: string;
  tags?: string[];
  /** Reachable without signing in (the QR report form). */
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
}
export type PathItem = Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', Operation>>;
/** Keyed by the full path in OpenAPI form: `/api/work-orders/{id}`. */
export type OpenApiPaths = Record<string, PathItem>;

export function schemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

export function jsonBody(schema: z.ZodType, description?: string) {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema: schemaOf(schema) } },
  };
}

/** Query parameters, one per property of an object schema. */
export function queryParams(schema: z.ZodObject): Array<Record<string, unknown>> {
  const json = schemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) && !('default' in property),
    schema: property,
  }));
}

export function pathParam(name: string, schema: JsonSchema = { type: 'string' }, description?: string) {
  return { name, in: 'path', required: true, schema, ...(description ? { description } : {}) };
}

/** A numeric id in the path (orders, tokens, webhooks, ...). */
export function idParam(name = 'id', description?: string) {
  return pathParam(name, { type: 'integer', minimum: 1 }, description);
}

/** An object holding one value under `key`: `{ "part": {...} }`. */
export function keyed(key: string, schema: JsonSchema, required = true): JsonSchema {
  return { type: 'object', properties: { [key]: schema }, ...(required ? { required: [key] } : {}) };
}

/** An object holding a list under `key`: `{ "parts": [...] }`. */
export function listOf(key: string, items: JsonSchema, required = true): JsonSchema {
  return keyed(key, { type: 'array', items }, required);
}

export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { error: { type: 'string', description: '"<field>: what is wrong"' } },
  required: ['error'],
};

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid input; the message names the field',
  401: 'not signed in',
  403: 'the actor may not (role, site, or tie to the order); the message says which',
  404: 'no such resource',
  409: 'not in a state for this (status, precondition); the message says which',
  413: 'too large',
  415: 'unsupported file type',
  429: 'too many requests',
  503: 'not ready',
};

/** Error responses, all with the one `{ "error": "..." }` shape. */
export function errors(...codes: number[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: ERROR_TEXT[code] ?? 'error',
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      },
    ]),
  );
}

export function jsonResponse(description: string, schema: JsonSchema = { type: 'object' }) {
  return { description, content: { 'application/json': { schema } } };
}
