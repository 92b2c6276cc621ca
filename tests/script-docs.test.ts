// The worked examples of docs/script-api.md, taken from the page and run in the real sandbox, so the
// reference stays true: an example that stops working, or stops doing what its text says, fails here.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ManagedSandbox } from '../core/sandbox/create-sandbox.ts';
import type {
  ConnectionInfo,
  FlatEntity,
  Replica,
  RuleHostApi,
  RuleResult,
  TwinTable,
} from '../core/sandbox/sandbox.ts';
import { matches, parseQuery } from '../core/sync/trigger-query.ts';

const PAGE = fs.readFileSync(new URL('../docs/script-api.md', import.meta.url), 'utf8');
const connection: ConnectionInfo = {
  id: 'c1',
  name: 'Acme to Globex',
  localName: 'Acme',
  remoteName: 'Acme Corp',
};

/** The fenced blocks of one language under a `### heading` of the worked examples, in page order. */
function blocks(heading: string, lang = 'js'): string[] {
  const start = PAGE.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`docs/script-api.md has no example "${heading}"`);
  const end = PAGE.slice(start + 4).search(/\n##+ /);
  const section = end < 0 ? PAGE.slice(start) : PAGE.slice(start, start + 4 + end);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

let sandbox: ManagedSandbox;
let version = 0;
beforeAll(async () => {
  sandbox = createSandbox({ timeoutMs: 1_000 });
  await sandbox.start();
});
afterAll(() => sandbox.close());

const noUsers: RuleHostApi = { userByEmail: async () => null };

async function outgoing(code: string, entity: FlatEntity, host = noUsers): Promise<Replica> {
  const program = { version: String(++version), outgoing: code, incoming: '' };
  const [r] = await sandbox.run('docs', program, [{ script: 'outgoing', entity, connection }], host);
  return ok(r).replica;
}

async function incoming(
  code: string,
  replica: Replica,
  entity: FlatEntity | null,
  host = noUsers,
  twins: TwinTable = {},
): Promise<{ entity: FlatEntity; unlink: boolean; delete?: boolean; missing?: string[] }> {
  const program = { version: String(++version), outgoing: '', incoming: code };
  const call = {
    script: 'incoming' as const,
    replica,
    previous: null,
    firstSync: entity === null,
    entity,
    connection,
    twins,
  };
  const [r] = await sandbox.run('docs', program, [call], host);
  const done = ok(r);
  return { entity: done.entity, unlink: done.unlink, delete: done.delete, missing: done.missing };
}

function ok(r: RuleResult | undefined) {
  if (!r?.ok) throw new Error(`the example failed: ${JSON.stringify(r)}`);
  return r as RuleResult & {
    ok: true;
    replica: Replica;
    entity: FlatEntity;
    unlink: boolean;
    delete?: boolean;
    missing?: string[];
  };
}

const incident = (extra: Record<string, unknown> = {}): FlatEntity => ({
  id: 'e1',
  key: 'INC-1',
  type: 'incident',
  summary: 'Mail is down',
  status: 'new',
  priority: 2,
  comments: [],
  ...extra,
});
const comment = (id: string, body: string, internal = false) => ({
  id,
  author: 'ann@acme.example',
  body,
  internal,
  createdAt: '2026-11-01T10:00:00Z',
});

describe('docs/script-api.md worked examples', () => {
  it('status and priority maps: each side maps its own vocabulary on the way in', async () => {
    const [globexIn, acmeIn] = blocks('Status and priority maps');
    const globex = await incoming(
      globexIn!,
      { type: 'incident', summary: 'S', status: 'wip', priority: 4 },
      null,
    );
    expect(globex.entity).toMatchObject({ summary: 'S', status: 'in_progress', priority: 3 });
    const unknown = await incoming(
      globexIn!,
      { type: 'incident', summary: 'S', status: 'parked', priority: 9 },
      null,
    );
    expect(unknown.entity).toMatchObject({ status: 'open', priority: 3 });

    const first = await incoming(acmeIn!, { type: 'incident', status: 'done', priority: 1 }, null);
    expect(first.entity).toMatchObject({ status: 'resolved', priority: 2 });
    const later = await incoming(
      acmeIn!,
      { type: 'incident', status: 'in_progress', priority: 1 },
      incident({ priority: 5 }),
    );
    expect(later.entity).toMatchObject({ status: 'wip', priority: 5 }); // priority is Acme's once it exists
  });

  it('comment merge: public comments out, new ones in, nothing twice', async () => {
    const [out, into] = blocks('Comment merge');
    const entity = incident({ comments: [comment('k1', 'public'), comment('k2', 'work note', true)] });
    const replica = await outgoing(out!, entity);
    expect((replica.comments as Array<{ body: string }>).map((c) => c.body)).toEqual(['public']);

    const local = incident({ comments: [comment('k1', 'public')] });
    const back = await incoming(
      into!,
      { type: 'incident', comments: [comment('r9', 'reply'), comment('r8', 'public')] },
      local,
    );
    const bodies = (back.entity.comments as Array<{ body: string }>).map((c) => c.body);
    expect(bodies).toEqual(['public', 'reply']); // same author and text as one we have: not added again

    // A copy of the other side's comment (remoteId) follows its edit, and goes with its deletion.
    const mirrored = incident({
      comments: [{ ...comment('k5', 'Frist'), remoteId: 'r5' }, comment('k6', 'ours')],
    });
    const edited = await incoming(into!, { type: 'incident', comments: [comment('r5', 'First')] }, mirrored);
    expect((edited.entity.comments as Array<{ body: string }>).map((c) => c.body)).toEqual(['First', 'ours']);
    const deleted = await incoming(into!, { type: 'incident', comments: [] }, mirrored);
    expect((deleted.entity.comments as Array<{ body: string }>).map((c) => c.body)).toEqual(['ours']);
    const silent = await incoming(into!, { type: 'incident' }, mirrored);
    expect((silent.entity.comments as Array<{ body: string }>).map((c) => c.body)).toEqual(['Frist', 'ours']);
  });

  it('internal comments kept private: the right outgoing rule never sends a work note', async () => {
    const [right, provider] = blocks('Internal comments kept private');
    const entity = incident({
      comments: [comment('k1', 'customer visible'), comment('k2', 'secret note', true)],
    });
    const replica = await outgoing(right!, entity);
    expect(JSON.stringify(replica)).not.toContain('secret note');

    const landed = await incoming(
      provider!,
      { type: 'incident', comments: [comment('r1', 'please hurry')] },
      incident(),
    );
    expect((landed.entity.comments as Array<{ body: string }>).map((c) => c.body)).toEqual([
      '[Acme Corp] please hurry',
    ]);
  });

  it('users by email: the assignee travels as an address and only known people land', async () => {
    const [out, into] = blocks('Users by email');
    const users: RuleHostApi = {
      userByEmail: async (email) =>
        email === 'bob@globex.example' ? { id: 'u1', type: 'user', email, name: 'Bob' } : null,
    };
    const replica = await outgoing(out!, incident({ assignee: 'bob@globex.example' }), users);
    expect(replica.assigneeEmail).toBe('bob@globex.example');
    expect((await outgoing(out!, incident({ assignee: null }), users)).assigneeEmail).toBeNull();

    const known = await incoming(
      into!,
      { type: 'incident', assigneeEmail: 'bob@globex.example' },
      incident(),
      users,
    );
    expect(known.entity.assignee).toBe('bob@globex.example');
    const stranger = await incoming(
      into!,
      { type: 'incident', assigneeEmail: 'eve@else.example' },
      incident(),
      users,
    );
    expect(stranger.entity.assignee).toBeNull();
  });

  it('a request held for approval: the trigger matches approved requests only, and the approval travels', async () => {
    const section = 'A request held for local approval before it goes to the provider';
    const [http] = blocks(section, 'http');
    const body = JSON.parse(http!.slice(http!.indexOf('{'))) as { entityType: string; query: string };
    expect(body.entityType).toBe('request');
    const query = parseQuery(body.query);
    const request = { type: 'request', summary: 'New laptop', status: 'new', approval: 'pending' };
    expect(matches(query, request)).toBe(false);
    expect(matches(query, { ...request, approval: 'approved' })).toBe(true);
    expect(matches(query, { ...request, approval: 'approved', status: 'closed' })).toBe(false);

    const [out] = blocks(section);
    const replica = await outgoing(
      out!,
      incident({
        type: 'request',
        approval: 'approved',
        approvedBy: 'carol@acme.example',
        comments: [comment('k1', 'ok', true)],
      }),
    );
    expect(replica).toMatchObject({
      type: 'request',
      approval: 'approved',
      approvedBy: 'carol@acme.example',
      comments: [],
    });
  });

  it('attachments: public ones under 10 MB go out, executables do not come in', async () => {
    const [out, into] = blocks('Attachments: public ones under 10 MB');
    const file = (id: string, filename: string, size: number, internal = false) => ({
      id,
      filename,
      contentType: 'application/octet-stream',
      size,
      sha256: 'a'.repeat(64),
      internal,
      createdAt: 't',
    });
    const replica = await outgoing(
      out!,
      incident({
        attachments: [
          file('f1', 'log.txt', 100),
          file('f2', 'note.txt', 10, true),
          file('f3', 'dump.bin', 11 * 1024 * 1024),
        ],
      }),
    );
    expect((replica.attachments as Array<{ id: string }>).map((a) => a.id)).toEqual(['f1']);
    const landed = await incoming(
      into!,
      { type: 'incident', summary: 'S', attachments: [file('r1', 'a.pdf', 5), file('r2', 'setup.exe', 5)] },
      incident(),
    );
    expect((landed.entity.attachments as Array<{ id: string }>).map((a) => a.id)).toEqual(['r1']);
  });

  it('links between items: ids go as they are and come back through the twins, or wait', async () => {
    const [out, into] = blocks('Links between items');
    const replica = await outgoing(out!, incident({ problem: 'p-globex' }));
    expect(replica.problem).toBe('p-globex');
    const linked = await incoming(
      into!,
      { type: 'incident', summary: 'S', problem: 'p-globex' },
      incident(),
      noUsers,
      {
        local: { 'p-globex': 'p-acme' },
      },
    );
    expect(linked.entity.problem).toBe('p-acme');
    expect(linked.missing).toBeUndefined();
    const waiting = await incoming(
      into!,
      { type: 'incident', summary: 'S', problem: 'p-globex' },
      incident(),
    );
    expect(waiting.missing).toEqual(['p-globex']);
  });

  it('a deletion at the other side: cases are deleted, incidents closed', async () => {
    const [into] = blocks('A deletion at the other side');
    const gone = { type: 'case', summary: 'S', deleted: true };
    expect((await incoming(into!, gone, incident({ type: 'case' }))).delete).toBe(true);
    const closed = await incoming(into!, { ...gone, type: 'incident' }, incident());
    expect(closed).toMatchObject({ entity: { status: 'closed', summary: 'Mail is down' } });
    expect(closed.delete).toBeUndefined();
    const live = await incoming(into!, { type: 'incident', summary: 'New title' }, incident());
    expect(live.entity.summary).toBe('New title');
  });

  it('unlink on close: the closing update is written and the twin ends', async () => {
    const [into] = blocks('Unlink on close');
    const open = await incoming(into!, { type: 'incident', status: 'in_progress' }, incident());
    expect(open).toMatchObject({ entity: { status: 'in_progress' }, unlink: false });
    const closed = await incoming(into!, { type: 'incident', status: 'closed' }, incident());
    expect(closed).toMatchObject({ entity: { status: 'closed' }, unlink: true });
  });
});
