// `tandem demo` as a real child process: two hosts up and paired, sample data shared, Ctrl-C stops all cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from './support/host-process.ts';

const BIN = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));
let child: ChildProcess | undefined;
const base = tempDir('tandem-demo-');

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(base, { recursive: true, force: true });
});

interface Printed {
  name: string;
  url: string;
  token: string;
}

type Item = { id: string; type: string; fields: { summary: string; status: string } };

async function waitForItems(h: Printed, n: number): Promise<Item[]> {
  return waitFor<Item[] | undefined>(async () => {
    const { items } = await get<{ items: Item[] }>(h, '/api/entities?limit=200');
    return items.length >= n ? items : undefined;
  }, 20_000) as Promise<Item[]>;
}

async function get<T>(h: Printed, route: string): Promise<T> {
  const res = await fetch(`${h.url}${route}`, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status, `${h.name} ${route}`).toBe(200);
  return (await res.json()) as T;
}

describe('tandem demo', () => {
  it('starts two paired hosts, prints their URLs and tokens, and stops both on SIGINT', async () => {
    child = spawn(process.execPath, [BIN, 'demo', '--data', base], {
      env: { ...process.env, TANDEM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URLs printed:\n${out}\n${err}`)), 60_000);
      const check = () => {
        if (out.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`demo exited with ${code}:\n${out}\n${err}`)));
    });

    const printed: Printed[] = [
      ...out.matchAll(/^\s+(Acme Corp|Globex Services) \(\w+\)\s+(http:\/\/\S+)\s+admin token: (\S+)$/gm),
    ].map((m) => ({ name: m[1]!, url: m[2]!, token: m[3]! }));
    expect(printed.map((p) => p.name)).toEqual(['Acme Corp', 'Globex Services']);
    const [acme, globex] = printed as [Printed, Printed];
    expect(acme.url).not.toBe(globex.url);

    // Both up, named, and paired with each other through the invitation flow.
    for (const h of printed) {
      expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ ok: true });
      expect((await get<{ name: string }>(h, '/api/node')).name).toBe(h.name);
    }
    type Conn = { state: string; mode: string; peer: { name: string | null; nodeId: string | null } };
    const acmeConns = (await get<{ items: Conn[] }>(acme, '/api/connections')).items;
    const globexConns = (await get<{ items: Conn[] }>(globex, '/api/connections')).items;
    expect(acmeConns).toHaveLength(1);
    expect(globexConns).toHaveLength(1);
    expect(acmeConns[0]).toMatchObject({
      state: 'active',
      mode: 'script',
      peer: { name: 'Globex Services' },
    });
    expect(globexConns[0]).toMatchObject({ state: 'active', mode: 'script', peer: { name: 'Acme Corp' } });
    expect(acmeConns[0]!.peer.nodeId).toBe((await get<{ nodeId: string }>(globex, '/api/node')).nodeId);

    // Acme holds the sample incidents, changes and catalog requests.
    const entities = (await get<{ items: { type: string }[] }>(acme, '/api/entities?limit=200')).items;
    const types = entities.map((e) => e.type);
    for (const t of ['incident', 'change', 'request']) expect(types).toContain(t);

    // The triggers shared what is in scope with Globex, through each side's own rules: urgent incidents
    // (statuses mapped to Globex's words), changes past draft, approved requests; no internal note left Acme.
    type Entity = { type: string; fields: { summary: string; status: string }; comments: { body: string }[] };
    const shared = await waitForItems(globex, 6);
    const summaries = shared.map((e) => e.fields.summary).sort();
    expect(summaries).toEqual(
      [
        'Email delivery delayed for all Acme users',
        'VPN drops every 20 minutes in the Berlin office',
        'Payroll portal login fails with an SSO error',
        'Upgrade the core switches in DC1',
        'New laptop for Jane Doe (developer)',
        'Two extra monitors for the service desk',
      ].sort(),
    );
    const mail = shared.find((e) => e.fields.summary.startsWith('Email delivery'))!;
    expect(mail.fields.status).toBe('working');
    await waitFor(async () =>
      (await get<Entity>(globex, `/api/entities/${mail.id}`)).comments.length > 0 ? true : undefined,
    );
    const bodies = (await get<Entity>(globex, `/api/entities/${mail.id}`)).comments.map((c) => c.body);
    expect(bodies).toEqual(['Users in every office report delays of 30+ minutes.']);

    // Each host has its own data directory under --data.
    for (const d of ['demo-acme', 'demo-globex'])
      expect(fs.existsSync(path.join(base, d, 'tandem.db')), d).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const h of printed) await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
    expect(err).not.toContain(acme.token);
  });
});
