// Real host processes killed with SIGKILL in the middle of a stream of changes: each change still applies exactly once, in order.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { stopAllHosts, waitFor } from './support/host-process.ts';
import { waitConn } from './support/pairing-support.ts';
import {
  COUNTING_INCOMING,
  COUNTING_OUTGOING,
  expectAppliedOnce,
  publishRules,
  restart,
  type SyncPair,
  syncAllIncidents,
  syncPair,
  untilApplied,
  untilQueued,
  writeRound,
} from './support/sync.ts';

const ENTITIES = 20;
const ROUNDS = 15;
/** Round 4 takes B a while to apply (20 ms of rule time per event), so a kill lands while its rules run. */
const SLOW_ROUND = 4;

let p: SyncPair;

beforeAll(async () => {
  p = await syncPair({ proxy: true });
  await publishRules(p.a, p.aConn, { outgoing: COUNTING_OUTGOING });
  await publishRules(p.b, p.bConn, {
    incoming: `if (replica.n === ${SLOW_ROUND}) { const until = Date.now() + 20; while (Date.now() < until); }\n${COUNTING_INCOMING}`,
  });
  await syncAllIncidents(p.a, p.aConn);
});
afterAll(async () => {
  await p?.proxy?.close();
  await stopAllHosts();
});

/** From now until the link drops, B's frames (its acks) stay in the proxy: A never hears what B committed. */
async function holdAcks() {
  await waitConn(p.b, p.bConn, (c) => c.link.up, 15_000);
  p.proxy!.holdFromDialer();
}

const namesFor = (prefix: string) => Array.from({ length: ENTITIES }, (_, i) => `${prefix} ${i}`);

describe('a host killed with SIGKILL mid-stream (A sends n = 1, 2, 3... of 20 incidents, B records each n it applies)', () => {
  it('the receiver, killed while it applies received events and again while frames arrive, applies every change once, in order', async () => {
    const names = namesFor('receiver crash');
    const ids: string[] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      if (n === 11) await holdAcks();
      const passed = p.proxy!.toDialer();
      await writeRound(p.a, ids, names, n);
      if (n === SLOW_ROUND) {
        // Killed once the round's frames reached B, while its rules run (~400 ms): nothing of it committed.
        await waitFor(async () => p.proxy!.toDialer() > passed + 1000, 10_000, 2); // a frame, not a heartbeat
        await new Promise((r) => setTimeout(r, 100));
        await p.b.stop('SIGKILL');
      }
      if (n === 11) {
        // B commits and applies this round but its acks never reach A, then dies: A sends it all again.
        await untilApplied(p, names, n);
        await p.b.stop('SIGKILL');
      }
      await untilQueued(p.a, ids, n);
      if (n === 7 || n === 13) p.b = await restart(p.b, 'Beta'); // A queued rounds 4-7 and 11-13 meanwhile
    }
    await expectAppliedOnce(p, names, ROUNDS);
  });

  it('the sender, killed right after changes commit and again with events unacknowledged, sends every change once, in order', async () => {
    const names = namesFor('sender crash');
    const ids: string[] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      if (n === 10) await holdAcks();
      await writeRound(p.a, ids, names, n);
      if (n === 5) {
        // Committed by the tracker, perhaps not yet read from the change feed: the feed cursor must hold.
        await p.a.stop('SIGKILL');
        p.a = await restart(p.a, 'Alpha');
      }
      if (n === 10) {
        // Applied by B but never acknowledged to A: A sends it again after the restart, B must drop it.
        await untilApplied(p, names, n);
        await p.a.stop('SIGKILL');
        p.a = await restart(p.a, 'Alpha');
      }
      await untilQueued(p.a, ids, n);
    }
    await expectAppliedOnce(p, names, ROUNDS);
  });
});
