// The dialer acts on the directory's decisions: it redials after a failure until told to stop.
import { describe, expect, it } from 'vitest';
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

function dialerWith(decide: (attempt: number) => DialFailedDecision, code = 'peer_unreachable') {
  let dials = 0;
  const asked: string[] = [];
  let settle: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    settle = resolve;
  });
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
        const decision = decide(asked.length);
        if (decision === 'stop') setImmediate(settle);
        return decision;
      },
    },
    log,
  });
  return { dialer, stopped, asked, dials: () => dials };
}

describe('link dialer', () => {
  it('redials while the directory says redial, and stops once it says stop', async () => {
    const d = dialerWith((n) => (n < 3 ? 'redial' : 'stop'));
    d.dialer.keep(target);
    await d.stopped;
    expect(d.asked).toEqual(['c1:peer_unreachable', 'c1:peer_unreachable', 'c1:peer_unreachable']);
    expect(d.dials()).toBe(3);
    // Stopped means forgotten: a link going down does not start it again.
    d.dialer.linkDown('c1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(d.dials()).toBe(3);
    d.dialer.close();
  });

  it('stops after a fatal code even when the directory would redial', async () => {
    const d = dialerWith(() => 'redial', 'revoked');
    d.dialer.keep(target);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(d.dials()).toBe(1);
    d.dialer.close();
  });
});
