// The example tracker module syncs: a host on the JSON-file tracker (loaded by path) and a built-in host, both ways.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHostProcess, stopAllHosts, waitFor } from './support/host-process.ts';
import { accept, initiate, waitConn } from './support/pairing-support.ts';
import { bySummary, createEntity, patchEntity, SYNC_ENV, syncAllIncidents } from './support/sync.ts';

const EXAMPLE = fileURLToPath(new URL('./support/example-tracker/json-file-tracker.ts', import.meta.url));

afterAll(stopAllHosts);

describe('a tracker module in a paired host', () => {
  it("sends what it stores to a built-in peer, and applies the peer's edit to its own file", async () => {
    const [a, b] = await Promise.all([
      startHostProcess({ name: 'Json', env: { ...SYNC_ENV, TANDEM_TRACKER: EXAMPLE } }),
      startHostProcess({ name: 'Builtin', env: SYNC_ENV }),
    ]);
    expect((await a.api('PATCH', '/api/node', { publicUrl: a.url })).status).toBe(200);
    const { connection, invitationCode } = await initiate(a, null, { mode: 'script' });
    const accepted = await accept(b, invitationCode);
    expect(accepted.status).toBe(201);
    const bConn = accepted.body.connection.id;
    await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up, 20_000);
    await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up, 20_000);
    await syncAllIncidents(a, connection.id);
    await syncAllIncidents(b, bConn);

    const made = await createEntity(a, { summary: 'Stored in a JSON file', priority: 2 });
    const onB = (await waitFor(async () => (await bySummary(b)).get('Stored in a JSON file'), 20_000))!;
    expect(onB.fields).toMatchObject({ summary: 'Stored in a JSON file' });

    await patchEntity(b, onB.id, { description: 'Edited on the built-in peer' });
    const file = path.join(a.dataDir, 'json-tracker.json');
    await waitFor(() => {
      const store = JSON.parse(fs.readFileSync(file, 'utf8'));
      return store.entities[made.id]?.fields.description === 'Edited on the built-in peer';
    }, 20_000);
  }, 90_000);
});
