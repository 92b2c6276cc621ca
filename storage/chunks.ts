// Long `in (...)` lists and multi-row inserts are split so no statement passes a database's parameter limit.

/** Ids per `in (...)` list: well under SQLite's and PostgreSQL's limits, whatever else the query binds. */
export const IN_LIST_CHUNK = 200;

/** Rows per multi-row insert: each row binds several parameters. */
export const INSERT_CHUNK = 100;

/**
 * Runs `run` on consecutive slices of `items` (in order, one at a time) and concatenates what it returns.
 * @example const rows = await inChunks(ids, (chunk) => db.selectFrom('t').selectAll().where('id', 'in', chunk).execute());
 */
export async function inChunks<T, R>(
  items: readonly T[],
  run: (chunk: T[]) => Promise<R[]>,
  size = IN_LIST_CHUNK,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
}
