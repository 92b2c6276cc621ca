// The link network over real WebSockets between two in-process hubs: auth, replay, ordering, limits, reconnects.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { openConnections, rawUpgrade } from '../../tests/support/raw-upgrade.ts';
import { identityFromPrivateJwk, type NodeIdentity } from '../identity/node-identity.ts';
import { createLogger } from '../log.ts';
import { newNonce, PROOF_TYP, signProof } from './handshake.ts';
import type { LinkFrame } from './link-hub.ts';
import { backoffDelay, createLinkNetwork, type LinkDirectory, type LinkNetwork } from './link-network.ts';
import { MAX_FRAME_DEPTH } from './refusals.ts';
import { CLOSE_TIMEOUT_MS, dialLink, MAX_FRAME_BYTES } from './ws-transport.ts';

const log = createLogger('link-test', 'silent');

async function newIdentity(): Promise<NodeIdentity> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return identityFromPrivateJwk(await exportJWK(pair.privateKey));
}

let alice: NodeIdentity;
let bob: NodeIdentity;
let mallory: NodeIdentity;

beforeAll(async () => {
  [alice, bob, mallory] = await Promise.all([newIdentity(), newIdentity(), newIdentity()]);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Alice listens (connection 'a1'), Bob dials (connection 'b1'); both pin each other on link 'L1'. */
async function setup(
  opts: { heartbeatMs?: number; handshakesPerSecond?: number; handshakeTimeoutMs?: number } = {},
) {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const failures: string[] = [];
  const aliceDir: LinkDirectory = {
    authorizeInbound: async (linkId, peer) =>
      linkId === 'L1' && peer.jwk.x === bob.publicJwk.x
        ? { ok: true, connectionId: 'a1' }
        : { ok: false, code: 'wrong_key', message: 'not pinned' },
    confirmOutbound: async () => true,
    dialFailed: async () => 'redial' as const,
  };
  const bobDir: LinkDirectory = {
    authorizeInbound: async () => ({ ok: false, code: 'unknown_link', message: 'no' }),
    confirmOutbound: async () => true,
    dialFailed: async (_id, code) => {
      failures.push(code);
      return 'redial';
    },
  };
  const common = {
    log,
    linkPath: '/link',
    backoffMaxMs: 300,
    heartbeatMs: opts.heartbeatMs ?? 5000,
    ...(opts.handshakesPerSecond ? { handshakesPerSecond: opts.handshakesPerSecond } : {}),
    ...(opts.handshakeTimeoutMs ? { handshakeTimeoutMs: opts.handshakeTimeoutMs } : {}),
  };
  const a = createLinkNetwork({
    ...common,
    identity: alice,
    local: () => ({ url, name: 'Alice' }),
    directory: aliceDir,
  });
  const b = createLinkNetwork({
    ...common,
    identity: bob,
    local: () => ({ url: null, name: 'Bob' }),
    directory: bobDir,
  });
  a.attach(server);
  a.onStatus(changes.poke);
  b.onStatus(changes.poke);
  const target = {
    connectionId: 'b1',
    linkId: 'L1',
    url,
    peerNodeId: alice.nodeId,
    pinnedJwk: alice.publicJwk,
  };
  cleanups.push(async () => {
    await b.close();
    await a.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { a, b, url, target, failures, server };
}

function statusLog(net: LinkNetwork) {
  const events: boolean[] = [];
  net.onStatus((_id, up) => {
    events.push(up);
    changes.poke();
  });
  return events;
}

/** Wakes the waits below: called on every status change, frame handled and raw socket message or close. */
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

/** Resolves once `fn` holds, checked again at each change the tests watch (not on a timer); fails after `ms`. */
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

/** A raw client: reads the hello and answers with a proof of our choosing. */
async function rawHandshake(url: string, makeProof: (hello: { nonce: string }) => Promise<string>) {
  const socket = await dialLink(`${url.replace('http', 'ws')}/link`);
  const messages: string[] = [];
  let closed: { code: number } | undefined;
  socket.onMessage((t) => {
    messages.push(t);
    changes.poke();
  });
  socket.onClose((code) => {
    closed = { code };
    changes.poke();
  });
  await waitUntil(() => messages.length > 0);
  const hello = JSON.parse(messages[0]!) as { nonce: string; nodeId: string };
  socket.send(JSON.stringify({ t: 'auth', proof: await makeProof(hello) }));
  await waitUntil(() => messages.length > 1 || !!closed);
  return {
    reply: messages[1] ? (JSON.parse(messages[1]) as Record<string, string>) : undefined,
    socket,
    closed: () => closed,
  };
}

describe('link network', () => {
  it('authenticates both ways and delivers frames in order, awaiting each handler', async () => {
    const { a, b, target } = await setup();
    const aStatus = statusLog(a);
    const seen: number[] = [];
    let inFlight = 0;
    let overlap = false;
    a.handle('sync.test', async (id, frame) => {
      expect(id).toBe('a1');
      inFlight++;
      if (inFlight > 1) overlap = true;
      // Some handlers yield to the event loop (once or twice), others not at all: the frames behind one
      // that yields would overtake it if the session did not await each handler.
      for (let i = 0; i < (frame.n as number) % 3; i++) await new Promise((r) => setImmediate(r));
      seen.push(frame.n as number);
      inFlight--;
      changes.poke();
    });
    expect(b.send('b1', { ch: 'sync.test', n: 0 })).toBe(false);
    const outcome = await b.dialOnce(target);
    expect(outcome).toMatchObject({ ok: true, peer: { nodeId: alice.nodeId, name: 'Alice' } });
    await waitUntil(() => a.isUp('a1'));
    expect(aStatus).toEqual([true]);
    for (let n = 0; n < 50; n++) expect(b.send('b1', { ch: 'sync.test', n } as LinkFrame)).toBe(true);
    await waitUntil(() => seen.length === 50);
    expect(seen).toEqual([...Array(50).keys()]);
    expect(overlap).toBe(false);
    // The same socket carries the other direction: the listener pushes to the dialer.
    const back: unknown[] = [];
    b.handle('sync.back', (id, frame) => {
      back.push([id, frame.n]);
      changes.poke();
    });
    expect(a.send('a1', { ch: 'sync.back', n: 7 })).toBe(true);
    await waitUntil(() => back.length === 1);
    expect(back).toEqual([['b1', 7]]);
    expect(b.bufferedAmount('b1')).toBeGreaterThanOrEqual(0);
  });

  it('refuses a key that is not pinned, and a proof answering another challenge (replay)', async () => {
    const { url } = await setup();
    const forged = await rawHandshake(url, (hello) =>
      signProof(mallory, {
        aud: alice.nodeId,
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        url: null,
        name: 'M',
      }),
    );
    expect(forged.reply).toMatchObject({ t: 'refused', code: 'wrong_key' });
    // Bob's genuine key, but a proof made for an earlier challenge: refused, never authorised.
    const old = await signProof(bob, {
      aud: alice.nodeId,
      lid: 'L1',
      n: newNonce(),
      dn: newNonce(),
      v: 1,
      url: null,
      name: 'B',
    });
    const replay = await rawHandshake(url, async () => old);
    expect(replay.reply).toMatchObject({ t: 'refused', code: 'stale_proof' });
    // A proof addressed to another node is refused too.
    const misaddressed = await rawHandshake(url, (hello) =>
      signProof(bob, {
        aud: mallory.nodeId,
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        url: null,
        name: 'B',
      }),
    );
    expect(misaddressed.reply).toMatchObject({ t: 'refused', code: 'bad_proof' });
  });

  it('refuses a proof from a clock outside the skew bound', async () => {
    const { url } = await setup();
    const proofAt = (offsetSec: number) => (hello: { nonce: string }) => {
      const at = Math.floor(Date.now() / 1000) + offsetSec;
      return new SignJWT({
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        ts: at * 1000,
        jwk: bob.publicJwk,
        url: null,
        name: 'B',
      })
        .setProtectedHeader({ alg: 'EdDSA', typ: PROOF_TYP })
        .setIssuer(bob.nodeId)
        .setAudience(alice.nodeId)
        .setIssuedAt(at)
        .sign(bob.privateKey);
    };
    const slightly = await rawHandshake(url, proofAt(-30));
    expect(slightly.reply).toMatchObject({ t: 'ok' });
    for (const offset of [-600, 600]) {
      const skewed = await rawHandshake(url, proofAt(offset));
      expect(skewed.reply).toMatchObject({ t: 'refused' });
      expect(['bad_proof', 'stale_proof']).toContain(skewed.reply?.code);
    }
  });

  it('the dialer refuses a listener with another key than the pinned one', async () => {
    const { b, target } = await setup();
    const outcome = await b.dialOnce({ ...target, peerNodeId: mallory.nodeId, pinnedJwk: mallory.publicJwk });
    expect(outcome).toMatchObject({ ok: false, code: 'wrong_key' });
    expect(b.isUp('b1')).toBe(false);
  });

  it('closes the link on an oversized or invalid frame', async () => {
    const { a, b, target } = await setup();
    await b.dialOnce(target);
    await waitUntil(() => a.isUp('a1'));
    expect(() => b.send('b1', { ch: 'sync.big', blob: 'x'.repeat(MAX_FRAME_BYTES) })).toThrow(/exceeds/);
    // Bypass the sender's own check: the receiver's maxPayload still applies.
    const raw = await rawHandshake(target.url, (hello) =>
      signProof(bob, {
        aud: alice.nodeId,
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        url: null,
        name: 'B',
      }),
    );
    expect(raw.reply).toMatchObject({ t: 'ok' });
    raw.socket.send('x'.repeat(MAX_FRAME_BYTES + 10));
    await waitUntil(() => !!raw.closed());
    expect(raw.closed()?.code).toBe(1009);
    const again = await rawHandshake(target.url, (hello) =>
      signProof(bob, {
        aud: alice.nodeId,
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        url: null,
        name: 'B',
      }),
    );
    again.socket.send('{"no":"channel"}');
    await waitUntil(() => !!again.closed());
    expect(again.closed()?.code).toBe(1007);
  });

  it('refuses a frame nested past the bound, telling the peer, and keeps the link and its later frames', async () => {
    const { a, target } = await setup();
    const seen: unknown[] = [];
    a.handle('sync.test', (_id, frame) => {
      seen.push(frame.n);
      changes.poke();
    });
    const raw = await rawHandshake(target.url, (hello) =>
      signProof(bob, {
        aud: alice.nodeId,
        lid: 'L1',
        n: hello.nonce,
        dn: newNonce(),
        v: 1,
        url: null,
        name: 'B',
      }),
    );
    expect(raw.reply).toMatchObject({ t: 'ok' });
    const replies: Array<Record<string, unknown>> = [];
    raw.socket.onMessage((t) => {
      replies.push(JSON.parse(t) as Record<string, unknown>);
      changes.poke();
    });
    // Built as text: the sender's own JSON.stringify would overflow on it too.
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    raw.socket.send(`{"ch":"sync.test","n":1,"x":${nested(6000)}}`);
    // The frame is level 0 and `x` level 1: containers down to level MAX_FRAME_DEPTH pass, one more does not.
    raw.socket.send(`{"ch":"sync.test","n":2,"x":${nested(MAX_FRAME_DEPTH + 1)}}`);
    raw.socket.send(`{"ch":"sync.test","n":3,"x":${nested(MAX_FRAME_DEPTH)}}`);
    raw.socket.send(`{"ch":"link.refused","refused":"x","code":"y","message":"z","x":${nested(6000)}}`);
    raw.socket.send('{"ch":"sync.test","n":4}');
    await waitUntil(() => seen.includes(4));
    // Frames are read in order and refused as they are read: a frame A sends now follows every refusal.
    expect(a.send('a1', { ch: 'sync.mark' })).toBe(true);
    await waitUntil(() => replies.some((r) => r.ch === 'sync.mark'));
    const refusals = replies.filter((r) => r.ch !== 'sync.mark');
    expect(seen, JSON.stringify(refusals)).toEqual([3, 4]);
    expect(refusals).toHaveLength(2); // a refusal is never answered with another one
    expect(refusals[0]).toMatchObject({
      ch: 'link.refused',
      refused: 'sync.test',
      code: 'frame_too_deep',
      path: expect.stringMatching(/^x(\.a)+\.?…$/),
    });
    expect(refusals[1]).toMatchObject({ refused: 'sync.test', code: 'frame_too_deep' });
    expect(String(refusals[0]?.message)).toContain(`${MAX_FRAME_DEPTH} levels`);
    expect(a.isUp('a1')).toBe(true);
    expect(raw.closed()).toBeUndefined();
  });

  it('drops a socket that does not authenticate in time, even one that never answers the close', async () => {
    const { url, server } = await setup({ handshakeTimeoutMs: 300 });
    const { port } = new URL(url);
    const started = Date.now();
    // A raw TCP client: it upgrades, then reads nothing and answers nothing (no auth, no close frame).
    const sockets = await Promise.all(Array.from({ length: 5 }, () => rawUpgrade(Number(port), '/link')));
    await Promise.all(sockets.map((s) => s.closed));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(300 + CLOSE_TIMEOUT_MS + 1500); // ws alone would wait 30 s for the close
    expect(sockets.every((s) => s.received().startsWith('HTTP/1.1 101'))).toBe(true);
    expect(sockets.every((s) => s.received().includes('handshake_timeout'))).toBe(true);
    expect(await openConnections(server)).toBe(0);
  });

  it('the dialer closes a socket whose listener refused it, whether or not the listener closes it', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    const serverClosed = new Promise<void>((resolve) =>
      wss.on('connection', (ws) => {
        ws.send(JSON.stringify({ t: 'hello', v: 1, nodeId: alice.nodeId, nonce: newNonce() }));
        // It refuses the proof, and never closes the socket itself.
        ws.on('message', () =>
          ws.send(JSON.stringify({ t: 'refused', code: 'unknown_link', message: 'no such link' })),
        );
        ws.on('close', () => resolve());
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const net = createLinkNetwork({
      identity: bob,
      local: () => ({ url: null, name: 'Bob' }),
      directory: {
        authorizeInbound: async () => ({ ok: false, code: 'x', message: 'x' }),
        confirmOutbound: async () => true,
        dialFailed: async () => 'redial' as const,
      },
      log,
      linkPath: '/link',
    });
    cleanups.push(() => net.close());
    const { port } = server.address() as AddressInfo;
    const outcome = await net.dialOnce({
      connectionId: 'b1',
      linkId: 'L1',
      url: `http://127.0.0.1:${port}`,
      peerNodeId: null,
      pinnedJwk: null,
    });
    expect(outcome).toMatchObject({ ok: false, code: 'unknown_link' });
    await serverClosed;
  });

  it('redials after the link drops, and closes cleanly on shutdown', async () => {
    const { a, b, target } = await setup();
    const bStatus = statusLog(b);
    b.keepDialing(target);
    await waitUntil(() => b.isUp('b1') && a.isUp('a1'));
    a.disconnect('a1', 1011, 'test drop');
    await waitUntil(() => bStatus.length >= 3);
    expect(bStatus.slice(0, 3)).toEqual([true, false, true]);
    await waitUntil(() => a.isUp('a1'));
    await a.close();
    await waitUntil(() => !b.isUp('b1'));
    expect(bStatus.at(-1)).toBe(false);
  });

  const greetings = (url: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const socket = await dialLink(`${url.replace('http', 'ws')}/link`);
        const first = await new Promise<string>((resolve) => socket.onMessage(resolve));
        socket.terminate();
        return JSON.parse(first) as { t: string; code?: string };
      }),
    );

  it('lets a host behind a proxy raise the per-address handshake limit', async () => {
    const { url } = await setup({ handshakesPerSecond: 50 });
    const firsts = await greetings(url, 80); // within the burst of 300
    expect(firsts.every((m) => m.t === 'hello')).toBe(true);
  });

  it('cuts off a flood of handshakes from one address', async () => {
    const { url, b, target } = await setup();
    const firsts = await greetings(url, 80);
    // A real dial refused the same way reports the refusal, not a host that is not Tandem.
    expect(await b.dialOnce(target)).toMatchObject({ ok: false, code: 'rate_limited' });
    expect(firsts.filter((m) => m.t === 'hello').length).toBeGreaterThan(0);
    expect(firsts.some((m) => m.t === 'refused' && m.code === 'rate_limited')).toBe(true);
  });

  it('backs off exponentially with jitter, up to the cap', () => {
    expect(backoffDelay(0, 30_000)).toBe(0);
    expect(backoffDelay(1, 30_000, () => 1)).toBe(400);
    expect(backoffDelay(3, 30_000, () => 1)).toBe(1600);
    expect(backoffDelay(3, 30_000, () => 0)).toBe(800);
    expect(backoffDelay(50, 30_000, () => 1)).toBe(30_000);
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(10, 30_000)));
    expect(spread.size).toBeGreaterThan(1);
    for (const d of spread) expect(d).toBeGreaterThanOrEqual(15_000);
  });
});
