// `tandem demo`: two real hosts (Acme Corp, Globex Services) paired through the invitation flow, with sample data.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TandemError } from '../errors.ts';
import { waitForSignal } from '../signals.ts';
import { type DemoHost, startDemoHost } from './demo-host.ts';
import { DEMO_RULES, DEMO_TRIGGERS, seedAcme } from './sample-data.ts';

const SIDES = [
  { dir: 'demo-acme', name: 'Acme Corp', role: 'customer' },
  { dir: 'demo-globex', name: 'Globex Services', role: 'provider' },
] as const;

const out = (s = '') => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`demo: ${s}\n`);

export function parseDemoArgs(args: readonly string[]): { base: string } {
  let base = process.env.TANDEM_DATA ?? './data';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    if (flag !== '--data')
      throw new TandemError('UNKNOWN_FLAG', 400, `Unknown option ${flag} (tandem demo [--data DIR])`);
    const value = inline ?? args[++i];
    if (!value) throw new TandemError('MISSING_VALUE', 400, 'Option --data needs a value');
    base = value;
  }
  return { base: path.resolve(base) };
}

/** Each run starts clean, but only ever removes what is recognisably a Tandem data directory. */
function freshDir(dir: string): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    const ours = entries.every((e) => /^(tandem\.db(-wal|-shm|-journal)?|node-key\.json|blobs)$/.test(e));
    if (!ours)
      throw new TandemError('DEMO_DIR_NOT_EMPTY', 409, `${dir} holds files that are not Tandem's; move them`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export async function runDemo(args: string[]): Promise<number> {
  const { base } = parseDemoArgs(args);
  const hosts: DemoHost[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    const codes = await Promise.all(hosts.map((h) => h.stop()));
    return codes.every((c) => c === 0);
  };
  try {
    for (const s of SIDES) freshDir(path.join(base, s.dir));
    note('starting Acme Corp and Globex Services');
    hosts.push(
      ...(await Promise.all(
        SIDES.map((s) =>
          startDemoHost({
            dataDir: path.join(base, s.dir),
            name: s.name,
            token: `tdm_${randomBytes(24).toString('base64url')}`,
          }),
        ),
      )),
    );
    const [acme, globex] = hosts as [DemoHost, DemoHost];
    for (const h of hosts) h.onExit(() => !stopping && note(`${h.name} stopped unexpectedly`));
    // Both hosts are reachable locally, so each advertises its listen URL and either may dial.
    for (const h of hosts) await h.call('PATCH', '/api/node', { publicUrl: h.url });

    note('pairing: Acme initiates, Globex accepts the invitation code');
    const created = await acme.call<{ connection: { id: string }; invitationCode: string }>(
      'POST',
      '/api/connections',
      {
        destinationUrl: globex.url,
        mode: 'script',
        localName: 'acme',
        remoteName: 'globex',
        name: 'Acme Corp to Globex Services',
        description: 'Demo: incidents, changes and catalog requests between a customer and its provider',
      },
    );
    const accepted = await globex.call<{ connection: { id: string } }>('POST', '/api/invitations/accept', {
      code: created.invitationCode,
    });
    const acmeConn = created.connection.id;
    const globexConn = accepted.connection.id;
    const states = await Promise.all([acme.waitActive(acmeConn), globex.waitActive(globexConn)]);

    for (const [h, id, rules] of [
      [acme, acmeConn, DEMO_RULES.acme],
      [globex, globexConn, DEMO_RULES.globex],
    ] as const) {
      const r = await h.request('PUT', `/api/connections/${id}/rules`, { ...rules, publish: true });
      if (r.status >= 300)
        note(`${h.name}: the demo rules were not saved (${r.status}); the default rules apply`);
    }
    let triggers = 0;
    for (const t of DEMO_TRIGGERS) {
      const r = await acme.request('POST', `/api/connections/${acmeConn}/triggers`, { ...t, active: true });
      if (r.status < 300) triggers++;
      else note(`trigger "${t.query}" was not created (${r.status})`);
    }
    const seeded = await seedAcme(acme);
    const arrived = triggers ? await globex.waitEntities(seeded.inScope, 15_000) : 0;

    const pad = Math.max(...hosts.map((h, i) => `${h.name} (${SIDES[i]!.role})`.length));
    out();
    out('Tandem demo is running: two hosts paired through a real invitation.');
    out();
    hosts.forEach((h, i) => {
      out(`  ${`${h.name} (${SIDES[i]!.role})`.padEnd(pad)}  ${h.url}  admin token: ${h.token}`);
    });
    out();
    out(
      `  Connection "Acme Corp to Globex Services" (script mode): ${states[0]} at Acme, ${states[1]} at Globex`,
    );
    const shared = triggers
      ? `${triggers} trigger(s) put ${seeded.inScope} in scope, ${arrived} reached Globex so far.`
      : 'no trigger could be created, so nothing is shared yet (see the messages above).';
    out(
      `  Acme has ${seeded.counts.incident} incidents, ${seeded.counts.change} changes and ${seeded.counts.request} catalog requests; ${shared}`,
    );
    out(
      `  Data: ${path.join(base, SIDES[0].dir)} and ${path.join(base, SIDES[1].dir)} (each run starts afresh).`,
    );
    out();
    out(
      'Open a URL, sign in with its token, change an incident and watch the other side. Ctrl-C stops both.',
    );
    await Promise.race([waitForSignal(), ...hosts.map((h) => h.exited)]);
    note('stopping both hosts');
    return (await stopAll()) ? 0 : 1;
  } catch (err) {
    await stopAll();
    if (err instanceof TandemError) throw err;
    note(`failed: ${(err as Error).message}`);
    return 1;
  }
}
