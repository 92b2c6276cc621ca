// Gathers calls made in the same turn of the event loop into one: writes into a Batch API request, reads into one query.

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Calls of `one` made before the event loop turns (concurrent journaled writes of one engine step) run together
 * through `many`, at most `max` at a time; a lone call runs as it is. `many` settles each item on its own.
 * @example const create = gathered((i) => client.create(i.table, i.body), (items) => client.batchWrites(items), 50);
 */
export function gathered<I, O>(
  one: (item: I) => Promise<O>,
  many: (items: I[]) => Promise<Settled<O>[]>,
  max: number,
): (item: I) => Promise<O> {
  let queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  let scheduled = false;

  function flush() {
    scheduled = false;
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
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/**
 * Look-ups by id made in the same turn become one look-up of all their ids; each caller gets its own ids' part.
 * @example const read = mergedLookups((ids) => journal.read(ids)); const [a, b] = await Promise.all([read([x]), read([y])]);
 */
export function mergedLookups<V>(
  load: (ids: string[]) => Promise<Map<string, V>>,
): (ids: readonly string[]) => Promise<Map<string, V>> {
  let pending: { ids: Set<string>; done: Promise<Map<string, V>> } | undefined;
  return async (ids) => {
    if (ids.length === 0) return new Map();
    if (!pending) {
      const wanted = new Set<string>();
      const done = new Promise<void>((r) => setImmediate(r)).then(() => {
        pending = undefined;
        return load([...wanted]);
      });
      pending = { ids: wanted, done };
    }
    for (const id of ids) pending.ids.add(id);
    const all = await pending.done;
    const out = new Map<string, V>();
    for (const id of ids) {
      const v = all.get(id);
      if (v !== undefined) out.set(id, v);
    }
    return out;
  };
}
