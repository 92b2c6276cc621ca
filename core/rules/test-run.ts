// Test-runs a connection's draft (or published) rules against a real entity: the replica and the change, nothing written.
import { z } from 'zod';
import type { DbExecutor } from '../../storage/schema.ts';
import { notFound, TandemError } from '../errors.ts';
import type { FlatEntity, Replica, RuleFailure, RuleHostApi, Sandbox } from '../sandbox/sandbox.ts';
import { fieldPatch, fieldsOf, flatten } from '../sync/flat.ts';
import type { Comment, Tracker } from '../trackers/tracker.ts';
import type { RuleService } from './rule-service.ts';

export const testRunBody = z.strictObject({
  entityId: z.string().min(1).max(200),
  direction: z.enum(['outgoing', 'incoming', 'out', 'in']).optional(),
  /** Incoming only: the replica to apply; default is the last one received from the peer, else this entity's own. */
  replica: z.record(z.string(), z.unknown()).optional(),
  /** Which rules: the draft when there is one (default), or the published version. */
  rules: z.enum(['draft', 'published']).optional(),
  /**
   * The rule set to run instead, as an editor holds it (unsaved; checked and compiled like a save, never stored).
   * When given, `rules` is ignored.
   */
  ruleSet: z.record(z.string(), z.unknown()).optional(),
});
export type TestRunInput = z.infer<typeof testRunBody>;

export interface TestRunResult {
  direction: 'outgoing' | 'incoming';
  rules: 'draft' | 'published';
  /** What ran: the rule set the request gave (`editor`, unsaved), the saved draft, or the published rules. */
  source: 'editor' | 'draft' | 'published';
  version: number;
  ok: boolean;
  error?: RuleFailure;
  warnings: string[];
  /** Outgoing: what would be sent. Incoming: the replica that was applied. */
  replica?: Replica;
  replicaSource?: 'request' | 'last_received' | 'own_outgoing';
  /** Incoming: the entity as the rule left it. */
  entity?: FlatEntity;
  /** Outgoing: fields that differ from the replica sent last. Incoming: the fields and comments it would write. */
  change?: { fields: Record<string, unknown>; comments?: unknown[]; unlink?: boolean; firstSend?: boolean };
}

export interface TestRunDeps {
  db: DbExecutor;
  tracker: Tracker;
  rules: RuleService;
  sandbox: Sandbox | undefined;
  host?: RuleHostApi;
}

async function twinReplicas(db: DbExecutor, connectionId: string, localId: string) {
  const row = await db
    .selectFrom('sync_twins')
    .select(['local_replica', 'remote_replica'])
    .where('connection_id', '=', connectionId)
    .where('local_id', '=', localId)
    .executeTakeFirst();
  const parse = (s: string | null | undefined) => (s ? (JSON.parse(s) as Replica) : null);
  return { sent: parse(row?.local_replica), received: parse(row?.remote_replica) };
}

function diff(before: Replica | null, after: Replica): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before ?? {}), ...Object.keys(after)])) {
    const was = before && Object.hasOwn(before, k) ? before[k] : undefined;
    const now = Object.hasOwn(after, k) ? after[k] : undefined;
    if (JSON.stringify(was) !== JSON.stringify(now)) out[k] = now ?? null;
  }
  return out;
}

function newComments(current: Comment[], out: FlatEntity): unknown[] {
  if (!Array.isArray(out.comments)) return [];
  const ids = new Set(current.map((c) => c.id));
  return (out.comments as unknown[]).filter((c) => {
    const id = (c as { id?: unknown } | null)?.id;
    return c !== null && typeof c === 'object' && (typeof id !== 'string' || !ids.has(id));
  });
}

export async function testRun(
  deps: TestRunDeps,
  connectionId: string,
  input: TestRunInput,
): Promise<TestRunResult> {
  const { sandbox } = deps;
  if (!sandbox)
    throw new TandemError('SANDBOX_UNAVAILABLE', 503, 'The rule sandbox is not running on this host');
  const conn = await deps.rules.connection(connectionId);
  const entity = await deps.tracker.get(input.entityId);
  if (!entity) throw notFound('Entity', input.entityId);
  const chosen = input.ruleSet
    ? { ...(await deps.rules.candidate(conn.id, input.ruleSet)), draft: true, editor: true }
    : input.rules === 'published'
      ? {
          program: await deps.rules.program(conn.id),
          draft: false,
          version: (await deps.rules.get(conn.id)).version,
        }
      : await deps.rules.draftOrPublished(conn.id);
  const connection = { id: conn.id, name: conn.name, localName: conn.localName, remoteName: conn.remoteName };
  const direction = input.direction === 'in' || input.direction === 'incoming' ? 'incoming' : 'outgoing';
  const flat = flatten(entity);
  const twin = await twinReplicas(deps.db, conn.id, entity.id);
  const source = 'editor' in chosen ? 'editor' : chosen.draft ? 'draft' : 'published';
  const base = {
    direction,
    rules: chosen.draft ? 'draft' : 'published',
    source,
    version: chosen.version,
  } as const;
  // The version names the compiled code for the runner's cache: test runs use their own slot.
  const slot = `${conn.id}#test`;

  if (direction === 'outgoing') {
    const [r] = await sandbox.run(
      slot,
      chosen.program,
      [{ script: 'outgoing', entity: flat, connection }],
      deps.host,
    );
    if (!r?.ok) return { ...base, ok: false, error: r?.error, warnings: [] } as TestRunResult;
    if (r.script !== 'outgoing') throw new Error('unexpected result');
    return {
      ...base,
      ok: true,
      warnings: r.warnings,
      replica: r.replica,
      change: { fields: diff(twin.sent, r.replica), firstSend: twin.sent === null },
    };
  }

  let replica: Replica;
  let replicaSource: TestRunResult['replicaSource'];
  if (input.replica) {
    replica = input.replica;
    replicaSource = 'request';
  } else if (twin.received) {
    replica = twin.received;
    replicaSource = 'last_received';
  } else {
    const [own] = await sandbox.run(
      slot,
      chosen.program,
      [{ script: 'outgoing', entity: flat, connection }],
      deps.host,
    );
    if (!own?.ok || own.script !== 'outgoing') {
      return {
        ...base,
        ok: false,
        error: own && !own.ok ? own.error : undefined,
        warnings: [],
      } as TestRunResult;
    }
    replica = own.replica;
    replicaSource = 'own_outgoing';
  }
  const [r] = await sandbox.run(
    slot,
    chosen.program,
    [{ script: 'incoming', replica, previous: twin.received, firstSync: false, entity: flat, connection }],
    deps.host,
  );
  if (!r?.ok)
    return { ...base, ok: false, error: r?.error, warnings: [], replica, replicaSource } as TestRunResult;
  if (r.script !== 'incoming') throw new Error('unexpected result');
  return {
    ...base,
    ok: true,
    warnings: r.warnings,
    replica,
    replicaSource,
    entity: r.entity,
    change: {
      fields: fieldPatch(fieldsOf(flat), r.entity),
      comments: newComments(entity.comments, r.entity),
      unlink: r.unlink,
    },
  };
}
