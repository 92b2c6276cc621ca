// Figure (f): a ServiceNow-backed host and a built-in host paired through the fake instance, bulk both ways.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signPush } from '../core/trackers/servicenow/push.ts';
import { type FakeServiceNow, startFakeServiceNow } from '../tests/support/fake-servicenow.ts';
import { startChild } from './child.ts';
import { makeRecord } from './payload.ts';
import { round, sleep } from './stats.ts';
import { describe, HostHandle, type Missing, pair, waitActive } from './tandem.ts';

/** One bulk phase: how many changes synced, in what time, for how many requests to the instance. */
export interface ServiceNowPhase {
  name: string;
  changes: number;
  seconds: number;
  perSecond: number;
  calls: number;
  callsPerChange: number;
}

export interface ServiceNowFigures {
  at: string;
  /** The machine it ran on (a partial run keeps the other figures of another run). */
  machine: string;
  records: number;
  phases: ServiceNowPhase[];
  /** All phases: requests to the instance (polls, reads, writes, batches) per change synced. */
  callsPerChange: number;
  perSecond: number;
  /** Requests by route over all phases (a Batch API request counts once). */
  calls: Record<string, number>;
  notes: string[];
}

/** Both sides sync what ServiceNow keeps on an incident: summary, description, state, priority, public comments. */
export const SERVICENOW_RULES = {
  outgoing: `
replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.status = entity.status;
replica.priority = entity.priority;
replica.comments = helpers.comments.merge(replica.comments, entity.comments);`,
  incoming: `
if (firstSync) entity.type = replica.type;
entity.summary = replica.summary;
entity.description = replica.description;
entity.status = replica.status;
entity.priority = replica.priority;
entity.comments = helpers.comments.merge(entity.comments, replica.comments);`,
};

const PUSH_SECRET = 'bench-push-secret-5c1e0a9f7d';
const STATE_OF: Record<string, string> = { new: '1', in_progress: '2', on_hold: '3', resolved: '6' };

/** Waits until `done()` holds (looked at every 100 ms), up to `timeoutMs`; answers when it first held. */
async function until(done: () => boolean, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return Date.now();
    await sleep(100);
  }
  return null;
}

export async function runServiceNow(
  workDir: string,
  opts: { records: number },
  log: (s: string) => void,
): Promise<ServiceNowFigures | Missing> {
  const n = opts.records;
  const sn = await startFakeServiceNow();
  sn.addUser({ userName: 'tandem', password: 'bench-Pw-1', roles: ['itil'] });
  const dirs = ['servicenow-a', 'servicenow-b'].map((d) => path.join(workDir, d));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  const configFile = path.join(workDir, 'servicenow.json');
  fs.writeFileSync(configFile, JSON.stringify({ entityTypes: ['incident'], pollMs: 1000, overlapMs: 3000 }));
  const start = (dir: string, name: string, env: Record<string, string> = {}) =>
    startChild<{ url: string; token: string }>('bench/tandem-host.ts', [dir, name], { ipc: true, env }).then(
      (c) => new HostHandle(c, name),
    );
  const a = await start(dirs[0]!, 'ServiceNow Host', {
    TANDEM_TRACKER: 'servicenow',
    TANDEM_TRACKER_CONFIG: configFile,
    TANDEM_SERVICENOW_URL: sn.url,
    TANDEM_SERVICENOW_USER: 'tandem',
    TANDEM_SERVICENOW_PASSWORD: 'bench-Pw-1',
    TANDEM_SERVICENOW_PUSH_SECRET: PUSH_SECRET,
  });
  const b = await start(dirs[1]!, 'Builtin Host');
  try {
    for (const h of [a, b]) await h.api('PATCH', '/api/node', { publicUrl: h.url });
    const paired = await pair(a, b, 'servicenow-bench');
    if ('missing' in paired) return { missing: `pairing is not available: ${paired.missing}` };
    await Promise.all([waitActive(a, paired.a), waitActive(b, paired.b)]);
    for (const [h, id] of [
      [a, paired.a],
      [b, paired.b],
    ] as const) {
      const rules = await h.api('PUT', `/api/connections/${id}/rules`, {
        ...SERVICENOW_RULES,
        publish: true,
      });
      if (rules.status >= 300) return { missing: `${h.name}: PUT rules answered ${describe(rules)}` };
      const trig = await h.api('POST', `/api/connections/${id}/triggers`, {
        entityType: 'incident',
        query: 'type = "incident"',
        active: true,
      });
      if (trig.status >= 300) return { missing: `${h.name}: POST triggers answered ${describe(trig)}` };
    }
    await sleep(2000); // both feeds at their head, the incident table followed
    return await measure(sn, a, b, n, log);
  } finally {
    await Promise.all([a.child.stop(), b.child.stop()]);
    await sn.close();
  }
}

/** The Business Rule's wake-up: what makes ServiceNow's changes reach the host without waiting for a poll. */
async function wake(a: HostHandle): Promise<void> {
  const body = JSON.stringify({ table: 'incident' });
  await fetch(`${a.url}/hooks/tracker`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tandem-signature': `sha256=${signPush(PUSH_SECRET, body).toString('hex')}`,
    },
    body,
  });
}

async function measure(
  sn: FakeServiceNow,
  a: HostHandle,
  b: HostHandle,
  n: number,
  log: (s: string) => void,
): Promise<ServiceNowFigures | Missing> {
  const phases: ServiceNowPhase[] = [];
  const notes: string[] = [];
  const byRoute: Record<string, number> = {};
  const phase = (name: string, t0: number, done: number | null) => {
    const calls = sn.calls();
    for (const [route, k] of Object.entries(sn.callsByRoute())) byRoute[route] = (byRoute[route] ?? 0) + k;
    if (done === null) return `${name}: not complete within the time limit`;
    const seconds = (done - t0) / 1000;
    phases.push({
      name,
      changes: n,
      seconds: round(seconds, 2),
      perSecond: Math.round(n / seconds),
      calls,
      callsPerChange: round(calls / n, 3),
    });
    return undefined;
  };
  const journalEntries = () => sn.records('sys_journal_field').length;

  // 1. Records created in ServiceNow (each with a comment) reach the built-in host.
  log(`servicenow: ${n} records created in ServiceNow -> built-in`);
  sn.clearRequests();
  await b.call('reset');
  let t0 = Date.now();
  const seeded = Array.from({ length: n }, (_, i) => {
    const r = makeRecord(i);
    return sn.seed(
      'incident',
      {
        short_description: r.summary,
        description: r.description,
        state: STATE_OF[r.status] ?? '1',
        priority: String(r.priority),
        comments: `Reported by ${r.assignee}`,
      },
      'service.desk',
    );
  });
  await wake(a);
  let done = await b.call<{ count: number; last: number | null }>('waitApplied', { n, timeoutMs: 300_000 });
  let missing = phase(
    'ServiceNow -> built-in, creates with a comment',
    t0,
    done.count >= n ? done.last : null,
  );
  if (missing) return { missing };

  // 2. Entities created on the built-in host (each with a comment) reach ServiceNow.
  log(`servicenow: ${n} entities created on the built-in host -> ServiceNow`);
  await sleep(1500);
  sn.clearRequests();
  const entriesBefore = journalEntries();
  t0 = Date.now();
  await b.call('load', { n, from: n, comments: 1 });
  const created = await until(
    () =>
      sn.records('incident', 'correlation_displayISNOTEMPTY').length >= n &&
      journalEntries() >= entriesBefore + n,
    300_000,
  );
  missing = phase('built-in -> ServiceNow, creates with a comment', t0, created);
  if (missing) return { missing };

  // 3. Every record of phase 1 edited in ServiceNow reaches the built-in host.
  log(`servicenow: ${n} edits in ServiceNow -> built-in`);
  await sleep(1500);
  sn.clearRequests();
  await b.call('reset');
  t0 = Date.now();
  for (const [i, rec] of seeded.entries())
    sn.update('incident', rec.sys_id!, { description: `Edited in ServiceNow ${i}` }, 'service.desk');
  await wake(a);
  done = await b.call<{ count: number; last: number | null }>('waitApplied', { n, timeoutMs: 300_000 });
  missing = phase('ServiceNow -> built-in, updates', t0, done.count >= n ? done.last : null);
  if (missing) return { missing };

  // 4. Every entity of phase 2 edited on the built-in host reaches ServiceNow.
  log(`servicenow: ${n} edits on the built-in host -> ServiceNow`);
  await sleep(1500);
  sn.clearRequests();
  t0 = Date.now();
  await b.call('update', { n, batch: 100, tag: 'bu', field: 'description' });
  const updated = await until(() => sn.records('incident', 'descriptionSTARTSWITHbu-').length >= n, 300_000);
  missing = phase('built-in -> ServiceNow, updates', t0, updated);
  if (missing) return { missing };

  const calls = phases.reduce((s, p) => s + p.calls, 0);
  const changes = phases.reduce((s, p) => s + p.changes, 0);
  const seconds = phases.reduce((s, p) => s + p.seconds, 0);
  notes.push(
    `(f) ${n} records per phase; a request is one HTTP request to the instance (a Batch API request counts once, whatever it carries); polls, reads and user look-ups included.`,
  );
  return {
    at: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`,
    records: n,
    phases,
    callsPerChange: round(calls / changes, 3),
    perSecond: Math.round(changes / seconds),
    calls: byRoute,
    notes,
  };
}
