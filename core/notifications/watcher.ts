// Finds what is worth telling, by reading what the host already records: sync_errors (digested per connection
// and window), finished sync_runs, accepted invitations, connections in error, and links down (since when).
import type { Db } from '../../storage/schema.ts';
import { readSetting, writeSetting } from '../identity/node-settings.ts';
import type { Clock } from '../sync/clock.ts';
import type { NotificationEvent } from './events.ts';

/**
 * Looks at the tables on each `poll` and answers the events since the last look; errors wait in a
 * per-connection digest until its window closes, so a storm of errors is one message per window.
 * @example const events = await watcher.poll(); for (const [id, d] of watcher.down()) ...
 */
export interface EventWatcher {
  poll(): Promise<NotificationEvent[]>;
  /** Active connections whose link is down now: since when (clock ms), and their name. */
  down(): ReadonlyMap<string, { since: number; name: string }>;
}

export interface WatcherDeps {
  db: Db;
  clock: Clock;
  /** How long errors gather before their digest goes out. */
  digestMs: number;
  /** Whether this process's link to the connection's peer is up. */
  isUp(connectionId: string): boolean;
}

/** Where each source was read up to: `<time>|<id>`, kept in settings so a restart neither repeats nor skips. */
interface Marks {
  errors: string;
  runs: string;
  accepted: string;
}
const MARKS_KEY = 'notifications.marks';
const BATCH = 1000;
const SAMPLES = 5;

interface Digest {
  opened: number;
  name: string;
  entity: { count: number; samples: string[] };
  connection: { count: number; samples: string[] };
}

const split = (mark: string) => {
  const at = mark.indexOf('|');
  return at < 0 ? [mark, ''] : [mark.slice(0, at), mark.slice(at + 1)];
};

export function createEventWatcher({ db, clock, digestMs, isUp }: WatcherDeps): EventWatcher {
  let marks: Marks | undefined;
  const digests = new Map<string, Digest>();
  const downSince = new Map<string, { since: number; name: string }>();
  let states: Map<string, string> | undefined;
  const iso = () => new Date(clock.now()).toISOString();

  /** The latest row of each source now: the first look starts there (history is not news). */
  async function initialMarks(): Promise<Marks> {
    const err = await db
      .selectFrom('sync_errors')
      .select(['occurred_at', 'id'])
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    const run = await db
      .selectFrom('sync_runs')
      .select(['finished_at', 'id'])
      .where('finished_at', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    const acc = await db
      .selectFrom('connections')
      .select(['invitation_used_at', 'id'])
      .where('invitation_used_at', 'is not', null)
      .orderBy('invitation_used_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return {
      errors: err ? `${err.occurred_at}|${err.id}` : '',
      runs: run ? `${run.finished_at}|${run.id}` : '',
      accepted: acc ? `${acc.invitation_used_at}|${acc.id}` : '',
    };
  }

  async function loadMarks(): Promise<Marks> {
    if (marks) return marks;
    const stored = await readSetting(db, MARKS_KEY);
    marks = stored ? (JSON.parse(stored) as Marks) : await initialMarks();
    if (!stored) await writeSetting(db, MARKS_KEY, JSON.stringify(marks));
    return marks;
  }

  async function names(): Promise<Map<string, { name: string; state: string; paired: boolean }>> {
    const rows = await db
      .selectFrom('connections')
      .select(['id', 'name', 'state', 'peer_public_jwk'])
      .execute();
    return new Map(
      rows.map((r) => [r.id, { name: r.name, state: r.state, paired: r.peer_public_jwk !== null }]),
    );
  }

  const digestOf = (id: string, name: string) => {
    let d = digests.get(id);
    if (!d) {
      d = {
        opened: clock.now(),
        name,
        entity: { count: 0, samples: [] },
        connection: { count: 0, samples: [] },
      };
      digests.set(id, d);
    }
    return d;
  };
  const add = (part: Digest['entity'], sample: string) => {
    part.count++;
    if (part.samples.length < SAMPLES) part.samples.push(sample);
  };

  return {
    down: () => downSince,

    async poll() {
      const m = await loadMarks();
      const conns = await names();
      const nameOf = (id: string | null) => (id ? (conns.get(id)?.name ?? id) : 'this node');
      const events: NotificationEvent[] = [];

      // Errors: new or recurring since the mark, into their connection's digest.
      const [errAt, errId] = split(m.errors);
      const errors = await db
        .selectFrom('sync_errors')
        .select([
          'id',
          'connection_id',
          'level',
          'entity_id',
          'remote_id',
          'direction',
          'message',
          'script',
          'script_line',
          'occurred_at',
        ])
        .where('status', '=', 'open')
        .where((eb) =>
          eb.or([
            eb('occurred_at', '>', errAt!),
            eb.and([eb('occurred_at', '=', errAt!), eb('id', '>', errId!)]),
          ]),
        )
        .orderBy('occurred_at')
        .orderBy('id')
        .limit(BATCH)
        .execute();
      for (const e of errors) {
        const d = digestOf(e.connection_id ?? '', nameOf(e.connection_id));
        const where = e.script ? ` (${e.script}${e.script_line ? `, line ${e.script_line}` : ''})` : '';
        if (e.level === 'entity') add(d.entity, `${e.entity_id ?? e.remote_id ?? '?'}${where}: ${e.message}`);
        else add(d.connection, `${e.message}${where}`);
      }
      const lastErr = errors.at(-1);
      if (lastErr) m.errors = `${lastErr.occurred_at}|${lastErr.id}`;

      // A connection that went into the error state (refused by its peer, say) joins the digest too.
      const previous = states;
      states = new Map([...conns].map(([id, c]) => [id, c.state]));
      if (previous)
        for (const [id, c] of conns)
          if (c.state === 'error' && previous.get(id) !== 'error')
            add(digestOf(id, c.name).connection, 'The connection is in error');

      // Finished runs.
      const [runAt, runId] = split(m.runs);
      const runs = await db
        .selectFrom('sync_runs')
        .selectAll()
        .where('finished_at', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('finished_at', '>', runAt!),
            eb.and([eb('finished_at', '=', runAt!), eb('id', '>', runId!)]),
          ]),
        )
        .orderBy('finished_at')
        .orderBy('id')
        .limit(BATCH)
        .execute();
      for (const r of runs) {
        const name = nameOf(r.connection_id);
        const kind = r.kind === 'bulk' ? 'Bulk sync' : 'Manual sync';
        events.push({
          event: 'run.finished',
          at: r.finished_at!,
          title: `${kind} on ${name} ${r.status}`,
          text: `${r.processed} processed: ${r.created} created, ${r.updated} updated, ${r.skipped} skipped, ${r.errors} errors, ${r.warnings} warnings.`,
          connection: { id: r.connection_id, name },
          facts: [
            ['Status', r.status],
            ['Processed', String(r.processed)],
            ['Errors', String(r.errors)],
          ],
          data: {
            runId: r.id,
            kind: r.kind,
            status: r.status,
            processed: r.processed,
            created: r.created,
            updated: r.updated,
            skipped: r.skipped,
            errors: r.errors,
            warnings: r.warnings,
            startedAt: r.started_at,
            finishedAt: r.finished_at,
          },
        });
      }
      const lastRun = runs.at(-1);
      if (lastRun) m.runs = `${lastRun.finished_at}|${lastRun.id}`;

      // Invitations this host issued that were accepted.
      const [accAt, accId] = split(m.accepted);
      const accepted = await db
        .selectFrom('connections')
        .select(['id', 'name', 'peer_name', 'peer_url', 'invitation_used_at'])
        .where('role', '=', 'inviter')
        .where('invitation_used_at', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('invitation_used_at', '>', accAt!),
            eb.and([eb('invitation_used_at', '=', accAt!), eb('id', '>', accId!)]),
          ]),
        )
        .orderBy('invitation_used_at')
        .orderBy('id')
        .limit(BATCH)
        .execute();
      for (const a of accepted)
        events.push({
          event: 'invitation.accepted',
          at: a.invitation_used_at!,
          title: `The invitation for ${a.name} was accepted`,
          text: `${a.peer_name ?? 'The other host'}${a.peer_url ? ` (${a.peer_url})` : ''} accepted the invitation.`,
          connection: { id: a.id, name: a.name },
          facts: [['Partner', a.peer_name ?? '—']],
          data: { peerName: a.peer_name, peerUrl: a.peer_url, acceptedAt: a.invitation_used_at },
        });
      const lastAcc = accepted.at(-1);
      if (lastAcc) m.accepted = `${lastAcc.invitation_used_at}|${lastAcc.id}`;

      if (errors.length || runs.length || accepted.length)
        await writeSetting(db, MARKS_KEY, JSON.stringify(m));

      // Digests whose window closed.
      const now = clock.now();
      for (const [id, d] of digests) {
        if (now - d.opened < digestMs) continue;
        digests.delete(id);
        const connection = id ? { id, name: d.name } : undefined;
        if (d.connection.count)
          events.push({
            event: 'connection.error',
            at: iso(),
            title: `${d.connection.count === 1 ? 'An error' : `${d.connection.count} errors`} on ${d.name}`,
            text: d.connection.samples.join('\n'),
            connection,
            facts: [['Errors', String(d.connection.count)]],
            data: { count: d.connection.count, samples: d.connection.samples, windowMs: digestMs },
          });
        if (d.entity.count)
          events.push({
            event: 'entity.error',
            at: iso(),
            title: `${d.entity.count} entity ${d.entity.count === 1 ? 'error' : 'errors'} on ${d.name}`,
            text: `${d.entity.samples.join('\n')}${d.entity.count > d.entity.samples.length ? `\n…and ${d.entity.count - d.entity.samples.length} more` : ''}`,
            connection,
            facts: [['Errors', String(d.entity.count)]],
            data: { count: d.entity.count, samples: d.entity.samples, windowMs: digestMs },
          });
      }

      // Links down: since when this process first saw them down.
      for (const [id, c] of conns) {
        const down = c.state === 'active' && c.paired && !isUp(id);
        if (!down) downSince.delete(id);
        else if (!downSince.has(id)) downSince.set(id, { since: now, name: c.name });
      }
      for (const id of downSince.keys()) if (!conns.has(id)) downSince.delete(id);
      return events;
    },
  };
}
