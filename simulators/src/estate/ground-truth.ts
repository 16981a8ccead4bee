import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The ground truth of a run, one JSON object per line: the run's start, then every fault's
 * start and end (device, kind, times), so that detection can be scored against what really
 * happened. Lines are appended synchronously: they are rare (two per fault), must be in order,
 * and must be on disk even if the process is killed right after.
 */
export class GroundTruthLog {
  constructor(readonly file: string) {}

  /** Creates the folder; called before the first line so a bad path fails at start. */
  open(): void {
    mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
  }

  append(event: Record<string, unknown>): void {
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
  }
}
