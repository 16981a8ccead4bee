import { type ConfigIssue, joinPath } from './config-error.js';

export type Env = Readonly<Record<string, string | undefined>>;

// `$$` is an escaped dollar; `${...}` is a placeholder. Same syntax as Docker Compose and POSIX
// shell parameter expansion (`${VAR:-default}` uses the default when VAR is unset or empty).
const TOKEN = /\$\$|\$\{([^}]*)\}/g;
const PLACEHOLDER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (not in keys) of a parsed YAML
 * document. Problems (an unset variable without a default, a malformed placeholder) are pushed to
 * `issues` with the path of the value; the value is then left as written.
 */
export function interpolateEnv(
  value: unknown,
  env: Env,
  issues: ConfigIssue[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, issues, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, issues, [...path, key])]),
    );
  }
  return value;
}

function interpolateString(text: string, env: Env, issues: ConfigIssue[], path: PropertyKey[]): string {
  const problems: string[] = [];
  const result = text.replace(TOKEN, (token, inner: string | undefined) => {
    if (token === '$$') return '$';
    const match = PLACEHOLDER.exec(inner ?? '');
    if (match === null) {
      problems.push(`malformed placeholder ${token} (expected \${NAME} or \${NAME:-default})`);
      return token;
    }
    const name = match[1] ?? '';
    const fallback = match[2];
    const current = env[name];
    if (fallback !== undefined) return current === undefined || current === '' ? fallback : current;
    if (current === undefined) {
      problems.push(`environment variable ${name} is not set (use \${${name}:-default} for a default)`);
      return token;
    }
    return current;
  });
  // An opening `${` with no closing brace is a typo, not a literal: say so instead of passing it on.
  if (/(^|[^$])\$\{[^}]*$/.test(text)) problems.push('unterminated placeholder (missing "}")');
  for (const message of problems) issues.push({ path: joinPath(path), message });
  return problems.length > 0 ? text : result;
}
