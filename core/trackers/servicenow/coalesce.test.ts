// The gate of gathered calls: joined callers are waited for, but never for longer than the bound.
import { describe, expect, it } from 'vitest';
import { createGate, gathered, mergedLookups } from './coalesce.ts';

/** A gathered call that records each request's items. */
function recorder(gate: ReturnType<typeof createGate>) {
  const sent: number[][] = [];
  const call = gathered(
    async (n: number) => {
      sent.push([n]);
      return n;
    },
    async (items: number[]) => {
      sent.push(items);
      return items.map((value) => ({ ok: true as const, value }));
    },
    50,
    gate,
  );
  return { sent, call };
}

describe('the gate of gathered calls', () => {
  it('sends the calls of joined callers together once each has one waiting or has left', async () => {
    const gate = createGate(60_000);
    const { sent, call } = recorder(gate);
    const leaves = [gate.join(), gate.join(), gate.join()];
    const a = call(1);
    await new Promise((r) => setImmediate(r));
    const b = call(2);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    leaves[2]!();
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(sent).toEqual([[1, 2]]);
    for (const leave of leaves) leave();
  });

  it('waits at most its bound for a joined caller that never calls', async () => {
    const gate = createGate(30);
    const { sent, call } = recorder(gate);
    const leave = gate.join();
    gate.join(); // never calls, never leaves
    const started = Date.now();
    expect(await call(7)).toBe(7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(sent).toEqual([[7]]);
    leave();
  });

  it('does not hold a look-up made inside a call in flight for the callers that call serves', async () => {
    const gate = createGate(60_000);
    const journal = mergedLookups(async (ids) => new Map(ids.map((id) => [id, `j:${id}`])), gate);
    // A read whose loading makes a second, nested look-up (a record read that reads its journal).
    const read = mergedLookups(async (ids) => {
      const j = await journal(ids);
      return new Map(ids.map((id) => [id, j.get(id)!]));
    }, gate);
    const leaves = [gate.join(), gate.join()];
    const got = await Promise.all(leaves.map((_, i) => read([`r${i}`])));
    expect(got.map((m) => [...m.values()])).toEqual([['j:r0'], ['j:r1']]);
    for (const leave of leaves) leave();
  });
});
