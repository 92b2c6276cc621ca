// One fan-out measurement in a process of its own (a process speaks one SQL dialect, see storage/prepared.ts):
// `fanout-child.ts IDLE CHANGES [DATABASE_URL]` prints one JSON line, the cost per change or the error.
import { createSandbox } from '../core/sandbox/create-sandbox.ts';
import { measureFanout } from '../tests/support/fanout.ts';

const [idle, changes, databaseUrl] = process.argv.slice(2);
const sandbox = createSandbox({ timeoutMs: 5000 });
try {
  const cost = await measureFanout({
    idle: Number(idle),
    kind: 'active',
    changes: Number(changes),
    sandbox: () => sandbox,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  process.stdout.write(`${JSON.stringify(cost)}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: String((err as Error).message ?? err).slice(0, 300) })}\n`);
} finally {
  await sandbox.close();
}
