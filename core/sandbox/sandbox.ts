// The `Sandbox` contract: runs a connection's rule programs in isolated V8, never in the host's own heap.
import type { Comment } from '../trackers/tracker.ts';

/** An entity as rules see it: standard and custom fields flattened beside id, key and type. */
export interface FlatEntity {
  id?: string;
  key?: string;
  type: string;
  summary?: string;
  description?: string;
  status?: string;
  priority?: number;
  assignee?: string | null;
  comments?: Comment[];
  [field: string]: unknown;
}

export type Replica = Record<string, unknown>;

export interface ConnectionInfo {
  id: string;
  name: string;
  localName: string;
  remoteName: string;
}

/** The two programs a mode compiles to; `version` is the cache key of the compiled code. */
export interface RuleProgram {
  version: string;
  outgoing: string;
  incoming: string;
}

export type ScriptName = 'outgoing' | 'incoming';

export interface CompileProblem {
  script: ScriptName;
  message: string;
  line: number;
  column: number;
}

/** Ids through the twins, for the ids a call's input holds: `local` maps the peer's ids to ours, `remote` ours to the peer's. */
export interface TwinTable {
  local?: Record<string, string>;
  remote?: Record<string, string>;
}

export type RuleCall =
  | { script: 'outgoing'; entity: FlatEntity; connection: ConnectionInfo; twins?: TwinTable }
  | {
      script: 'incoming';
      twins?: TwinTable;
      replica: Replica;
      previous: Replica | null;
      firstSync: boolean;
      /** The local entity, absent on first sync (the rule then starts from `{ type: replica.type }`). */
      entity: FlatEntity | null;
      connection: ConnectionInfo;
    };

export interface RuleFailure {
  script: ScriptName;
  kind: 'throw' | 'timeout' | 'memory' | 'output' | 'crash';
  message: string;
  line?: number;
  column?: number;
}

export type RuleResult =
  | { ok: true; script: 'outgoing'; replica: Replica; warnings: string[] }
  | {
      ok: true;
      script: 'incoming';
      entity: FlatEntity;
      unlink: boolean;
      warnings: string[];
      /** `helpers.entity.delete()` was called: the local entity is deleted. */
      delete?: boolean;
      /** The peer's ids `helpers.twins.localId` found no twin for: the event waits for them to arrive. */
      missing?: string[];
    }
  | { ok: false; error: RuleFailure };

/** Host data that helpers may look up (narrow, validated callbacks across the process hop). */
export interface RuleHostApi {
  userByEmail(email: string): Promise<FlatEntity | null>;
}

/**
 * Runs rules: one isolate per connection, in a supervised child process.
 * @example
 * const [r] = await sandbox.run('conn1', program, [{ script: 'outgoing', entity, connection }]);
 * if (r.ok && r.script === 'outgoing') send(r.replica);
 */
export interface Sandbox {
  /** Compiles without running; an empty list means both programs compile. */
  check(program: Pick<RuleProgram, 'outgoing' | 'incoming'>): Promise<CompileProblem[]>;
  /** Runs a batch of calls in order; one result per call, a failure never fails the batch. */
  run(
    connectionId: string,
    program: RuleProgram,
    calls: RuleCall[],
    host?: RuleHostApi,
  ): Promise<RuleResult[]>;
  dispose(connectionId: string): Promise<void>;
  close(): Promise<void>;
}
