// Gathers calls made in the same turn of the event loop into one: writes into a Batch API request, reads into one query.

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** How long calls wait at most for joined callers busy elsewhere (a bound, not the usual wait). */
export const JOINED_WAIT_MS = 500;

/**
 * When the calls gathered by one or more coalescers go: at the next turn of the event loop, unless callers
 * have `join`ed and some of them are busy elsewhere (a database read: a round trip on PostgreSQL, none on
 * SQLite); then once every joined caller has a call waiting or in flight here, or has left, at most
 * `JOINED_WAIT_MS` later. So the calls of callers working side by side go together whatever the database.
 */
export interface Gate {
  /** One more caller whose calls should go with the others'; call the returned function when it is done. */
  join(): () => void;
  /** A call waits: `release` sends what its coalescer holds. */
  hold(release: () => void): void;
  /** A call sent by a release has its answer. */
  settled(): void;
}

/**
 * Counts calls, not callers: a caller with two calls waiting makes the calls go early (never late), and a call
 * made inside one in flight (a read's journal look-up) does not wait for the callers it serves.
 * @example const gate = createGate(); const read = mergedLookups(load, gate); const leave = gate.join();
 */
export function createGate(maxWaitMs = JOINED_WAIT_MS): Gate {
  let joined = 0;
  let waiting = 0;
  let inFlight = 0;
  const releases = new Set<() => void>();
  let scheduled = false;
  let bound: NodeJS.Timeout | undefined;

  function releaseAll() {
    scheduled = false;
    clearTimeout(bound);
    bound = undefined;
    inFlight += waiting;
    waiting = 0;
    const all = [...releases];
    releases.clear();
    for (const r of all) r();
  }
  function check() {
    if (waiting === 0 || scheduled) return;
    if (waiting + inFlight < joined) {
      bound ??= setTimeout(releaseAll, maxWaitMs);
      return;
    }
    scheduled = true;
    setImmediate(releaseAll);
  }
  return {
    join() {
      joined++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        joined--;
        check();
      };
    },
    hold(release) {
      waiting++;
      releases.add(release);
      check();
    },
    settled() {
      inFlight--;
      check();
    },
  };
}

/**
 * Calls of `one` made before the event loop turns (concurrent journaled writes of one engine step) run together
 * through `many`, at most `max` at a time; a lone call runs as it is. `many` settles each item on its own.
 * With a shared `gate`, joined callers are waited for as well (see `Gate`).
 * @example const create = gathered((i) => client.create(i.table, i.body), (items) => client.batchWrites(items), 50);
 */
export function gathered<I, O>(
  one: (item: I) => Promise<O>,
  many: (items: I[]) => Promise<Settled<O>[]>,
  max: number,
  gate: Gate = createGate(),
): (item: I) => Promise<O> {
  let queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];

  function flush() {
    const taken = queue;
    queue = [];
    for (let i = 0; i < taken.length; i += max) {
      const group = taken.slice(i, i + max);
      if (group.length === 1) {
        const [g] = group;
        one(g!.item).then(g!.resolve, g!.reject);
        continue;
      }
      many(group.map((g) => g.item)).then(
        (results) =>
          group.forEach((g, k) => {
            const r = results[k];
            if (!r) g.reject(new Error('the batch gave no answer for an item'));
            else if (r.ok) g.resolve(r.value);
            else g.reject(r.error);
          }),
        (err: unknown) => {
          for (const g of group) g.reject(err);
        },
      );
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      gate.hold(flush);
    }).finally(() => gate.settled());
}

/**
 * Look-ups by id made in the same turn become one look-up of all their ids; each caller gets its own ids' part.
 * With a shared `gate`, joined callers are waited for as well (see `Gate`).
 * @example const read = mergedLookups((ids) => journal.read(ids)); const [a, b] = await Promise.all([read([x]), read([y])]);
 */
export function mergedLookups<V>(
  load: (ids: string[]) => Promise<Map<string, V>>,
  gate: Gate = createGate(),
): (ids: readonly string[]) => Promise<Map<string, V>> {
  let pending: { ids: Set<string>; done: Promise<Map<string, V>>; release: () => void } | undefined;
  return async (ids) => {
    if (ids.length === 0) return new Map();
    if (!pending) {
      const wanted = new Set<string>();
      let release = () => {};
      const done = new Promise<void>((r) => {
        release = r;
      }).then(() => load([...wanted]));
      pending = { ids: wanted, done, release };
    }
    const mine = pending;
    for (const id of ids) mine.ids.add(id);
    gate.hold(() => {
      if (pending === mine) pending = undefined;
      mine.release();
    });
    let all: Map<string, V>;
    try {
      all = await mine.done;
    } finally {
      gate.settled();
    }
    const out = new Map<string, V>();
    for (const id of ids) {
      const v = all.get(id);
      if (v !== undefined) out.set(id, v);
    }
    return out;
  };
}
