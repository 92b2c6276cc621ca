import { describe, expect, it } from 'vitest';
import { inChunks } from './chunks.ts';

describe('inChunks', () => {
  it('runs one slice at a time, in order, and concatenates the results', async () => {
    const seen: number[][] = [];
    const out = await inChunks(
      Array.from({ length: 450 }, (_, i) => i),
      async (chunk) => {
        seen.push([chunk[0]!, chunk.length]);
        return chunk.map((n) => n * 2);
      },
    );
    expect(seen).toEqual([
      [0, 200],
      [200, 200],
      [400, 50],
    ]);
    expect(out).toEqual(Array.from({ length: 450 }, (_, i) => i * 2));
    expect(await inChunks([], async () => [1])).toEqual([]);
  });
});
