// Keeps the OpenAPI document true: every route of a real host app is documented, every documented route exists,
// and what the generated routes actually answer is what their published schemas say.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../core/config.ts';
import { createHost, type Host } from '../core/host.ts';
import { templateOf } from '../core/http/contract.ts';
import { GENERATED, openApiDocument } from '../core/http/openapi.ts';
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

describe('the published response schemas', () => {
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const seen = new Set<string>();

  /** Calls the app and checks the answer against the schema its operation publishes for that status. */
  async function call(method: string, path: string, template: string, body?: unknown) {
    const res = await app.request(path, {
      method,
      headers: auth,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const op = GENERATED.flatMap(([prefix, ops]) =>
      ops.map((o) => ({ ...o, at: templateOf(prefix, o.path) })),
    ).find((o) => o.method === method.toLowerCase() && o.at === template);
    expect(op, `${method} ${template} is a generated operation`).toBeDefined();
    const schema = (op!.responses as Record<number, unknown>)[res.status];
    expect(schema, `${method} ${template} publishes status ${res.status}`).not.toBeUndefined();
    seen.add(`${method} ${template}`);
    if (schema === null) {
      expect(await res.text()).toBe('');
      return undefined;
    }
    const json: unknown = await res.json();
    const parsed = (schema as import('zod').ZodType).safeParse(json);
    expect(parsed.success ? [] : parsed.error.issues, `${method} ${template} -> ${res.status}`).toEqual([]);
    return json as Record<string, unknown>;
  }

  it('answer every generated route with its published shape', async () => {
    await call('GET', '/.well-known/tandem', '/.well-known/tandem');
    await call('GET', '/healthz', '/healthz');
    await call('GET', '/api/session', '/api/session');
    await call('POST', '/api/session', '/api/session', { token: TOKEN });
    await call('DELETE', '/api/session', '/api/session');
    await call('GET', '/api/node', '/api/node');
    await call('PATCH', '/api/node', '/api/node', { name: 'Schema Host' });
    const created = await call('POST', '/api/entities', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Printer on fire', priority: 2, custom_field: { deep: [1, 2] } },
    });
    const id = String(created?.id);
    await call('GET', '/api/entities?type=incident', '/api/entities');
    await call('GET', `/api/entities/${id}`, '/api/entities/{id}');
    await call('PATCH', `/api/entities/${id}`, '/api/entities/{id}', { fields: { status: 'In Progress' } });
    await call('POST', `/api/entities/${id}/comments`, '/api/entities/{id}/comments', { body: 'Looking' });
    await call('GET', `/api/entities/${id}/sync`, '/api/entities/{id}/sync');
    await call('DELETE', `/api/entities/${id}`, '/api/entities/{id}');

    const generated = GENERATED.flatMap(([prefix, ops]) =>
      ops.map((o) => `${o.method.toUpperCase()} ${templateOf(prefix, o.path)}`),
    );
    expect(generated.filter((r) => !seen.has(r))).toEqual([]);
  });
});
