// SQL spelled so that SQLite and PostgreSQL read it alike, for the queries outside storage/ that need it.
import { type RawBuilder, type SqlBool, sql } from 'kysely';

/** `%`, `_` and `\` of a user's text made literal for `containsText` (both engines honour the ESCAPE clause). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (m) => `\\${m}`);
}

/**
 * Whether a column holds `text`, ignoring case: SQLite's LIKE ignores ASCII case, PostgreSQL's does not,
 * and neither has a default escape character in common, so both sides are lowered and the escape named.
 * @example q.where((eb) => eb.or([containsText('summary', query), containsText('key', query)]))
 */
export function containsText(column: string, text: string): RawBuilder<SqlBool> {
  const pattern = `%${escapeLike(text.toLowerCase())}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
