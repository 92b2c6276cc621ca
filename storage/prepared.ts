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

/** The columns a partial row sets (defined values only), sorted, so equal sets give one query shape. */
export function columnsOf<T extends object>(set: T): (keyof T & string)[] {
  return (Object.keys(set) as (keyof T & string)[]).filter((k) => set[k] !== undefined).sort();
}

/**
 * Builds one prepared query per shape (the columns an update writes, a row count) on first use of
 * that shape, and hands back the same one after.
 * @example const updateOf = perShape((cols: string[]) => prepared(...)); await updateOf(columnsOf(set))(tx, ...);
 */
export function perShape<S, F>(build: (shape: S) => F, key: (shape: S) => string = String): (shape: S) => F {
  const built = new Map<string, F>();
  return (shape) => {
    const k = key(shape);
    let f = built.get(k);
    if (!f) {
      f = build(shape);
      built.set(k, f);
    }
    return f;
  };
}
