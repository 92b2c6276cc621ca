// The admin console's routes, served from ui/dist at `/` (built on start when missing); the CLI hands them to the host.
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { AppEnv } from '../core/http/app-env.ts';
import type { Logger } from '../core/log.ts';
import { buildUi, isBuilt, UI_DIST } from './build.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // CodeMirror injects its theme as <style> elements.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Paths the console never answers: the API, the well-known document, the link, health and metrics routes. */
export function isReservedPath(p: string): boolean {
  return (
    p === '/api' ||
    p.startsWith('/api/') ||
    p.startsWith('/.well-known/') ||
    p === '/healthz' ||
    p === '/metrics' ||
    p === '/link' ||
    p.startsWith('/link/')
  );
}

/** Static files with cache headers, and index.html for every other page path (client-side routes). */
export function createUiRoutes(distDir = UI_DIST): Hono<AppEnv> {
  const assets = serveStatic<AppEnv>({
    root: distDir,
    onFound: (file, c) => {
      c.header('X-Content-Type-Options', 'nosniff');
      if (file.includes('/assets/')) c.header('Cache-Control', IMMUTABLE);
      else c.header('Cache-Control', REVALIDATE);
      if (file.endsWith('.html')) {
        c.header('Content-Security-Policy', CSP);
        c.header('Content-Type', 'text/html; charset=utf-8');
      }
    },
  });
  const index = serveStatic<AppEnv>({
    root: distDir,
    path: 'index.html',
    onFound: (_file, c) => {
      c.header('Cache-Control', REVALIDATE);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Content-Security-Policy', CSP);
      c.header('Content-Type', 'text/html; charset=utf-8');
    },
  });
  return new Hono<AppEnv>().on(['GET', 'HEAD'], '*', async (c, next) => {
    const p = c.req.path;
    if (isReservedPath(p)) return next();
    const res = await assets(c, async () => {});
    if (res) return res;
    // A missing file (a path with an extension) is a 404, not the page shell.
    if (p.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(p)) return next();
    return (await index(c, async () => {})) ?? next();
  });
}

/**
 * The console's routes; builds ui/dist first when it is missing (a fresh checkout without `npm ci`).
 * @example await startHost(config, { tracker, console: await consoleRoutes(log), log });
 */
export async function consoleRoutes(log: Logger): Promise<Hono<AppEnv>> {
  if (!(await isBuilt())) {
    log.info('ui/dist is missing; building the admin console');
    try {
      await buildUi();
    } catch (err) {
      // The API keeps working without the console; say why the pages are missing.
      log.error({ err }, 'building the admin console failed; run `npm run build:ui`');
    }
  }
  return createUiRoutes();
}
