// The host's HTTP app: public routes, the admin API under /api, and problem+json errors.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { TandemError } from '../errors.ts';
import type { HostServices } from '../host-services.ts';
import type { AppEnv } from './app-env.ts';
import { requireAdmin } from './auth-middleware.ts';
import { createCredentialLimit } from './credential-limit.ts';
import { onError, problemResponse } from './problem.ts';
import { entityRoutes } from './routes/entities.ts';
import { nodeRoutes } from './routes/node.ts';
import { publicRoutes } from './routes/public.ts';
import { sessionRoutes } from './routes/session.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Route modules other subsystems contribute under /api (connections, rules, sync...), mounted after auth. */
export type ApiRoutes = Array<[path: string, routes: Hono<AppEnv>]>;

export function createApp(host: HostServices, extraApi: ApiRoutes = []) {
  const app = new Hono<AppEnv>();
  const credentialLimit = createCredentialLimit({
    trustedProxies: host.config.server.trustedProxies,
    log: host.log,
  });
  app.use('*', async (c, next) => {
    c.set('host', host);
    c.set('credentialLimit', credentialLimit);
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new TandemError('PAYLOAD_TOO_LARGE', 413, `The request body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.onError(onError);
  app.notFound((c) => problemResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`));

  app.route('/', publicRoutes);
  app.route('/api/session', sessionRoutes);
  app.use('/api/*', requireAdmin);
  app.route('/api/node', nodeRoutes);
  app.route('/api/entities', entityRoutes);
  for (const [path, routes] of extraApi) app.route(path, routes);
  return app;
}

export type App = ReturnType<typeof createApp>;
