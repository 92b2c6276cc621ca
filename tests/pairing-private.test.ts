// Pairing when only one side is public (either way round), restarts, impostors and a swapped inviter key.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts, tempDir } from './support/host-process.ts';
import {
  accept,
  connection,
  initiate,
  LINK_ENV,
  list,
  pair,
  portOf,
  privateHost,
  publicHost,
  waitConn,
} from './support/pairing-support.ts';

afterAll(stopAllHosts);

/** Starts the same host again: same data directory, port and token. */
function restart(h: HostProcess, name: string): Promise<HostProcess> {
  return startHostProcess({ dataDir: h.dataDir, port: portOf(h), token: h.token, name, env: LINK_ENV });
}

/** A host with another key on the same port, optionally with a copy of `like`'s database. */
function impostorOf(h: HostProcess, like?: HostProcess): Promise<HostProcess> {
  const dataDir = tempDir('tandem-impostor-');
  if (like) {
    for (const f of fs.readdirSync(like.dataDir)) {
      if (f !== 'node-key.json')
        fs.cpSync(path.join(like.dataDir, f), path.join(dataDir, f), { recursive: true });
    }
  }
  return startHostProcess({ dataDir, port: portOf(h), token: h.token, name: 'Impostor', env: LINK_ENV });
}

describe('one public side', () => {
  it('public inviter, private acceptor: the acceptor dials; restarts of either side re-link; an impostor is refused', async () => {
    let a = await publicHost('Alpha');
    let b = await privateHost('Beta');
    const { inviterConn, acceptorConn } = await pair(a, b, false);
    expect(acceptorConn.link.dials).toBe(true);
    expect(inviterConn.link.dials).toBe(false);
    expect(inviterConn.peer.url).toBeNull();

    // The dialing side restarts: it dials again by itself.
    await b.stop();
    await waitConn(a, inviterConn.id, (c) => !c.link.up && c.outbound === 'down');
    b = await restart(b, 'Beta');
    await waitConn(a, inviterConn.id, (c) => c.link.up && c.state === 'active');
    await waitConn(b, acceptorConn.id, (c) => c.link.up && c.outbound === 'up');

    // The listening side goes away and a host with another key takes its port: refused, never linked.
    await a.stop();
    const impostor = await impostorOf(a);
    const refused = await waitConn(
      b,
      acceptorConn.id,
      (c) => !c.link.up && /another node key/.test(c.lastError ?? ''),
    );
    expect(refused.state).toBe('active');
    expect(await list(impostor)).toHaveLength(0);
    const health = await b.api<{ checks: Array<{ name: string; ok: boolean; fix?: string }> }>(
      'GET',
      `/api/connections/${acceptorConn.id}/health`,
    );
    const key = health.body.checks.find((c) => c.name === 'key_matches');
    expect(key).toMatchObject({ ok: false });
    expect(key?.fix).toMatch(/pair again/);
    await impostor.stop();
    // Deactivated while the peer is away: the peer follows once the link is back.
    await b.api('POST', `/api/connections/${acceptorConn.id}/deactivate`);

    // The real host comes back on its port: the link returns with no admin action.
    a = await restart(a, 'Alpha');
    // Deactivated: no sync directions (null), while the link itself is up.
    await waitConn(b, acceptorConn.id, (c) => c.link.up && c.outbound === null);
    await waitConn(a, inviterConn.id, (c) => c.link.up && c.state === 'deactivated');
    expect((await connection(b, acceptorConn.id)).state).toBe('deactivated');

    // A peer that hangs without closing its socket is found by the heartbeat, and re-linked when it wakes.
    b.child.kill('SIGSTOP');
    try {
      await waitConn(a, inviterConn.id, (c) => !c.link.up && c.outbound === null, 8000);
    } finally {
      b.child.kill('SIGCONT');
    }
    await waitConn(a, inviterConn.id, (c) => c.link.up);
    // A clean shutdown with live links.
    expect(await b.stop()).toBe(0);
    await waitConn(a, inviterConn.id, (c) => !c.link.up);
    expect(await a.stop()).toBe(0);
  });

  it('private inviter, public acceptor: the code binds the acceptor and the inviter dials it', async () => {
    let a = await privateHost('Alpha');
    let b = await publicHost('Beta');
    const { connection: mine, invitationCode } = await initiate(a, b);
    expect(mine.link.dials).toBe(true);
    const seen = await b.api<{ inviterUrl: string | null; destinationNodeId: string }>(
      'POST',
      '/api/invitations/inspect',
      { code: invitationCode },
    );
    expect(seen.body.inviterUrl).toBeNull();
    const r = await accept(b, invitationCode);
    expect(r.status).toBe(201);
    const theirs = r.body.connection;
    await waitConn(a, mine.id, (c) => c.state === 'active' && c.link.up);
    await waitConn(b, theirs.id, (c) => c.state === 'active' && c.link.up);

    // Either side restarts and the private inviter re-dials.
    await b.stop();
    await waitConn(a, mine.id, (c) => !c.link.up);
    b = await restart(b, 'Beta');
    await waitConn(a, mine.id, (c) => c.link.up);
    await a.stop();
    a = await restart(a, 'Alpha');
    await waitConn(b, theirs.id, (c) => c.link.up && c.state === 'active');
    expect((await connection(a, mine.id)).state).toBe('active');
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('man in the middle', () => {
  it('the acceptor aborts, changing nothing, when the inviter answers with another key than the code names', async () => {
    const a = await publicHost('Alpha');
    const b = await privateHost('Beta');
    const { invitationCode } = await initiate(a, null);
    await a.stop();
    // Same database (so it knows the invitation), another key, same URL.
    const impostor = await impostorOf(a, a);
    const r = await accept(b, invitationCode);
    expect([r.status, r.body.code]).toEqual([502, 'inviter_key_mismatch']);
    expect(await list(b)).toHaveLength(0);
    await impostor.stop();

    // The real inviter never saw the code, so it still works.
    const real = await restart(a, 'Alpha');
    const ok = await accept(b, invitationCode);
    expect(ok.status).toBe(201);
    await waitConn(b, ok.body.connection.id, (c) => c.state === 'active');
    await Promise.all([real.stop(), b.stop()]);
  });
});
