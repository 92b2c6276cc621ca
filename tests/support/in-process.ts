// A whole host on a real database (the run's engine: a SQLite file in a temp dir, or a fresh PostgreSQL database),
// built by the composition root but not started: for API tests.
import fs from 'node:fs';
import { createAdaptorServer } from '@hono/node-server';
import { configWith, type HostConfig } from '../../core/config.ts';
import { type BuiltParts, createHost, type Host, type HostParts } from '../../core/host.ts';
import type { Sandbox } from '../../core/sandbox/sandbox.ts';
import type { SyncContext } from '../../core/sync/context.ts';
import { createHlc } from '../../core/sync/hlc.ts';
import { createBuiltinTracker } from '../../core/trackers/builtin/builtin-tracker.ts';
import { createMemoryTracker } from '../../core/trackers/memory/memory-tracker.ts';
import type { Db } from '../../storage/schema.ts';
import { tempDir } from './host-process.ts';
import { freshPostgres, TEST_DIALECT } from './test-postgres.ts';

export interface InProcessHost {
  /** The parts the host was built from (database, tracker, rules, sandbox...). */
  services: BuiltParts;
  token: string;
  /** A node http server for supertest (supertest binds it to an ephemeral port itself). */
  server: ReturnType<typeof createAdaptorServer>;
  app: Host['app'];
  close(): Promise<void>;
}

export async function inProcessHost(
  opts: {
    config?: { [S in keyof HostConfig]?: Partial<HostConfig[S]> };
    /** `memory`: a tracker that cannot join a transaction (the engine applies through its journal); or a factory. */
    tracker?: 'builtin' | 'memory' | HostParts['tracker'];
  } = {},
): Promise<InProcessHost> {
  const dataDir = tempDir();
  const token = 'test-admin-token-3f9c2e71b8d4a605';
  const fresh =
    TEST_DIALECT === 'postgres' && opts.config?.storage?.databaseUrl === undefined
      ? await freshPostgres()
      : undefined;
  const storage = { ...opts.config?.storage, dataDir, ...(fresh ? { databaseUrl: fresh.url } : {}) };
  const host = await createHost(
    configWith({
      ...opts.config,
      server: { port: 0, name: 'Test Host', adminToken: token, ...opts.config?.server },
      storage,
    }),
    {
      // Never started: no process registry or leases to run its connections, it holds them all.
      alone: true,
      tracker: (ctx) =>
        typeof opts.tracker === 'function'
          ? opts.tracker(ctx)
          : opts.tracker === 'memory'
            ? createMemoryTracker()
            : createBuiltinTracker(ctx.db, { blobs: ctx.blobs }),
    },
  );
  const server = createAdaptorServer({ fetch: host.app.fetch });
  return {
    services: host.parts,
    token,
    server,
    app: host.app,
    async close() {
      await host.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      await fresh?.drop();
    },
  };
}

/** A paired connection row as pairing would leave it (for engine tests that run without pairing). */
export async function insertConnection(
  db: Db,
  id: string,
  mode: 'basic' | 'visual' | 'script',
  state: 'active' | 'deactivated' = 'active',
): Promise<void> {
  const at = new Date().toISOString();
  await db
    .insertInto('connections')
    .values({
      id,
      link_id: `link-${id}`,
      role: 'inviter',
      name: `conn ${id}`,
      description: '',
      mode,
      state,
      outbound: 'up',
      inbound: 'up',
      local_name: 'here',
      remote_name: 'there',
      peer_node_id: null,
      peer_url: null,
      peer_name: null,
      peer_public_jwk: null,
      dials: 0,
      invitation_id: `inv-${id}`,
      invitation_expires_at: at,
      invitation_used_at: null,
      onboarding_message: null,
      onboarding_at: null,
      last_error: null,
      clock_skew_ms: null,
      peer_protocol: null,
      state_changed_at: at,
      created_at: at,
      updated_at: at,
    })
    .execute();
}

/** The sync engine's context over an in-process host, with a real sandbox and no rules service. */
export function syncContext(host: InProcessHost, sandbox: Sandbox, nodeId = 'node-b'): SyncContext {
  return {
    db: host.services.db,
    tracker: host.services.tracker,
    log: host.services.log,
    hlc: createHlc(nodeId),
    nodeId,
    sandbox: () => sandbox,
    rules: () => undefined,
  };
}
