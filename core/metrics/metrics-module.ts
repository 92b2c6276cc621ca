// The `metrics` host module: builds the registry, exposes it as `services.metrics`, serves GET /metrics.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { TandemError } from '../errors.ts';
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import type { AppEnv } from '../http/app-env.ts';
import { SESSION_COOKIE } from '../http/auth-middleware.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { createMetrics, type HostMetrics } from './metrics.ts';
import { readSnapshot } from './snapshot.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True for the admin token, the metrics token (TANDEM_METRICS_TOKEN) or an admin session cookie. */
async function allowed(
  host: HostServices,
  metricsTokenHash: Buffer | undefined,
  header: string | undefined,
  session: string | undefined,
) {
  if (header) {
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!token) return false;
    if (metricsTokenHash && timingSafeEqual(sha256(token), metricsTokenHash)) return true;
    return host.auth.checkToken(token);
  }
  return !!session && (await host.auth.checkSession(session));
}

export function metricsRoutes(metrics: HostMetrics, metricsToken: string | undefined) {
  const tokenHash = metricsToken ? sha256(metricsToken) : undefined;
  return new Hono<AppEnv>().get('/', async (c) => {
    if (!(await allowed(c.var.host, tokenHash, c.req.header('authorization'), getCookie(c, SESSION_COOKIE))))
      throw new TandemError('UNAUTHORIZED', 401, 'The admin token or the metrics token is required');
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}

/** Times every batch the sandbox runs, whoever calls it, and reports it per rule run. */
function timeRuleRuns(sandbox: Sandbox, metrics: HostMetrics): void {
  const run = sandbox.run.bind(sandbox);
  sandbox.run = async (connectionId, program, calls, api) => {
    const started = performance.now();
    try {
      return await run(connectionId, program, calls, api);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const outgoing = calls.filter((c) => c.script === 'outgoing').length;
      const incoming = calls.length - outgoing;
      if (outgoing) metrics.ruleRun('outgoing', (seconds * outgoing) / calls.length, outgoing);
      if (incoming) metrics.ruleRun('incoming', (seconds * incoming) / calls.length, incoming);
    }
  };
}

/**
 * Listed first in core/modules.ts so every later module finds `services.metrics` in its factory.
 * @example hostModules = [createMetricsModule, ...]
 */
export function createMetricsModule(services: HostServices): HostModule {
  const metrics = createMetrics();
  services.metrics = metrics;
  let off: (() => void) | undefined;
  return {
    name: 'metrics',
    routes: [['/metrics', metricsRoutes(metrics, services.config.metrics.token)]],
    async start() {
      off = metrics.onCollect(async () => metrics.apply(await readSnapshot(services.db, services.link)));
      if (services.sandbox) timeRuleRuns(services.sandbox, metrics);
    },
    async stop() {
      off?.();
    },
  };
}
