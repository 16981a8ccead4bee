import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describePeopleContract } from './people.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-people-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describePeopleContract('SQLite', (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }));
