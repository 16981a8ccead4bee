import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describeSlaContract } from './sla.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-sla-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeSlaContract('SQLite', (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }));
