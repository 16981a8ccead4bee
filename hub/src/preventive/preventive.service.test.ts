import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describePreventiveContract } from './preventive.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-preventive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describePreventiveContract('SQLite', (name) =>
  openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }),
);
