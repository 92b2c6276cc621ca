// Hot queries built and compiled once, then run with new values: kysely otherwise rebuilds and
// compiles every query, which cost more CPU than SQLite spent running the engine's small queries.
import type { Compilable, CompiledQuery } from 'kysely';
import type { DbExecutor } from './schema.ts';

const marker = (i: number) => `\u0000tandem-param-${i}\u0000`;

interface Shape<R> {
  compiled: CompiledQuery<R>;
  /** For each compiled parameter: the index of the argument it takes, or -1 for a constant. */
  slots: number[];
}

/**
 * Wraps a query builder whose values are all arguments. The builder runs once with marker values;
 * each call then reuses the compiled SQL with the real values in the markers' places. The SQL is
 * compiled by the first executor used: one process speaks one dialect.
 * @example
 * const removeRow = prepared((db, id: string) => db.deleteFrom('t').where('id', '=', id));
 * await removeRow(tx, 'abc');
 */
export function prepared<R, A extends unknown[]>(
  build: (db: DbExecutor, ...args: A) => Compilable<R>,
): (db: DbExecutor, ...args: A) => Promise<R[]> {
  let shape: Shape<R> | undefined;
  return async (db, ...args) => {
    if (!shape) {
      const markers = args.map((_, i) => marker(i)) as A;
      const compiled = build(db, ...markers).compile();
      shape = { compiled, slots: compiled.parameters.map((p) => markers.indexOf(p as never)) };
    }
    const { compiled, slots } = shape;
    const parameters = slots.map((slot, i) => (slot === -1 ? compiled.parameters[i] : args[slot]));
    const result = await db.executeQuery<R>({ ...compiled, parameters });
    return result.rows;
  };
}
