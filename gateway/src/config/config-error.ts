/** One problem in a configuration, named by its path (`devices.1.unit_id`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Thrown when a configuration is invalid. It carries every problem found, not just the first,
 * so an operator fixes a file in one pass (the Zigbee2MQTT settings habit).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source === undefined ? '' : ` (${source})`;
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    super(`invalid gateway configuration${where}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}

/** Joins path segments the way zod issues are printed: `devices.1.points.0.address`. */
export function joinPath(segments: readonly PropertyKey[]): string {
  return segments.length === 0 ? '(root)' : segments.map(String).join('.');
}
