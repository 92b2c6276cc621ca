import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ManagedSandbox } from './create-sandbox.ts';
import type { ConnectionInfo, FlatEntity, RuleCall, RuleFailure, RuleResult } from './sandbox.ts';

const connection: ConnectionInfo = { id: 'c1', name: 'Test', localName: 'Acme', remoteName: 'Globex' };
const entity: FlatEntity = {
  id: 'e1',
  key: 'INC-1',
  type: 'incident',
  summary: 'Disk full',
  status: 'new',
  priority: 2,
  comments: [
    { id: 'k1', author: 'ann', body: 'public note', internal: false, createdAt: '2026-01-01T00:00:00Z' },
    { id: 'k2', author: 'bob', body: 'internal note', internal: true, createdAt: '2026-01-01T00:00:01Z' },
  ],
};
const out = (): RuleCall => ({ script: 'outgoing', entity, connection });
const inc = (replica: Record<string, unknown>, local: FlatEntity | null = null): RuleCall => ({
  script: 'incoming',
  replica,
  previous: null,
  firstSync: local === null,
  entity: local,
  connection,
});

let sandbox: ManagedSandbox;
let version = 0;

/** Runs one outgoing script (incoming given too) on a connection and returns its single result. */
async function outgoing(code: string, conn = 'c1', incoming = ''): Promise<RuleResult> {
  const [r] = await sandbox.run(conn, { version: String(++version), outgoing: code, incoming }, [out()]);
  return r!;
}

function failed(r: RuleResult): RuleFailure {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  return r.error;
}

function replicaOf(r: RuleResult): Record<string, unknown> {
  if (!r.ok || r.script !== 'outgoing') throw new Error(`expected a replica, got ${JSON.stringify(r)}`);
  return r.replica;
}

beforeAll(async () => {
  sandbox = createSandbox({
    timeoutMs: 150,
    wallTimeoutMs: 800,
    memoryLimitMb: 32,
    maxOutputBytes: 64 * 1024,
  });
  await sandbox.start();
});
afterAll(async () => sandbox.close());

describe('rules run in an isolate', () => {
  it('fills the replica from a read-only entity and applies the replica to a new entity', async () => {
    const program = {
      version: 'basic',
      outgoing: 'replica.summary = entity.summary;\nreplica.who = connection.localName;',
      incoming: 'entity.summary = replica.summary + "!";\nif (replica.drop) helpers.sync.unlink();',
    };
    const [o, i, j] = await sandbox.run('c1', program, [
      out(),
      inc({ type: 'case', summary: 'x' }),
      inc({ type: 'case', summary: 'y', drop: true }, { id: 'l1', type: 'incident' }),
    ]);
    expect(replicaOf(o!)).toEqual({ summary: 'Disk full', who: 'Acme' });
    expect(i).toMatchObject({
      ok: true,
      script: 'incoming',
      entity: { type: 'case', summary: 'x!' },
      unlink: false,
    });
    expect(j).toMatchObject({
      ok: true,
      entity: { id: 'l1', type: 'incident', summary: 'y!' },
      unlink: true,
    });
    const err = failed(await outgoing('replica.a = 1;\nentity.summary = "changed";'));
    expect(err).toMatchObject({ script: 'outgoing', kind: 'throw', line: 2 });
  });

  it('runs a rule without await in one synchronous call and one with await asynchronously, alike', async () => {
    expect(
      replicaOf(await outgoing('replica.s = entity.summary;\nreplica.n = entity.priority + 1;')),
    ).toEqual({
      s: 'Disk full',
      n: 3,
    });
    expect(
      replicaOf(await outgoing('const p = await Promise.resolve(entity.priority);\nreplica.n = p + 1;')),
    ).toEqual({ n: 3 });
    // Same lines either way: a throw on line 2 is line 2 in both forms.
    expect(failed(await outgoing('replica.a = 1;\nthrow new Error("sync boom");'))).toMatchObject({
      line: 2,
    });
    expect(failed(await outgoing('await null;\nthrow new Error("async boom");'))).toMatchObject({ line: 2 });
  });

  it('answers a long batch in call order, results grouped or not, failures in their places', async () => {
    const program = {
      version: 'long',
      outgoing: 'if (entity.n % 97 === 13) throw new Error("bad " + entity.n);\nreplica.n = entity.n * 2;',
      incoming: '',
    };
    const calls: RuleCall[] = Array.from({ length: 1500 }, (_, n) => ({
      script: 'outgoing',
      entity: { type: 'incident', n },
      connection,
    }));
    const results = await sandbox.run('c1', program, calls);
    expect(results).toHaveLength(1500);
    results.forEach((r, n) => {
      if (n % 97 === 13)
        expect(failed(r)).toMatchObject({ kind: 'throw', line: 1, message: `Error: bad ${n}` });
      else expect(replicaOf(r)).toEqual({ n: n * 2 });
    });
  });

  it('refuses a host look-up reached by a computed name in a synchronous rule, instead of hanging', async () => {
    const lookups: string[] = [];
    const program = {
      version: String(++version),
      outgoing: "const h = helpers['us' + 'ers'];\nreplica.u = h.byEmail('ann@example.com');",
      incoming: '',
    };
    const [r] = await sandbox.run('c1', program, [out()], {
      async userByEmail(email) {
        lookups.push(email);
        return null;
      },
    });
    expect(failed(r!)).toMatchObject({ script: 'outgoing', kind: 'throw', line: 2 });
    expect(lookups).toEqual([]);
  });

  it('reports compile errors with the user line and column', async () => {
    const problems = await sandbox.check({
      outgoing: 'replica.a = 1;\nlet x = ;',
      incoming: 'entity.a = 1;',
    });
    expect(problems).toEqual([{ script: 'outgoing', line: 2, column: 9, message: "Unexpected token ';'" }]);
    const breakout = await sandbox.check({
      outgoing: '',
      incoming: '}]; }); globalThis.x = 1; (function () { return [async () => {',
    });
    expect(breakout).toHaveLength(1);
    expect(breakout[0]).toMatchObject({ script: 'incoming', line: 1 });
    expect(await sandbox.check({ outgoing: 'return;', incoming: 'await null;' })).toEqual([]);
    const run = failed(await outgoing('let y = ;'));
    expect(run).toMatchObject({ script: 'outgoing', kind: 'throw', line: 1, column: 9 });
  });
});

describe('escape attempts are contained', () => {
  it('sees nothing of Node: no process, require, timers, network, shared memory', async () => {
    const r = await outgoing(
      [
        'replica.types = [typeof process, typeof require, typeof module, typeof setTimeout, typeof setInterval,',
        '  typeof fetch, typeof SharedArrayBuffer, typeof Atomics, typeof WebAssembly, typeof Buffer];',
        'replica.viaCtor = ({}).constructor.constructor("return typeof process")();',
        'replica.viaFunction = Function("return typeof this.process + typeof this.require")();',
        'replica.globalKeys = Object.getOwnPropertyNames(globalThis).filter((k) => /process|require|ivm|timeout/i.test(k));',
      ].join('\n'),
    );
    expect(replicaOf(r)).toEqual({
      types: Array(10).fill('undefined'),
      viaCtor: 'undefined',
      viaFunction: 'undefinedundefined',
      globalKeys: [],
    });
  });

  it.each([
    [
      'constructor chain',
      'const p = this.constructor.constructor("return process")();\nreplica.env = p.env;',
      1,
    ],
    [
      'Function constructor',
      'const p = ({}).constructor.constructor("return process")();\nreplica.env = p.env;',
      1,
    ],
    ['require', 'replica.x = 1;\nconst fs = require("fs");', 2],
    ['process', 'replica.x = process.env;', 1],
    ['Atomics.wait', 'Atomics.wait(new Int32Array(4), 0, 0, 5000);', 1],
    ['SharedArrayBuffer', 'new SharedArrayBuffer(8);', 1],
  ])('%s throws a rule error naming the script and line', async (_name, code, line) => {
    expect(failed(await outgoing(code))).toMatchObject({ script: 'outgoing', kind: 'throw', line });
  });

  it('refuses import() inside the isolate', async () => {
    const err = failed(await outgoing('const fs = await import("fs");\nreplica.x = fs;'));
    expect(err).toMatchObject({ script: 'outgoing', kind: 'throw' });
  });

  it('keeps helpers and intrinsics frozen: pollution fails and leaves no trace for the next call', async () => {
    const program = {
      version: 'pollute',
      outgoing: 'replica.x = 1;',
      incoming: [
        'if (replica.attack === 1) helpers.comments.merge = () => [];',
        'if (replica.attack === 2) Object.prototype.internal = false;',
        'if (replica.attack === 3) Array.prototype.push = function () { return 0; };',
        'if (replica.attack === 4) Object.getPrototypeOf(helpers.map).call = () => 1;',
        'if (replica.attack === 5) globalThis.leak = "x";',
        'entity.comments = helpers.comments.merge([], replica.comments);',
        'entity.clean = ({}).internal === undefined && typeof leak === "undefined";',
      ].join('\n'),
    };
    const calls = [1, 2, 3, 4, 5].map((attack) => inc({ type: 'case', attack }));
    const results = await sandbox.run('c1', program, [
      ...calls,
      inc({ type: 'case', comments: [{ id: 'r1', author: 'a', body: 'b', internal: false }] }),
    ]);
    for (const [i, r] of results.slice(0, 5).entries()) {
      expect(failed(r)).toMatchObject({ script: 'incoming', kind: 'throw', line: i + 1 });
    }
    expect(results[5]).toMatchObject({
      ok: true,
      entity: { clean: true, comments: [{ author: 'a', body: 'b', internal: false, remoteId: 'r1' }] },
    });
  });

  it('refuses huge and non-JSON output', async () => {
    expect(failed(await outgoing('replica.big = "x".repeat(100000);'))).toMatchObject({
      kind: 'output',
      script: 'outgoing',
    });
    expect(failed(await outgoing('replica.f = () => 1;'))).toMatchObject({
      kind: 'output',
      message: 'replica.f is a function, not JSON',
    });
    expect(failed(await outgoing('replica.self = replica;'))).toMatchObject({ kind: 'output' });
    expect(failed(await outgoing('replica.d = new Date(0);'))).toMatchObject({ kind: 'output' });
    const [r] = await sandbox.run('c1', { version: 'badtype', outgoing: '', incoming: 'entity.type = 5;' }, [
      inc({ type: 'case' }),
    ]);
    expect(failed(r!)).toMatchObject({ script: 'incoming', kind: 'output' });
  });

  it('checks the JSON that leaves the isolate, not the object a Proxy or toJSON shows the walk', async () => {
    // The walk sees a plain empty object; JSON.stringify calls the trap's toJSON and gets 3,500 levels.
    const deepProxy = `let deep = {}; for (let i = 0; i < 3500; i++) deep = { a: deep };
replica = new Proxy({}, { get: (t, k) => (k === 'toJSON' ? () => deep : undefined) });`;
    expect(failed(await outgoing(deepProxy))).toMatchObject({
      kind: 'output',
      script: 'outgoing',
      message: expect.stringMatching(/^replica(\.a)+ is nested more than 64 levels deep$/),
    });
    const notObject = `replica = new Proxy({}, { get: (t, k) => (k === 'toJSON' ? () => 'text' : undefined) });`;
    expect(failed(await outgoing(notObject))).toMatchObject({
      kind: 'output',
      message: 'replica must serialise to a JSON object',
    });
    const typeDropped = `entity = new Proxy({ type: 'case' }, { get: (t, k) => (k === 'toJSON' ? () => ({}) : t[k]) });`;
    const [r] = await sandbox.run('c1', { version: 'proxytype', outgoing: '', incoming: typeDropped }, [
      inc({ type: 'case' }),
    ]);
    expect(failed(r!)).toMatchObject({ kind: 'output', message: 'entity.type must be a non-empty string' });
    expect(replicaOf(await outgoing('replica.ok = true;'))).toEqual({ ok: true });
  });

  it('stops deep recursion with the line', async () => {
    const err = failed(await outgoing('replica.a = 1;\nfunction f(n) { return f(n + 1) + 1; }\nf(0);'));
    expect(err).toMatchObject({ script: 'outgoing', kind: 'throw', line: 2 });
    expect(err.message).toMatch(/call stack/);
  });

  it('times out an infinite loop with its line, and the connection goes on', async () => {
    const started = Date.now();
    const err = failed(await outgoing('let i = 0;\nwhile (true) { i++; }'));
    expect(err).toMatchObject({ script: 'outgoing', kind: 'timeout', line: 2 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(replicaOf(await outgoing('replica.after = true;'))).toEqual({ after: true });
  });

  it('times out a promise that never resolves and a loop after an await', async () => {
    expect(failed(await outgoing('await new Promise(() => {});'))).toMatchObject({
      script: 'outgoing',
      kind: 'timeout',
    });
    expect(failed(await outgoing('await null;\nfor (;;) {}'))).toMatchObject({
      script: 'outgoing',
      kind: 'timeout',
    });
    expect(replicaOf(await outgoing('replica.ok = 1;'))).toEqual({ ok: 1 });
  });

  it('blames only the call that loops or exhausts memory among quick calls that share an isolate call', async () => {
    const roomy = createSandbox({ timeoutMs: 600, memoryLimitMb: 32 });
    const program = {
      version: 'mixed',
      outgoing: [
        'if (entity.n === 150) { const a = [];\nwhile (true) a.push(new Array(1000000).fill(a.length + 0.5)); }',
        'if (entity.n === 60) for (;;) {}',
        'replica.n = entity.n + 1;',
      ].join('\n'),
      incoming: '',
    };
    const calls: RuleCall[] = Array.from({ length: 400 }, (_, n) => ({
      script: 'outgoing',
      entity: { type: 'incident', n },
      connection,
    }));
    try {
      // Warm up so the quick calls run many to an isolate call before the bad ones come.
      await roomy.run('c1', program, calls.slice(0, 40));
      const results = await roomy.run('c1', program, calls);
      results.forEach((r, n) => {
        if (n === 60) expect(failed(r)).toMatchObject({ kind: 'timeout', line: 3 });
        else if (n === 150) expect(failed(r)).toMatchObject({ kind: 'memory', line: 2 });
        else expect(replicaOf(r)).toEqual({ n: n + 1 });
      });
      expect(roomy.stats().restarts).toBe(0);
    } finally {
      await roomy.close();
    }
  });

  it('contains a memory bomb, naming its line, while another connection keeps being served', async () => {
    // CPU time to spare, so the memory limit is what stops the bomb even on a busy machine.
    const roomy = createSandbox({ timeoutMs: 5_000, memoryLimitMb: 32 });
    const run = async (conn: string, code: string) =>
      (await roomy.run(conn, { version: code, outgoing: code, incoming: '' }, [out()]))[0]!;
    try {
      const bomb = run(
        'bomber',
        'const a = [];\nwhile (true) a.push(new Array(1000000).fill(a.length + 0.5));',
      );
      const others = Array.from({ length: 20 }, () => run('quiet', 'replica.n = entity.priority * 2;'));
      const [b, ...rest] = await Promise.all([bomb, ...others]);
      expect(failed(b!)).toMatchObject({ script: 'outgoing', kind: 'memory', line: 2 });
      for (const r of rest) expect(replicaOf(r)).toEqual({ n: 4 });
      // the disposed isolate is rebuilt on next use
      expect(replicaOf(await run('bomber', 'replica.again = true;'))).toEqual({ again: true });
      expect(roomy.stats().restarts).toBe(0);
    } finally {
      await roomy.close();
    }
  });
});

describe('helpers', () => {
  it('merges comments without internal ones and without duplicates', async () => {
    const program = {
      version: 'comments',
      outgoing: 'replica.comments = helpers.comments.merge(replica.comments, entity.comments);',
      incoming: 'entity.comments = helpers.comments.merge(entity.comments, replica.comments);',
    };
    const local: FlatEntity = {
      id: 'l1',
      type: 'incident',
      comments: [
        { id: 'm1', author: 'ann', body: 'already here', internal: false, createdAt: 'x' },
        { id: 'm2', author: 'me', body: 'mine', internal: false, createdAt: 'x' },
      ],
    };
    const [o, i] = await sandbox.run('c1', program, [
      out(),
      inc(
        {
          type: 'incident',
          comments: [
            { id: 'r1', author: 'ann', body: 'already here' },
            { id: 'r2', author: 'zed', body: 'new one', createdAt: '2026-02-02T00:00:00Z' },
            { id: 'r3', author: 'zed', body: 'secret', internal: true },
            { id: 'r4', author: 'me', body: 'mine', remoteId: 'm2' },
          ],
        },
        local,
      ),
    ]);
    expect(replicaOf(o!).comments).toEqual([
      { id: 'k1', author: 'ann', body: 'public note', internal: false, createdAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(i).toMatchObject({
      ok: true,
      entity: {
        comments: [
          local.comments![0],
          local.comments![1],
          {
            id: 'r2',
            author: 'zed',
            body: 'new one',
            internal: false,
            createdAt: '2026-02-02T00:00:00Z',
            remoteId: 'r2',
          },
        ],
      },
    });
  });

  it('maps values with a fallback and looks users up on the host with validated arguments', async () => {
    const lookups: string[] = [];
    const program = {
      version: 'helpers',
      outgoing: [
        'replica.p = helpers.map(entity.priority, { 1: "critical", 2: "high" }, "low");',
        'replica.q = helpers.map(9, [[9, "nine"]]);',
        'replica.r = helpers.map("zz", {}, "fallback");',
        'replica.same = helpers.map("zz", {});',
        'const u = helpers.users.byEmail("ann@example.com");',
        'replica.user = u && u.summary;',
        'replica.none = helpers.users.byEmail("nobody@example.com");',
      ].join('\n'),
      incoming: 'helpers.users.byEmail(42);',
    };
    const [o, i] = await sandbox.run('c1', program, [out(), inc({ type: 'x' })], {
      async userByEmail(email) {
        lookups.push(email);
        return email === 'ann@example.com' ? { id: 'u1', type: 'user', summary: 'Ann' } : null;
      },
    });
    expect(replicaOf(o!)).toEqual({
      p: 'high',
      q: 'nine',
      r: 'fallback',
      same: 'zz',
      user: 'Ann',
      none: null,
    });
    expect(lookups).toEqual(['ann@example.com', 'nobody@example.com']);
    expect(failed(i!)).toMatchObject({ script: 'incoming', kind: 'throw', line: 1 });
  });
});

describe('the supervised runner process', () => {
  it('restarts a dead runner, retries the batch once and marks the call that kills it twice', async () => {
    const attempts: Record<string, number> = {};
    const program = {
      version: 'crash',
      outgoing: 'replica.u = helpers.users.byEmail(entity.email);',
      incoming: '',
    };
    const call = (email: string): RuleCall => ({
      script: 'outgoing',
      entity: { type: 'user', email },
      connection,
    });
    const before = sandbox.stats();
    const results = await sandbox.run(
      'crashy',
      program,
      [call('a@x.io'), call('once@x.io'), call('always@x.io'), call('b@x.io')],
      {
        async userByEmail(email) {
          attempts[email] = (attempts[email] ?? 0) + 1;
          const killNow = email === 'always@x.io' || (email === 'once@x.io' && attempts[email] === 1);
          if (killNow) process.kill(sandbox.stats().runnerPid!, 'SIGKILL');
          return { type: 'user', email };
        },
      },
    );
    expect(results[0]).toMatchObject({ ok: true, replica: { u: { email: 'a@x.io' } } });
    expect(results[1]).toMatchObject({ ok: true, replica: { u: { email: 'once@x.io' } } });
    expect(failed(results[2]!)).toMatchObject({ script: 'outgoing', kind: 'crash' });
    expect(results[3]).toMatchObject({ ok: true, replica: { u: { email: 'b@x.io' } } });
    expect(attempts).toEqual({ 'a@x.io': 1, 'once@x.io': 2, 'always@x.io': 2, 'b@x.io': 1 });
    const after = sandbox.stats();
    expect(after.restarts).toBe(before.restarts + 3);
    expect(after.runnerPid).not.toBe(before.runnerPid);
    expect(replicaOf(await outgoing('replica.alive = true;'))).toEqual({ alive: true });
  });
});
