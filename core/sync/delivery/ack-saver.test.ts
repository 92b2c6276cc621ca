// The ack saver writes at most once per interval per connection, never loses the last ack, and flushes at close.
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../tests/support/manual-clock.ts';
import { createLogger } from '../../log.ts';
import { createAckSaver } from './ack-saver.ts';

describe('ack saver', () => {
  it('writes the first ack at once, later ones once the interval is over, and what is left at flush', async () => {
    const clock = manualClock();
    const writes: Array<[string, number]> = [];
    const acks = createAckSaver({
      clock,
      log: createLogger('ack-test', 'silent'),
      intervalMs: 200,
      what: 'test ack',
      write: async (id, upTo) => {
        writes.push([id, upTo]);
        return upTo;
      },
    });
    acks.acked('c1', 5);
    await Promise.resolve();
    expect(writes).toEqual([['c1', 5]]);
    acks.acked('c1', 7);
    acks.acked('c1', 9);
    acks.acked('c1', 8);
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    clock.advance(200);
    expect(writes).toEqual([
      ['c1', 5],
      ['c1', 9],
    ]);
    // Known written (read back): nothing to write for it.
    acks.saved('c2', 4);
    acks.acked('c2', 4);
    acks.acked('c1', 12);
    await acks.flush();
    expect(writes).toEqual([
      ['c1', 5],
      ['c1', 9],
      ['c1', 12],
    ]);
  });
});
