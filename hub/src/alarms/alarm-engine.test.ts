import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '../db/database.js';
import { describeAlarmEngineContract } from './alarm-engine.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'caretaker-alarms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeAlarmEngineContract('SQLite', (name) =>
  openDatabase({ kind: 'sqlite', path: join(dir, `${name}.db`) }),
);
