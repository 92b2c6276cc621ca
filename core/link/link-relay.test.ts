// A peer that dials a process of the node which does not run the connection: the handshake ends there and the
// frames are relayed to the process that does, both ways; a wrong relay key is refused.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identityFromPrivateJwk, type NodeIdentity } from '../identity/node-identity.ts';
import { createLogger } from '../log.ts';
import type { LinkFrame } from './link-hub.ts';
import { createLinkNetwork, type LinkDirectory, type LinkNetwork } from './link-network.ts';

const log = createLogger('link-relay-test', 'silent');

async function newIdentity(): Promise<NodeIdentity> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return identityFromPrivateJwk(await exportJWK(pair.privateKey));
}

let node: NodeIdentity;
let peer: NodeIdentity;
beforeAll(async () => {
  [node, peer] = await Promise.all([newIdentity(), newIdentity()]);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const changes = (() => {
  const waiters = new Set<() => void>();
  return {
    poke() {
      for (const wake of waiters) wake();
      waiters.clear();
    },
    next: () => new Promise<void>((resolve) => waiters.add(resolve)),
  };
})();

const waitUntil = async (fn: () => boolean, ms = 5000) => {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  try {
    while (!fn()) await Promise.race([changes.next(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
};

async function listen(net: LinkNetwork): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  net.attach(server);
  cleanups.push(async () => {
    await net.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Two processes of one node (same key) and a peer that dials the one not holding connection `c1`. */
async function setup(relayKey: string) {
  const nodeDir: LinkDirectory = {
    authorizeInbound: async (linkId, p) =>
      linkId === 'L1' && p.jwk.x === peer.publicJwk.x
        ? { ok: true, connectionId: 'c1' }
        : { ok: false, code: 'wrong_key', message: 'not pinned' },
    confirmOutbound: async () => true,
    dialFailed: async () => 'redial' as const,
  };
  const common = { log, linkPath: '/link', backoffMaxMs: 300, heartbeatMs: 5000, identity: node };
  const holder = createLinkNetwork({
    ...common,
    local: () => ({ url: null, name: 'Node' }),
    directory: nodeDir,
    acceptRelay: (id, key) => id === 'c1' && key === 'the-key',
  });
  const holderUrl = await listen(holder);
  const other = createLinkNetwork({
    ...common,
    local: () => ({ url: null, name: 'Node' }),
    directory: nodeDir,
    place: async () => ({ here: false, url: holderUrl, relayKey }),
  });
  const otherUrl = await listen(other);
  const failures: string[] = [];
  const dialer = createLinkNetwork({
    log,
    linkPath: '/link',
    backoffMaxMs: 300,
    heartbeatMs: 5000,
    identity: peer,
    local: () => ({ url: null, name: 'Peer' }),
    directory: {
      authorizeInbound: async () => ({ ok: false, code: 'unknown_link', message: 'no' }),
      confirmOutbound: async () => true,
      dialFailed: async (_id, code) => {
        failures.push(code);
        changes.poke();
        return 'redial';
      },
    },
  });
  cleanups.push(() => dialer.close());
  for (const net of [holder, other, dialer]) net.onStatus(changes.poke);
  const target = {
    connectionId: 'p1',
    linkId: 'L1',
    url: otherUrl,
    peerNodeId: node.nodeId,
    pinnedJwk: node.publicJwk,
  };
  return { holder, other, dialer, target, failures };
}

describe('link relay between the processes of one node', () => {
  it('relays a peer that dialed the process not holding the connection to the holder, both ways', async () => {
    const { holder, other, dialer, target } = await setup('the-key');
    const atHolder: LinkFrame[] = [];
    const atPeer: LinkFrame[] = [];
    holder.handle('sync.test', (_id, f) => {
      atHolder.push(f);
      changes.poke();
    });
    dialer.handle('sync.test', (_id, f) => {
      atPeer.push(f);
      changes.poke();
    });
    expect((await dialer.dialOnce(target)).ok).toBe(true);
    await waitUntil(() => holder.isUp('c1'));
    expect(other.isUp('c1')).toBe(false); // the relaying process runs no session of its own
    for (let n = 0; n < 20; n++) expect(dialer.send('p1', { ch: 'sync.test', n })).toBe(true);
    expect(holder.send('c1', { ch: 'sync.test', n: 99 })).toBe(true);
    await waitUntil(() => atHolder.length === 20 && atPeer.length === 1);
    expect(atHolder.map((f) => f.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(atPeer[0]?.n).toBe(99);

    // The holder lets the connection go (another process takes it): the peer's link ends too and it redials.
    holder.disconnect('c1', 4001, 'connection moved to another process');
    await waitUntil(() => !dialer.isUp('p1'));
  });

  it('refuses the peer when the holder does not take the relay (wrong key, or no longer the holder)', async () => {
    const { holder, dialer, target } = await setup('not-the-key');
    const outcome = await dialer.dialOnce(target);
    // The handshake with the peer completes only once the holder took the relay leg.
    expect(outcome).toMatchObject({ ok: false, code: 'unavailable' });
    expect(holder.isUp('c1')).toBe(false);
  });
});
