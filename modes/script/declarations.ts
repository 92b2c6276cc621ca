// TypeScript declarations of what script rules see, served to editors: shared globals plus one file per script.
// Kept as text (not a .d.ts in the project) so the rule globals never leak into the host's own type space.

/** Types and globals both scripts share: `connection`, `helpers`, `console`. */
export const GLOBALS_D_TS = `/** A comment as rules see it. A comment merged in from the other side keeps that side's id (and remoteId). */
interface RuleComment {
  id?: string;
  author: string;
  body: string;
  internal: boolean;
  createdAt?: string;
  /** The id of this comment on the other side, when it came from (or went to) there. */
  remoteId?: string;
}

/** An attachment as rules see it: metadata (the file follows over the link once a rule sends it). */
interface RuleAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256?: string;
  /** Internal attachments stay on this side unless a rule sends them. */
  internal: boolean;
  createdAt?: string;
}

/** An entity with its fields flattened beside id, key and type. */
interface RuleEntity {
  id?: string;
  key?: string;
  type: 'incident' | 'case' | 'change' | 'problem' | 'ci' | 'request' | 'user' | (string & {});
  summary?: string;
  description?: string;
  status?: string;
  priority?: number;
  assignee?: string | null;
  comments?: RuleComment[];
  attachments?: RuleAttachment[];
  [field: string]: unknown;
}

/** What one side sends the other: any JSON object the outgoing script builds. */
type Replica = { [field: string]: any };

/** The connection these rules belong to. */
declare const connection: Readonly<{ id: string; name: string; localName: string; remoteName: string }>;

/** The only capabilities rules have. Frozen: they cannot be replaced. */
declare const helpers: Readonly<{
  comments: Readonly<{
    /**
     * Returns \`local\` plus the public comments of \`remote\` it does not have yet (matched by id,
     * by remoteId, or by the same author and text). Internal comments are never copied unless
     * \`{ internal: true }\` is given.
     * Outgoing: \`replica.comments = helpers.comments.merge(replica.comments, entity.comments)\`
     * Incoming: \`entity.comments = helpers.comments.merge(entity.comments, replica.comments)\`
     */
    merge(
      local: readonly RuleComment[] | null | undefined,
      remote: readonly RuleComment[] | null | undefined,
      options?: { internal?: boolean },
    ): RuleComment[];
  }>;
  /**
   * Looks \`value\` up in \`table\` (an object keyed by the value as text, or [from, to] pairs).
   * Returns \`fallback\` when it is not there, or \`value\` itself when no fallback is given.
   * @example entity.priority = helpers.map(replica.urgency, { critical: 1, high: 2 }, 3);
   */
  map<T = unknown>(value: unknown, table: Record<string, T> | ReadonlyArray<readonly [unknown, T]>, fallback?: T): T;
  users: Readonly<{
    /** The user entity of this side with that e-mail address, or null. */
    byEmail(email: string): RuleEntity | null;
  }>;
  sync: Readonly<{
    /** Incoming only: after this change, stop syncing this entity with the other side. */
    unlink(): void;
  }>;
  attachments: Readonly<{
    /** The attachments that are not internal: \`replica.attachments = helpers.attachments.public(entity.attachments)\` */
    public(list: readonly RuleAttachment[] | null | undefined): RuleAttachment[];
  }>;
  twins: Readonly<{
    /**
     * Incoming: this side's id of the other side's entity (or of each in a list). An id with no twin here
     * yet makes the change wait for that entity to arrive, unless \`{ wait: false }\` (then it is null).
     */
    localId<T extends string | readonly string[] | null | undefined>(remoteId: T, options?: { wait?: boolean }): T extends readonly string[] ? string[] : string | null;
    /** Outgoing: the other side's id of this side's entity (or of each in a list), or null when it has none. */
    remoteId<T extends string | readonly string[] | null | undefined>(localId: T): T extends readonly string[] ? string[] : string | null;
  }>;
  entity: Readonly<{
    /** Incoming only: delete this side's entity (e.g. when \`replica.deleted === true\`: the other side deleted it). */
    delete(): void;
  }>;
}>;

/** Messages written here show up as warnings of the run (at most 20). */
declare const console: Readonly<{
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}>;
`;

/** Globals of the outgoing script. */
export const OUTGOING_D_TS = `/** This side's entity: a read-only copy. */
declare const entity: Readonly<RuleEntity>;
/** Fill this: it is what the other side receives. */
declare let replica: Replica;
`;

/** Globals of the incoming script. */
export const INCOMING_D_TS = `/** What the other side sent (read-only). */
declare const replica: Readonly<Replica>;
/** The replica applied last time, or null on first sync. */
declare const previous: Readonly<Replica> | null;
/** True when this side has no entity for the replica yet. */
declare const firstSync: boolean;
/** This side's entity: change it. On first sync it is a new entity whose type is replica.type. */
declare let entity: RuleEntity;
`;

/** All three, as an editor would load them, keyed by file name. */
export const SCRIPT_DECLARATIONS: Record<string, string> = {
  'tandem-globals.d.ts': GLOBALS_D_TS,
  'tandem-outgoing.d.ts': OUTGOING_D_TS,
  'tandem-incoming.d.ts': INCOMING_D_TS,
};
