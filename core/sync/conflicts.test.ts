import { describe, expect, it } from 'vitest';
import { localClocks, replicaClocks, resolveLww } from './conflicts.ts';

const now = () => '999';

describe('per-field last writer wins', () => {
  it('two sides editing different fields at once both end with both edits', () => {
    const base = { summary: 's0', status: 'new' };
    // A changed summary at t=10, B changed status at t=20; each applies the other's full replica.
    const atA = resolveLww({
      patch: { status: 'open', summary: 's0' },
      current: { summary: 'a', status: 'new' },
      snapshot: { summary: 'a', status: 'new' },
      fieldClocks: { summary: '10', status: '01' },
      replica: { summary: 's0', status: 'open' },
      previous: base,
      remoteClocks: { summary: '01', status: '20' },
      eventClock: '20',
      now,
    });
    expect(atA.patch).toEqual({ status: 'open' });
    expect(atA.kept).toEqual(['summary']);
    const atB = resolveLww({
      patch: { summary: 'a', status: 'new' },
      current: { summary: 's0', status: 'open' },
      snapshot: { summary: 's0', status: 'open' },
      fieldClocks: { summary: '01', status: '20' },
      replica: { summary: 'a', status: 'new' },
      previous: base,
      remoteClocks: { summary: '10', status: '01' },
      eventClock: '10',
      now,
    });
    expect(atB.patch).toEqual({ summary: 'a' });
  });

  it('the same field edited on both sides: the later stamp wins on both', () => {
    const input = (localClock: string, remoteClock: string, mine: string, theirs: string) =>
      resolveLww({
        patch: { summary: theirs },
        current: { summary: mine },
        snapshot: { summary: mine },
        fieldClocks: { summary: localClock },
        replica: { summary: theirs },
        previous: { summary: 's0' },
        remoteClocks: { summary: remoteClock },
        eventClock: remoteClock,
        now,
      });
    expect(input('10-a', '10-b', 'a', 'b').patch).toEqual({ summary: 'b' }); // at A: B's stamp is later
    expect(input('10-b', '10-a', 'b', 'a').patch).toEqual({}); // at B: keeps b
  });

  it('a local edit not yet sent beats an incoming change of that field', () => {
    const r = resolveLww({
      patch: { summary: 'remote' },
      current: { summary: 'local edit' },
      snapshot: { summary: 's0' },
      fieldClocks: { summary: '05' },
      replica: { summary: 'remote' },
      previous: null,
      remoteClocks: { summary: '50' },
      eventClock: '50',
      now,
    });
    expect(r.patch).toEqual({});
    expect(r.fieldClocks.summary).toBe('999');
  });

  it('stamps only the replica fields that changed since the last send', () => {
    expect(replicaClocks({ a: 1, b: 2 }, { a: 1, b: 1 }, { a: 't1', b: 't1' }, 't2')).toEqual({
      a: 't1',
      b: 't2',
    });
    expect(replicaClocks({ a: 1 }, null, {}, 't3')).toEqual({ a: 't3' });
    expect(localClocks({ a: 1, b: 2 }, { a: 1, b: 1 }, { a: 't1' }, 't2')).toEqual({ a: 't1', b: 't2' });
  });

  it('fields named like Object.prototype members are fields like any other', () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const values = Object.fromEntries(names.map((n) => [n, `new ${n}`]));
    // Stored clocks and snapshots are parsed JSON: plain objects that inherit those names.
    const r = resolveLww({
      patch: values,
      current: JSON.parse('{}'),
      snapshot: JSON.parse('{}'),
      fieldClocks: JSON.parse('{}'),
      replica: values,
      previous: JSON.parse('{}'),
      remoteClocks: Object.fromEntries(names.map((n) => [n, '20'])),
      eventClock: '20',
      now,
    });
    expect(r.patch).toEqual(values);
    expect(r.kept).toEqual([]);
    const clocks = replicaClocks(values, JSON.parse('{}'), JSON.parse('{}'), '30');
    expect(clocks).toEqual(Object.fromEntries(names.map((n) => [n, '30'])));
    expect(localClocks(values, JSON.parse('{}'), JSON.parse('{}'), '40')).toEqual(
      Object.fromEntries(names.map((n) => [n, '40'])),
    );
  });
});
