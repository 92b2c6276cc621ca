// Keeps the OpenAPI document true: every route of a real host app is documented, every documented route exists.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../core/config.ts';
import { createHost, type Host } from '../core/host.ts';
import { openApiDocument } from '../core/http/openapi.ts';
import { createBuiltinTracker } from '../core/trackers/builtin/builtin-tracker.ts';
import { tempDir } from './support/host-process.ts';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const TOKEN = 'openapi-test-token-5b1f0c9e7d2a4863';
/** Routes outside /api that the document describes (the console's own pages are not API). */
const PUBLIC = new Set(['/.well-known/tandem', '/healthz', '/metrics']);

let app: Host['app'];
let close: () => Promise<void>;
const dir = tempDir('tandem-openapi-');

beforeAll(async () => {
  // The composition root of `tandem start`, not started: every route, no port.
  const config = resolveConfig(['--data', dir, '--port', '0'], { TANDEM_ADMIN_TOKEN: TOKEN });
  const host = await createHost(config, { tracker: ({ db }) => createBuiltinTracker(db) });
  app = host.app;
  close = host.close;
});

afterAll(async () => {
  await close?.();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `/api/connections/:id` -> `/api/connections/{id}`, without a trailing slash. */
const toTemplate = (p: string) =>
  (p.length > 1 ? p.replace(/\/+$/, '') : p).replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

function servedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const r of app.routes) {
    if (!METHODS.has(r.method)) continue;
    const p = toTemplate(r.path);
    if (p.startsWith('/api/') || p === '/api' || PUBLIC.has(p)) out.add(`${r.method} ${p}`);
  }
  return out;
}

function documentedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [p, ops] of Object.entries(openApiDocument.paths))
    for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${p}`);
  return out;
}

describe('the OpenAPI document', () => {
  it('documents every /api route the host serves', () => {
    const documented = documentedRoutes();
    const undocumented = [...servedRoutes()].filter((r) => !documented.has(r)).sort();
    expect(undocumented).toEqual([]);
  });

  it('documents only routes the host serves', () => {
    const served = servedRoutes();
    const phantom = [...documentedRoutes()].filter((r) => !served.has(r)).sort();
    expect(phantom).toEqual([]);
  });

  it('is OpenAPI 3.1 with every $ref resolvable and every path parameter declared', () => {
    expect(openApiDocument.openapi).toBe('3.1.0');
    const text = JSON.stringify(openApiDocument);
    const doc = JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [, target] of text.matchAll(/"\$ref":"#\/components\/(\w+\/\w+)"/g)) {
      const [kind, name] = target!.split('/');
      expect(doc.components?.[kind!]?.[name!], `$ref ${target}`).toBeDefined();
    }
    for (const [p, ops] of Object.entries(openApiDocument.paths)) {
      const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const params = ((op as { parameters?: { name: string; in: string }[] }).parameters ?? [])
          .filter((x) => x.in === 'path')
          .map((x) => x.name);
        expect(params.sort(), `${method.toUpperCase()} ${p}`).toEqual([...names].sort());
      }
    }
    const ids = Object.values(openApiDocument.paths).flatMap((ops) =>
      Object.values(ops).map((o) => (o as { operationId: string }).operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is served at /api/openapi.json behind the admin token', async () => {
    const anonymous = await app.request('/api/openapi.json');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthorized');
    const res = await app.request('/api/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});
