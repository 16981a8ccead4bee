import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describeReportsContract } from './reports.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-reports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeReportsContract('SQLite', (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }));
