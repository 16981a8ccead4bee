import path from 'node:path';
import { MemorySpool } from './memory.spool.js';
import { describeSpoolContract } from './spool.contract.js';
import { SqliteSpool } from './sqlite.spool.js';

describeSpoolContract({
  name: 'SQLite',
  durable: true,
  open: (dir, limits) => new SqliteSpool(path.join(dir, 'spool.db'), limits),
});

describeSpoolContract({
  name: 'memory',
  durable: false,
  open: (_dir, limits) => new MemorySpool(limits),
});
