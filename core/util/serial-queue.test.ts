// The per-key serial queue: order within a key, concurrency across keys, failures contained.
import { describe, expect, it } from 'vitest';
import { createSerialQueue } from './serial-queue.ts';

describe('createSerialQueue', () => {
  it('runs jobs of one key in order, one at a time, and other keys alongside', async () => {
    const q = createSerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      return 1;
    });
    const second = q.run('a', () => {
      log.push('a2');
      return 2;
    });
    const other = q.run('b', () => {
      log.push('b1');
      return 3;
    });
    expect(await other).toBe(3);
    expect(log).toEqual(['a1 start', 'b1']);
    expect(q.size).toBeGreaterThanOrEqual(1);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    await q.idle();
    expect(q.size).toBe(0);
  });

  it('passes a failure to its caller only; the next job of the key still runs', async () => {
    const q = createSerialQueue();
    const failed = q.run('k', () => Promise.reject(new Error('boom')));
    const after = q.run('k', () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    expect(await after).toBe('ran');
    const sync = q.run('k', () => {
      throw new Error('thrown');
    });
    await expect(sync).rejects.toThrow('thrown');
    expect(await q.run('k', () => 'still')).toBe('still');
  });

  it('idle() waits for jobs queued while it waits', async () => {
    const q = createSerialQueue();
    const done: number[] = [];
    void q.run('a', async () => {
      await new Promise<void>((r) => setImmediate(r));
      void q.run('b', () => done.push(2));
      done.push(1);
    });
    await q.idle();
    expect(done).toEqual([1, 2]);
  });
});
