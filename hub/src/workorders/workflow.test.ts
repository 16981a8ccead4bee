import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describeWorkflowContract } from './workflow.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-workflow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWorkflowContract('SQLite', (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }));
