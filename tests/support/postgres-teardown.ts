// vitest globalSetup of `npm run test:postgres`: names this run (the workers it starts inherit the name, and
// put it in every database they create), and at the end drops this run's databases a crashed test left behind.
import { randomBytes } from 'node:crypto';
import { dropRunDatabases, RUN_ENV } from './test-postgres.ts';

const run = `r${randomBytes(4).toString('hex')}`;

export function setup(): void {
  process.env[RUN_ENV] = run;
}

export async function teardown(): Promise<void> {
  const dropped = await dropRunDatabases(run);
  if (dropped.length) process.stderr.write(`dropped ${dropped.length} test database(s) left behind\n`);
}
