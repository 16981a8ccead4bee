import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describePartsContract } from './parts.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describePartsContract('SQLite', (name) => openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }));
