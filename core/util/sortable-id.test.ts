import { describe, expect, it } from 'vitest';
import { sortableId } from './sortable-id.ts';

describe('sortableId', () => {
  it('sorts in the order the ids were made, within one millisecond too', () => {
    const ids = Array.from({ length: 2000 }, () => sortableId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
