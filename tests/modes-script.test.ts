// Script mode end to end on real hosts: default and custom rules, compile errors, and the sandbox's containment
// of a throwing rule, an infinite loop and a memory bomb while the host and its other connection go on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';
import {
  addComment,
  addTrigger,
  createEntity,
  type Entity,
  getRules,
  openErrors,
  pairInMode,
  patchEntity,
  type SyncError,
  twinOf,
  until,
  waitEntity,
} from './support/modes-support.ts';
import { type Conn, type Problem, publicHost } from './support/pairing-support.ts';

/**
 * A's sandbox limits: a small heap so the memory bomb ends quickly, and CPU time to spare so that it is
 * the memory limit that ends it even on a busy machine (the loop then runs for a second).
 */
const LIMITS = { TANDEM_RULE_TIMEOUT_MS: '1000', TANDEM_RULE_WALL_MS: '2000', TANDEM_RULE_MEMORY_MB: '16' };

let a: HostProcess;
let b: HostProcess;
let c: HostProcess;
let ab: { a: Conn; b: Conn };
let ac: { a: Conn; b: Conn };

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    publicHost('Acme Corp', { env: LIMITS }),
    publicHost('Globex Services'),
    publicHost('Initech'),
  ]);
  [ab, ac] = await Promise.all([pairInMode(a, b, 'script'), pairInMode(a, c, 'script')]);
  await addTrigger(a, ab.a.id, 'priority >= 1');
  await addTrigger(a, ac.a.id, 'priority >= 1');
});
afterAll(stopAllHosts);

async function publish(h: HostProcess, connectionId: string, rules: { outgoing: string; incoming: string }) {
  const r = await h.api<{ version: number }>('PUT', `/api/connections/${connectionId}/rules`, {
    ...rules,
    publish: true,
  });
  expect(r.status).toBe(200);
  return r.body.version;
}

/** The entity of `h` whose summary is `summary`, once it exists. */
function arrived(h: HostProcess, summary: string): Promise<Entity> {
  return until(async () => {
    const r = await h.api<{ items: Entity[] }>('GET', `/api/entities?q=${encodeURIComponent(summary)}`);
    return r.body.items.find((e) => e.fields.summary === summary);
  });
}

const DEFAULT_OUTGOING = [
  'replica.type = entity.type;',
  'replica.key = entity.key;',
  'replica.summary = entity.summary;',
  'replica.status = entity.status;',
  'replica.priority = entity.priority;',
  'replica.comments = helpers.comments.merge(replica.comments, entity.comments);',
].join('\n');

describe('script mode between real hosts', () => {
  it('works at once with the default rules', async () => {
    const rules = await getRules(a, ab.a.id);
    expect(rules).toMatchObject({ mode: 'script', editable: true, version: 1, origin: 'default' });
    const created = await createEntity(a, {
      summary: 'Default rules',
      description: 'sent as is',
      status: 'new',
      priority: 3,
    });
    const atB = await waitEntity(b, await twinOf(a, created.id, ab.a.id), () => true);
    expect(atB.fields).toMatchObject({
      summary: 'Default rules',
      description: 'sent as is',
      status: 'new',
      priority: 3,
    });
  });

  it('runs published custom rules: a status map each way and merged public comments', async () => {
    const globexIncoming = [
      "const STATUS = { new: 'open', in_progress: 'working', resolved: 'done' };",
      'entity.summary = replica.summary;',
      "entity.status = helpers.map(replica.status, STATUS, 'open');",
      'entity.priority = replica.priority;',
      'entity.comments = helpers.comments.merge(entity.comments, replica.comments);',
    ].join('\n');
    const acmeIncoming = [
      "const STATUS = { open: 'new', working: 'in_progress', done: 'resolved' };",
      "entity.status = helpers.map(replica.status, STATUS, entity.status ?? 'new');",
      'entity.comments = helpers.comments.merge(entity.comments, replica.comments);',
    ].join('\n');
    expect(await publish(b, ab.b.id, { outgoing: DEFAULT_OUTGOING, incoming: globexIncoming })).toBe(2);
    expect(await publish(a, ab.a.id, { outgoing: DEFAULT_OUTGOING, incoming: acmeIncoming })).toBe(2);

    const mapped = await createEntity(a, { summary: 'VPN flaps', status: 'in_progress', priority: 2 });
    await addComment(a, mapped.id, 'Tunnel logs attached to the internal ticket', true);
    await addComment(a, mapped.id, 'Looking into it', false);
    const unmapped = await createEntity(a, { summary: 'Badge reader', status: 'on_hold', priority: 4 });
    const mappedB = await twinOf(a, mapped.id, ab.a.id);
    const atB = await waitEntity(b, mappedB, (e) => e.comments.length > 0);
    expect(atB.fields).toMatchObject({ summary: 'VPN flaps', status: 'working', priority: 2 });
    expect(atB.comments.map((x) => x.body)).toEqual(['Looking into it']);
    const unmappedAtB = await waitEntity(b, await twinOf(a, unmapped.id, ab.a.id), () => true);
    expect(unmappedAtB.fields.status).toBe('open'); // no entry for on_hold: the fallback

    await patchEntity(b, mappedB, { status: 'done' });
    await addComment(b, mappedB, 'Fixed on our side', false);
    const back = await waitEntity(
      a,
      mapped.id,
      (e) => e.fields.status === 'resolved' && e.comments.length === 3,
    );
    expect(back.comments.map((x) => x.body)).toEqual([
      'Tunnel logs attached to the internal ticket',
      'Looking into it',
      'Fixed on our side',
    ]);
  });

  it('refuses a script that does not compile with 422, line and column, and keeps the published version', async () => {
    const r = await a.api<Problem & { errors: { script: string; line: number; column: number }[] }>(
      'PUT',
      `/api/connections/${ab.a.id}/rules`,
      {
        outgoing: 'replica.type = entity.type;\nreplica.summary = entity.summary;\nreplica.x = (;',
        incoming: '',
        publish: true,
      },
    );
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('script_compile_error');
    expect(r.body.errors).toEqual([expect.objectContaining({ script: 'outgoing', line: 3, column: 14 })]);
    expect(r.body.detail).toMatch(/outgoing script at line 3, column 14/);
    expect((await getRules(a, ab.a.id)).version).toBe(2);
  });

  it('contains a throw, an infinite loop and a memory bomb as entity errors with script and line', async () => {
    const outgoing = [
      DEFAULT_OUTGOING, // lines 1-6
      "if (entity.summary.startsWith('throw')) throw new Error('cannot send ' + entity.key);",
      "if (entity.summary.startsWith('loop')) { for (;;) {} }",
      "if (entity.summary.startsWith('bomb')) {",
      '  const hoard = [];',
      '  while (true) hoard.push(new Array(100000).fill(entity.priority + 0.5));',
      '}',
    ].join('\n');
    const incoming = [
      'entity.summary = replica.summary;',
      'entity.status = replica.status;',
      "if (replica.summary.startsWith('reject')) throw new TypeError('Globex does not take ' + replica.key);",
    ].join('\n');
    await publish(a, ab.a.id, { outgoing, incoming: '' });
    await publish(b, ab.b.id, { outgoing: DEFAULT_OUTGOING, incoming });

    // The API keeps answering while the rules fail: /healthz is asked along with every look at the
    // errors below, all the time the rules are failing (0: no answer).
    const health: number[] = [];
    const healthz = async () => {
      health.push(
        await fetch(`${a.url}/healthz`).then(
          (r) => r.status,
          () => 0,
        ),
      );
    };

    const bad: Record<string, Entity> = {};
    for (const summary of ['throw it', 'loop forever', 'bomb away', 'reject it'])
      bad[summary] = await createEntity(a, { summary, status: 'new', priority: 3 });
    const after = await createEntity(a, { summary: 'fine after', status: 'new', priority: 3 });
    const errorsAtA = await until(async () => {
      const [open] = await Promise.all([openErrors(a, ab.a.id), healthz()]);
      // A's own errors: B's failure is listed here too once reported back (side: peer), sooner or later.
      const here = open.filter((e) => (e as SyncError & { side?: string }).side !== 'peer');
      return here.length >= 3 ? here : undefined;
    }, 20_000);
    const errorsAtB = await until(async () => {
      const [open] = await Promise.all([openErrors(b, ab.b.id), healthz()]);
      return open.length >= 1 ? open : undefined;
    });
    // Every other entity flows on, on this connection and on A's other one.
    await waitEntity(b, await twinOf(a, after.id, ab.a.id), (e) => e.fields.summary === 'fine after');
    for (const summary of ['throw it', 'loop forever', 'bomb away', 'reject it', 'fine after'])
      await arrived(c, summary);

    const errorFor = (errors: SyncError[], summary: string) =>
      errors.find((e) => e.entityId === bad[summary]!.id);
    expect(errorsAtA).toHaveLength(3);
    expect(errorFor(errorsAtA, 'throw it')).toMatchObject({
      level: 'entity',
      direction: 'out',
      script: 'outgoing',
      scriptLine: 7,
      message: expect.stringContaining(`cannot send ${bad['throw it']!.key}`),
    });
    expect(errorFor(errorsAtA, 'loop forever')).toMatchObject({
      level: 'entity',
      script: 'outgoing',
      scriptLine: 8,
      message: expect.stringMatching(/timeout/),
    });
    expect(errorFor(errorsAtA, 'bomb away')).toMatchObject({
      level: 'entity',
      script: 'outgoing',
      scriptLine: 11,
      message: expect.stringMatching(/memory/),
    });
    expect(errorsAtB).toEqual([
      expect.objectContaining({
        level: 'entity',
        direction: 'in',
        script: 'incoming',
        scriptLine: 3,
        message: expect.stringContaining(`Globex does not take ${bad['reject it']!.key}`),
      }),
    ]);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);
    expect(await (await fetch(`${a.url}/healthz`)).json()).toEqual({ ok: true });
    expect(await openErrors(a, ac.a.id)).toEqual([]);

    // The connection is not broken: a new entity still crosses A -> B after the failures.
    const later = await createEntity(a, { summary: 'later still', status: 'new', priority: 3 });
    await waitEntity(b, await twinOf(a, later.id, ab.a.id), (e) => e.fields.summary === 'later still');
  });
});
