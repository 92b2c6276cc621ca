// Each connection's rules: published versions, one draft, publish, and the compiled program the sync engine runs.
import { createHash } from 'node:crypto';
import type { Db } from '../../storage/schema.ts';
import { notFound, TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Mode, ModeId } from '../mode.ts';
import type { CompileProblem, RuleProgram, Sandbox } from '../sandbox/sandbox.ts';
import { modes } from './mode-registry.ts';
import {
  deleteDraft,
  insertVersion,
  latestVersion,
  listVersions,
  loadConnection,
  loadDraft,
  type RuleConnection,
  type StoredVersion,
  saveDraft,
} from './rule-store.ts';

/** What `GET /api/connections/:id/rules` answers. */
export interface RuleSetView {
  mode: ModeId;
  editable: boolean;
  version: number;
  published: unknown;
  publishedAt: string;
  /** `default`, `local` or `peer`: who published this version. */
  origin: string;
  draft?: unknown;
  draftUpdatedAt?: string;
}

export interface SaveOptions {
  publish: boolean;
  /** `peer` when the other side sent a visual edit; such edits are not sent back. */
  origin?: 'local' | 'peer';
  /** Refuse to publish unless the current version is this one (edits over the link). */
  expectedVersion?: number;
}

export interface PublishedEvent {
  connectionId: string;
  mode: ModeId;
  version: number;
  rules: unknown;
  origin: string;
}

/**
 * The rules subsystem as other subsystems see it (built in core/host.ts, handed to the engine and routes).
 * @example const program = await rules.program(connectionId); // for sandbox.run
 */
export interface RuleService {
  get(connectionId: string): Promise<RuleSetView>;
  /** Validates (shape, conflicts, compiles in the sandbox) then stores a draft or publishes a new version. */
  save(connectionId: string, input: unknown, opts: SaveOptions): Promise<RuleSetView>;
  /** The published program, compiled and cached; a connection without rules gets its mode's defaults as version 1. */
  program(connectionId: string): Promise<RuleProgram>;
  /** The draft's program, or the published one when there is no draft. */
  draftOrPublished(connectionId: string): Promise<{ program: RuleProgram; draft: boolean; version: number }>;
  connection(connectionId: string): Promise<RuleConnection>;
  /**
   * Rules as an editor holds them (not stored): checked by the mode, compiled in the sandbox, named by their hash.
   * `version` is the published version they were edited on.
   */
  candidate(connectionId: string, input: unknown): Promise<{ program: RuleProgram; version: number }>;
  /** Published versions, newest first: a page of `limit` below version `before`. */
  versions(connectionId: string, page: { limit: number; before?: number }): Promise<StoredVersion[]>;
  /** Publishes the rules of an older version as a new version (nothing is rewritten); 404 for an unknown version. */
  rollback(connectionId: string, version: number): Promise<RuleSetView>;
  /** The published version and rules, created from the mode's defaults when there are none yet. */
  current(connectionId: string): Promise<StoredVersion>;
  /**
   * Stores rules the peer published as exactly `version` (origin `peer`), if that is newer than
   * this side's; returns false when this side is already there or beyond.
   */
  adopt(connectionId: string, version: number, rules: unknown): Promise<boolean>;
  onPublished(listener: (event: PublishedEvent) => void): () => void;
}

export interface RuleServiceDeps {
  db: Db;
  /** Checks that rules compile before they are stored; without one, runs report compile errors instead. */
  sandbox?: Sandbox | undefined;
  log?: Logger;
}

function describeProblems(problems: CompileProblem[]): string {
  return problems
    .map((p) => `the ${p.script} script at line ${p.line}, column ${p.column}: ${p.message}`)
    .join('; ');
}

/** A short name for compiled code, so the runner caches each text once. */
function hashOf(source: Pick<RuleProgram, 'outgoing' | 'incoming'>): string {
  return createHash('sha256')
    .update(source.outgoing)
    .update('\u0000')
    .update(source.incoming)
    .digest('hex')
    .slice(0, 16);
}

export function createRuleService(deps: RuleServiceDeps): RuleService {
  const { db } = deps;
  const cache = new Map<string, RuleProgram>();
  const listeners = new Set<(event: PublishedEvent) => void>();

  function emit(event: PublishedEvent): void {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        deps.log?.error({ err }, 'rules publish listener failed');
      }
    }
  }

  async function connection(connectionId: string): Promise<RuleConnection> {
    const conn = await loadConnection(db, connectionId);
    if (!conn) throw notFound('Connection', connectionId);
    return conn;
  }

  async function published(conn: RuleConnection): Promise<StoredVersion> {
    const found = await latestVersion(db, conn.id);
    if (found) return found;
    const mode = modes[conn.mode];
    await insertVersion(db, conn.id, {
      version: 1,
      mode: conn.mode,
      rules: mode.defaults(conn),
      origin: 'default',
    });
    return (await latestVersion(db, conn.id))!;
  }

  function compile(mode: Mode, conn: RuleConnection, rules: unknown) {
    return mode.compile(mode.parse(rules), { localName: conn.localName, remoteName: conn.remoteName });
  }

  async function checkCompiles(program: Pick<RuleProgram, 'outgoing' | 'incoming'>): Promise<void> {
    const { sandbox } = deps;
    if (!sandbox) return;
    const problems = await sandbox.check(program);
    if (problems.length) {
      throw new TandemError(
        'SCRIPT_COMPILE_ERROR',
        422,
        `The rules do not compile: ${describeProblems(problems)}`,
        {
          errors: problems,
        },
      );
    }
  }

  async function get(connectionId: string): Promise<RuleSetView> {
    const conn = await connection(connectionId);
    const current = await published(conn);
    const draft = await loadDraft(db, conn.id);
    const view: RuleSetView = {
      mode: conn.mode,
      editable: modes[conn.mode].editable,
      version: current.version,
      published: current.rules,
      publishedAt: current.publishedAt,
      origin: current.origin,
    };
    if (draft) {
      view.draft = draft.rules;
      view.draftUpdatedAt = draft.updatedAt;
    }
    return view;
  }

  return {
    get,
    connection,

    async save(connectionId, input, opts) {
      const conn = await connection(connectionId);
      const mode = modes[conn.mode];
      if (!mode.editable) {
        throw new TandemError(
          'MODE_NOT_EDITABLE',
          409,
          `${conn.mode} mode rules are fixed and cannot be edited`,
        );
      }
      const rules = mode.parse(input);
      await checkCompiles(mode.compile(rules, { localName: conn.localName, remoteName: conn.remoteName }));
      if (!opts.publish) {
        const current = await published(conn);
        await saveDraft(db, conn.id, rules, current.version);
        return get(conn.id);
      }
      await published(conn); // the defaults are version 1, so the first edit is version 2 on both sides
      const version = await db.transaction().execute(async (tx) => {
        const current = await latestVersion(tx, conn.id);
        const base = current?.version ?? 0;
        if (opts.expectedVersion !== undefined && opts.expectedVersion !== base) {
          throw new TandemError(
            'RULES_VERSION_CONFLICT',
            409,
            `The rules moved on: version ${base} is current, the edit was made on version ${opts.expectedVersion}`,
            { currentVersion: base },
          );
        }
        await insertVersion(tx, conn.id, {
          version: base + 1,
          mode: conn.mode,
          rules,
          origin: opts.origin ?? 'local',
        });
        await deleteDraft(tx, conn.id);
        return base + 1;
      });
      cache.delete(conn.id);
      const event: PublishedEvent = {
        connectionId: conn.id,
        mode: conn.mode,
        version,
        rules,
        origin: opts.origin ?? 'local',
      };
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          deps.log?.error({ err }, 'rules publish listener failed');
        }
      }
      return get(conn.id);
    },

    async program(connectionId) {
      const cached = cache.get(connectionId);
      if (cached) return cached;
      const conn = await connection(connectionId);
      const current = await published(conn);
      const program: RuleProgram = {
        version: `v${current.version}`,
        ...compile(modes[conn.mode], conn, current.rules),
      };
      cache.set(connectionId, program);
      return program;
    },

    async candidate(connectionId, input) {
      const conn = await connection(connectionId);
      const mode = modes[conn.mode];
      const source = compile(mode, conn, input);
      await checkCompiles(source);
      const current = await published(conn);
      return { program: { version: `editor-${hashOf(source)}`, ...source }, version: current.version };
    },

    async versions(connectionId, page) {
      const conn = await connection(connectionId);
      await published(conn);
      return listVersions(db, conn.id, page.limit, page.before);
    },

    async rollback(connectionId, version) {
      const conn = await connection(connectionId);
      await published(conn);
      const [found] = await listVersions(db, conn.id, 1, version + 1);
      if (!found || found.version !== version) throw notFound('Rule version', String(version));
      return this.save(conn.id, found.rules, { publish: true, origin: 'local' });
    },

    async draftOrPublished(connectionId) {
      const conn = await connection(connectionId);
      const draft = await loadDraft(db, conn.id);
      if (!draft) {
        const current = await published(conn);
        const program = await this.program(conn.id);
        return { program, draft: false, version: current.version };
      }
      const source = compile(modes[conn.mode], conn, draft.rules);
      return {
        program: { version: `draft-${hashOf(source)}`, ...source },
        draft: true,
        version: draft.baseVersion,
      };
    },

    async current(connectionId) {
      return published(await connection(connectionId));
    },

    async adopt(connectionId, version, input) {
      const conn = await connection(connectionId);
      const mode = modes[conn.mode];
      const rules = mode.parse(input);
      await checkCompiles(mode.compile(rules, { localName: conn.localName, remoteName: conn.remoteName }));
      const adopted = await db.transaction().execute(async (tx) => {
        const current = await latestVersion(tx, conn.id);
        if (current && current.version >= version) return false;
        await insertVersion(tx, conn.id, { version, mode: conn.mode, rules, origin: 'peer' });
        return true;
      });
      if (!adopted) return false;
      cache.delete(conn.id);
      emit({ connectionId: conn.id, mode: conn.mode, version, rules, origin: 'peer' });
      return true;
    },

    onPublished(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
