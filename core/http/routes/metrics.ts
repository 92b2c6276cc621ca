// GET /metrics: the registry in Prometheus text, for the admin token, the metrics token or an admin session.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { TandemError } from '../../errors.ts';
import type { HostMetrics } from '../../metrics/metrics.ts';
import type { AdminAuth } from '../admin-auth.ts';
import { SESSION_COOKIE } from '../admin-auth.ts';
import type { AppEnv } from '../app-env.ts';
import { operation } from '../contract.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const REQUIRED = 'The admin token or the metrics token is required';

export const metricsOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getMetrics',
    tag: 'Public',
    summary: 'Prometheus metrics',
    description: 'Needs the admin token, an admin session or the metrics token (`TANDEM_METRICS_TOKEN`).',
    security: [{ bearer: [] }, { session: [] }, { metricsToken: [] }],
    responses: { 200: 'text/plain' },
    problems: [429],
  }),
];

interface MetricsRouteDeps {
  metrics: HostMetrics;
  auth: AdminAuth;
  /** TANDEM_METRICS_TOKEN (config.metrics.token): opens /metrics and nothing else. */
  token: string | undefined;
}

/**
 * A wrong bearer token counts against the caller's address like any wrong admin credential.
 * @example app.route('/metrics', metricsRoutes({ metrics, auth, token: config.metrics.token }))
 */
export const metricsRoutes = ({ metrics, auth, token }: MetricsRouteDeps) => {
  const tokenHash = token ? sha256(token) : undefined;
  return new Hono<AppEnv>().get('/', async (c) => {
    const header = c.req.header('authorization');
    if (header) {
      const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      const ok =
        !!bearer && ((tokenHash && timingSafeEqual(sha256(bearer), tokenHash)) || auth.checkToken(bearer));
      if (!ok) throw c.var.credentialLimit.failed(c, REQUIRED);
    } else {
      const session = getCookie(c, SESSION_COOKIE);
      if (!session || !(await auth.checkSession(session)))
        throw new TandemError('UNAUTHORIZED', 401, REQUIRED);
    }
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
};
