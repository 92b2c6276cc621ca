// Paging of the admin API's lists: `limit` and an opaque `cursor` in, `{items, nextCursor?}` out.
import { z } from 'zod';
import { TandemError } from '../../errors.ts';

/** The `limit` and `cursor` every paged list takes. */
export const page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(40).optional(),
};

/** The offset a cursor this API gave stands for (400 `invalid_cursor` for anything else). */
export function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
  return n;
}

const cursorAt = (offset: number) => Buffer.from(String(offset)).toString('base64url');

/** A page of `items` read from `offset`, with the cursor of the next one when there is more. */
export function paged<T>(items: T[], more: boolean, offset: number) {
  return more ? { items, nextCursor: cursorAt(offset + items.length) } : { items };
}

/** The schema of a paged list of `item`. */
export const listOf = <S extends z.ZodType>(item: S) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().optional() });
