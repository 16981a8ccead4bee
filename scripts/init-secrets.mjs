// Creates this installation's random secrets once, in the folder given (a Docker volume), so
// no secret is ever committed or typed into a compose file. Existing files are kept.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/secrets';
mkdirSync(dir, { recursive: true });
for (const name of ['influxdb-admin-password', 'influxdb-token']) {
  const path = join(dir, name);
  if (existsSync(path)) continue;
  writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o644 });
  console.log(`created ${path}`);
}
