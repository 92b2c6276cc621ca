// Core services on a real SQLite file in a temp dir, without a server: for API tests through supertest.
import fs from 'node:fs';
import { createAdaptorServer } from '@hono/node-server';
import type { HostConfig } from '../../core/config.ts';
import { createHostServices } from '../../core/host.ts';
import type { HostServices } from '../../core/host-services.ts';
import { type ApiRoutes, createApp } from '../../core/http/app.ts';
import { tempDir } from './host-process.ts';

export interface InProcessHost {
  services: HostServices;
  token: string;
  /** A node http server for supertest (supertest binds it to an ephemeral port itself). */
  server: ReturnType<typeof createAdaptorServer>;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function inProcessHost(
  opts: { extraApi?: ApiRoutes; config?: Partial<HostConfig> } = {},
): Promise<InProcessHost> {
  const dataDir = tempDir();
  const token = 'test-admin-token';
  const { services, database } = await createHostServices({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    name: 'Test Host',
    publicUrl: undefined,
    adminToken: token,
    ...opts.config,
  });
  const app = createApp(services, opts.extraApi);
  const server = createAdaptorServer({ fetch: app.fetch });
  return {
    services,
    token,
    server,
    app,
    async close() {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
