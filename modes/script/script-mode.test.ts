import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ManagedSandbox } from '../../core/sandbox/create-sandbox.ts';
import type { FlatEntity, RuleCall } from '../../core/sandbox/sandbox.ts';
import { GLOBALS_D_TS, INCOMING_D_TS, OUTGOING_D_TS } from './declarations.ts';
import { scriptMode } from './script-mode.ts';

const ctx = { localName: 'Acme', remoteName: 'Globex' };
const connection = { id: 'c1', name: 'Acme to Globex', ...ctx };
let sandbox: ManagedSandbox;

beforeAll(async () => {
  sandbox = createSandbox();
  await sandbox.start();
});
afterAll(async () => sandbox.close());

const local: FlatEntity = {
  id: 'e1',
  key: 'INC-7',
  type: 'incident',
  summary: 'Printer on fire',
  description: 'Third floor',
  status: 'in_progress',
  priority: 1,
  assignee: 'ann@acme.test',
  team: 'facilities',
  comments: [
    { id: 'c1', author: 'ann', body: 'Evacuated', internal: false, createdAt: '2026-01-01T00:00:00Z' },
    { id: 'c2', author: 'ann', body: 'Blame Bob', internal: true, createdAt: '2026-01-01T00:00:01Z' },
  ],
};

describe('script mode defaults', () => {
  const program = { version: 'defaults', ...scriptMode.compile(scriptMode.defaults(), ctx) };

  it('compile in the sandbox', async () => {
    expect(await sandbox.check(program)).toEqual([]);
  });

  it('send type, key, summary, description, status, priority and public comments only', async () => {
    const [r] = await sandbox.run('c1', program, [{ script: 'outgoing', entity: local, connection }]);
    expect(r).toEqual({
      ok: true,
      script: 'outgoing',
      warnings: [],
      replica: {
        type: 'incident',
        key: 'INC-7',
        summary: 'Printer on fire',
        description: 'Third floor',
        status: 'in_progress',
        priority: 1,
        comments: [
          { id: 'c1', author: 'ann', body: 'Evacuated', internal: false, createdAt: '2026-01-01T00:00:00Z' },
        ],
      },
    });
  });

  it('create a new entity of the replica type on first sync; later take only the fields the other side changed, without duplicate comments', async () => {
    const replica = {
      type: 'case',
      key: 'CS-1',
      summary: 'Remote summary',
      description: 'Remote text',
      status: 'new',
      priority: 3,
      comments: [
        { id: 'r1', author: 'zed', body: 'Hello', internal: false, createdAt: '2026-01-02T00:00:00Z' },
        {
          id: 'r2',
          author: 'ann',
          body: 'Evacuated',
          internal: false,
          createdAt: '2026-01-01T00:00:00Z',
          remoteId: 'c1',
        },
      ],
    };
    const calls: RuleCall[] = [
      { script: 'incoming', replica, previous: null, firstSync: true, entity: null, connection },
      {
        script: 'incoming',
        // Since the last apply the other side changed summary and priority, not status.
        replica: { ...replica, status: 'resolved' },
        previous: { ...replica, summary: 'Older summary', priority: 2, status: 'resolved' },
        firstSync: false,
        entity: local,
        connection,
      },
    ];
    const [first, maybeUpdate] = await sandbox.run('c1', program, calls);
    const update = maybeUpdate!;
    expect(first).toMatchObject({
      ok: true,
      entity: {
        type: 'case',
        summary: 'Remote summary',
        description: 'Remote text',
        status: 'new',
        priority: 3,
        comments: [
          { author: 'zed', body: 'Hello', remoteId: 'r1', internal: false },
          { author: 'ann', body: 'Evacuated', remoteId: 'r2', internal: false },
        ],
      },
    });
    if (!update.ok || update.script !== 'incoming') throw new Error(JSON.stringify(update));
    expect(update.entity).toMatchObject({
      id: 'e1',
      type: 'incident',
      summary: 'Remote summary',
      team: 'facilities',
      priority: 3,
      // Unchanged on the other side since the last apply: our own edit (in_progress) stands.
      status: 'in_progress',
      description: 'Third floor',
    });
    // The local comments stay, Hello is added once, and "Evacuated" (our own c1 coming back) is not duplicated.
    expect(update.entity.comments).toEqual([
      ...local.comments!,
      {
        id: 'r1',
        author: 'zed',
        body: 'Hello',
        internal: false,
        createdAt: '2026-01-02T00:00:00Z',
        remoteId: 'r1',
      },
    ]);
  });
});

describe('script rule sets at the edge', () => {
  it('refuses anything but two strings', () => {
    for (const bad of [
      null,
      {},
      { outgoing: 1, incoming: '' },
      { outgoing: '', incoming: '', extra: 1 },
      { outgoing: 'x'.repeat(100_001), incoming: '' },
    ]) {
      expect(() => scriptMode.parse(bad)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', status: 422 }),
      );
    }
    expect(scriptMode.parse({ outgoing: 'a', incoming: 'b' })).toEqual({ outgoing: 'a', incoming: 'b' });
  });
});

describe('TypeScript declarations', () => {
  function typeErrors(script: 'outgoing' | 'incoming', code: string): string[] {
    const files: Record<string, string> = {
      'globals.d.ts': GLOBALS_D_TS,
      'script.d.ts': script === 'outgoing' ? OUTGOING_D_TS : INCOMING_D_TS,
      'rule.ts': `export {};\nasync function rule() {\n${code}\n}\nvoid rule;\n`,
    };
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (name) => files[name] ?? readFile(name);
    host.fileExists = (name) => name in files || ts.sys.fileExists(name);
    host.getSourceFile = (name, lang) =>
      name in files ? ts.createSourceFile(name, files[name]!, lang) : getSourceFile(name, lang);
    const program = ts.createProgram(Object.keys(files), options, host);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it('type-check the default rules and catch a write to the read-only entity', () => {
    const { outgoing, incoming } = scriptMode.defaults();
    expect(typeErrors('outgoing', outgoing)).toEqual([]);
    expect(typeErrors('incoming', incoming)).toEqual([]);
    expect(
      typeErrors(
        'incoming',
        'if (firstSync) helpers.sync.unlink();\nconst u = helpers.users.byEmail("a@b.c");\nentity.assignee = u?.id ?? null;',
      ),
    ).toEqual([]);
    expect(typeErrors('outgoing', 'entity.summary = "x";').join()).toMatch(/read-only/);
  });
});
