// Comments and work notes: read from sys_journal_field a batch at a time; written on the record with a marker of our key.
import { z } from 'zod';
import { TandemError } from '../../errors.ts';
import type { Comment } from '../tracker.ts';
import type { ReadOptions, ServiceNowClient, ServiceNowRecord } from './client.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';
import { parseServiceNowTime } from './time.ts';

/** A journal entry as the shared comment, plus whose write it was. */
export interface JournalComment extends Comment {
  /** The record (`element_id`) it belongs to. */
  recordId: string;
  /** The idempotency key of the Tandem write that made it (from its marker), or null for anyone else's. */
  tandemKey: string | null;
}

export interface NewJournalEntry {
  body: string;
  internal: boolean;
  /** The write's idempotency key (connection + event): letters, digits and `._:-`, up to 200 characters. */
  key: string;
  /** Who wrote it on the other side (kept in the marker: ServiceNow stamps the integration user). */
  author?: string;
}

export interface WriteOutcome {
  /** `replayed`: the entry was already there (an earlier try landed); nothing was written. */
  outcome: 'applied' | 'replayed';
  /** The record's sys_mod_count after our write (for the echo check); absent when replayed or unknown. */
  modCount?: number;
  /** The record as the write's answer gave it (the fields of `read`), when it was written now. */
  record?: ServiceNowRecord;
}

export interface JournalOptions {
  client: ServiceNowClient;
  /** The journal fields (default `comments` and `work_notes`). */
  fields?: { comments: string; workNotes: string };
  /** Record ids per sys_journal_field query (default 100, so the URL stays short). */
  batchSize?: number;
  /** Tries of one write whose answer was lost (default 3). */
  attempts?: number;
}

/**
 * The marker is the entry's last line, `[tandem:KEY]` or `[tandem:KEY by AUTHOR]`: short, plain text in every
 * ServiceNow UI, and stripped from the body when read back. A body never gets more than one.
 */
const MARKER = /\n?\[tandem:([A-Za-z0-9._:-]{1,200})(?: by ([^\]\r\n]{1,200}))?\]\s*$/;
const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** An author as the marker can carry it: one line, no brackets, at most 200 characters. */
const markerAuthor = (author: string) =>
  author
    .replace(/[[\]\r\n]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200)
    .trim();

export function withMarker(body: string, key: string, author?: string): string {
  if (!KEY.test(key))
    throw new TandemError(
      'SERVICENOW_KEY_INVALID',
      500,
      'An idempotency key must be 1-200 of A-Z a-z 0-9 . _ : -',
    );
  const by = author === undefined ? '' : markerAuthor(author);
  return `${body.replace(MARKER, '')}\n[tandem:${key}${by ? ` by ${by}` : ''}]`;
}

/** The body without its marker, and the key (and author) the marker carried (null when none). */
export function readMarker(value: string): { body: string; key: string | null; author: string | null } {
  const m = MARKER.exec(value);
  return m
    ? { body: value.slice(0, m.index), key: m[1]!, author: m[2] ?? null }
    : { body: value, key: null, author: null };
}

const entrySchema = z.object({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/),
  element_id: z.string().min(1),
  element: z.string(),
  value: z.string(),
  sys_created_by: z.string(),
  sys_created_on: z.string().refine((t) => parseServiceNowTime(t) !== null),
});
const ENTRY_FIELDS = Object.keys(entrySchema.shape);

/**
 * @example const journal = createJournal({ client });
 * const byRecord = await journal.read(ids); await journal.write('incident', id, { body: 'Hi', internal: false, key: 'c1:42' })
 */
export function createJournal(o: JournalOptions) {
  const fields = o.fields ?? { comments: 'comments', workNotes: 'work_notes' };
  const batchSize = Math.max(1, Math.min(o.batchSize ?? 100, 500));
  const elements = [fields.comments, fields.workNotes];

  function toComment(raw: ServiceNowRecord): JournalComment {
    const flat = Object.fromEntries(ENTRY_FIELDS.map((f) => [f, storedValue(raw[f])]));
    const e = entrySchema.safeParse(flat);
    if (!e.success) {
      throw new ServiceNowError(
        'SERVICENOW_BAD_RESPONSE',
        'ServiceNow sent a journal entry of an unexpected shape',
        {
          table: 'sys_journal_field',
          operation: 'read',
        },
      );
    }
    const { body, key, author } = readMarker(e.data.value);
    return {
      id: e.data.sys_id,
      recordId: e.data.element_id,
      author: author ?? e.data.sys_created_by,
      body,
      internal: e.data.element === fields.workNotes,
      createdAt: new Date(parseServiceNowTime(e.data.sys_created_on)!).toISOString(),
      tandemKey: key,
    };
  }

  async function entries(query: ReturnType<typeof encodedQuery>): Promise<JournalComment[]> {
    const rows = await o.client.listAll('sys_journal_field', { query, fields: ENTRY_FIELDS });
    return rows.map(toComment);
  }

  /** The entry that carries `key` on a record, if one does. */
  async function find(sysId: string, key: string): Promise<JournalComment | null> {
    const q = encodedQuery()
      .where('element_id', '=', sysId)
      .in('element', elements)
      .where('value', 'LIKE', `[tandem:${key}`);
    return (await entries(q)).find((c) => c.tandemKey === key) ?? null;
  }

  return {
    /** Every comment and work note of these records, oldest first; one query per `batchSize` records. */
    async read(sysIds: readonly string[]): Promise<Map<string, JournalComment[]>> {
      const out = new Map<string, JournalComment[]>(sysIds.map((id) => [id, []]));
      const ids = [...out.keys()];
      for (let i = 0; i < ids.length; i += batchSize) {
        const q = encodedQuery()
          .in('element_id', ids.slice(i, i + batchSize))
          .in('element', elements)
          .orderBy('sys_created_on')
          .orderBy('sys_id');
        for (const c of await entries(q)) out.get(c.recordId)?.push(c);
      }
      return out;
    },
    find,
    /**
     * Adds a comment (or a work note) once per key: a replay finds its marker and writes nothing; a write whose
     * answer was lost is looked for before it is tried again. `checkFirst: false` skips the first look (a first try).
     */
    async write(
      table: string,
      sysId: string,
      entry: NewJournalEntry,
      opts: { checkFirst?: boolean; read?: ReadOptions } = {},
    ): Promise<WriteOutcome> {
      const value = withMarker(entry.body, entry.key, entry.author);
      const read: ReadOptions = opts.read
        ? { ...opts.read, fields: [...new Set([...(opts.read.fields ?? []), 'sys_mod_count'])] }
        : { fields: ['sys_mod_count'] };
      if (opts.checkFirst !== false && (await find(sysId, entry.key))) return { outcome: 'replayed' };
      const field = entry.internal ? fields.workNotes : fields.comments;
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await o.client.update(table, sysId, { [field]: value }, { ...read, appends: true });
          const modCount = Number(storedValue(r.sys_mod_count));
          return Number.isInteger(modCount)
            ? { outcome: 'applied', modCount, record: r }
            : { outcome: 'applied', record: r };
        } catch (err) {
          const lost = err instanceof ServiceNowError && err.details.maybeApplied === true;
          if (!lost || attempt >= (o.attempts ?? 3)) throw err;
          if (await find(sysId, entry.key)) return { outcome: 'applied' };
        }
      }
    },
  };
}

export type Journal = ReturnType<typeof createJournal>;
