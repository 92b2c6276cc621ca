// The cost of a change does not grow with the connections it does not concern: statements counted per change.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { measureFanout } from '../../tests/support/fanout.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';

let sandbox: ManagedSandbox;
beforeEach(() => {
  sandbox = createSandbox({ timeoutMs: 1000 });
});
afterEach(async () => {
  await sandbox.close();
});

const statements = async (idle: number, kind: 'active' | 'deactivated') =>
  (await measureFanout({ idle, kind, changes: 3, sandbox: () => sandbox })).statements;

describe('a change on a host with many connections', () => {
  it('costs about as many statements with 50 active connections it does not concern as with none', async () => {
    const alone = await statements(0, 'active');
    const crowded = await statements(50, 'active');
    expect(alone).toBeGreaterThan(0);
    // Before routing, every connection ran its own scope reads and a transaction for each change (4 or more a piece).
    expect(crowded).toBeLessThanOrEqual(alone + 3);
  }, 60_000);

  it('and as many with 50 deactivated connections, which follow the feed too', async () => {
    const alone = await statements(0, 'active');
    const crowded = await statements(50, 'deactivated');
    expect(crowded).toBeLessThanOrEqual(alone + 3);
  }, 60_000);
});
