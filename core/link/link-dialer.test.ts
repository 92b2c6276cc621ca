// The dialer acts on the directory's decisions: it redials after a failure until told to stop.
// Its timers are vitest's fake ones: a run ends when no dial is due, and "nothing more happens" is no timer left.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log.ts';
import { createDialer } from './link-dialer.ts';
import type { DialFailedDecision, DialTarget } from './link-directory.ts';

const log = createLogger('dialer-test', 'silent');
const target: DialTarget = {
  connectionId: 'c1',
  linkId: 'l1',
  url: 'http://x',
  peerNodeId: null,
  pinnedJwk: null,
};

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function dialerWith(decide: (attempt: number) => DialFailedDecision, code = 'peer_unreachable') {
  let dials = 0;
  const asked: string[] = [];
  const dialer = createDialer({
    backoffMaxMs: 1,
    dial: async () => {
      dials++;
      return { ok: false, code, message: 'no' };
    },
    isLive: () => false,
    directory: {
      dialFailed: async (id, failed) => {
        asked.push(`${id}:${failed}`);
        return decide(asked.length);
      },
    },
    log,
  });
  return { dialer, asked, dials: () => dials };
}

describe('link dialer', () => {
  it('redials while the directory says redial, and stops once it says stop', async () => {
    const d = dialerWith((n) => (n < 3 ? 'redial' : 'stop'));
    d.dialer.keep(target);
    // Runs every dial that falls due, each after the decision on the one before, until none is.
    await vi.runAllTimersAsync();
    expect(d.asked).toEqual(['c1:peer_unreachable', 'c1:peer_unreachable', 'c1:peer_unreachable']);
    expect(d.dials()).toBe(3);
    // Stopped means forgotten: a link going down does not start it again (no dial is set to come).
    d.dialer.linkDown('c1');
    expect(vi.getTimerCount()).toBe(0);
    await vi.runAllTimersAsync();
    expect(d.dials()).toBe(3);
    d.dialer.close();
  });

  it('stops after a fatal code even when the directory would redial', async () => {
    const d = dialerWith(() => 'redial', 'revoked');
    d.dialer.keep(target);
    await vi.runAllTimersAsync();
    expect(d.asked).toEqual(['c1:revoked']);
    expect(d.dials()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    d.dialer.close();
  });

  it('keeps redialing while the directory says redial (a dial always due until stopped)', async () => {
    const d = dialerWith(() => 'redial');
    d.dialer.keep(target);
    for (let n = 1; n <= 5; n++) {
      await vi.advanceTimersToNextTimerAsync();
      expect(d.dials()).toBe(n);
    }
    await vi.advanceTimersToNextTimerAsync();
    expect(vi.getTimerCount()).toBe(1);
    await d.dialer.stop('c1');
    expect(vi.getTimerCount()).toBe(0);
    d.dialer.close();
  });
  it('stop waits for a dial under way, so a caller knows its outcome before changing the target', async () => {
    let finish: () => void = () => {};
    const order: string[] = [];
    const dialer = createDialer({
      backoffMaxMs: 1,
      dial: () =>
        new Promise((resolve) => {
          finish = () => {
            order.push('dial ended');
            resolve({ ok: false, code: 'unknown_link', message: 'no' });
          };
        }),
      isLive: () => false,
      directory: { dialFailed: async () => 'redial' },
      log,
    });
    dialer.keep(target);
    await vi.advanceTimersToNextTimerAsync();
    const stopped = dialer.stop('c1').then(() => order.push('stopped'));
    await Promise.resolve();
    expect(order).toEqual([]);
    finish();
    await stopped;
    expect(order).toEqual(['dial ended', 'stopped']);
    // Forgotten: the failed dial is not scheduled again.
    expect(vi.getTimerCount()).toBe(0);
    dialer.close();
  });
});
