// Two and three real hosts pairing through the admin API, both sides public: the happy path and the lifecycle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinkNetwork } from '../core/link/link-network.ts';
import { createLogger } from '../core/log.ts';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';
import { identityOf } from './support/identity-of.ts';
import {
  accept,
  type Conn,
  connection,
  initiate,
  list,
  type Problem,
  pair,
  privateHost,
  publicHost,
  waitConn,
} from './support/pairing-support.ts';

let a: HostProcess;
let b: HostProcess;
let c: HostProcess;

beforeAll(async () => {
  [a, b, c] = await Promise.all([publicHost('Alpha'), publicHost('Beta'), publicHost('Gamma')]);
});

/** Dials `to`'s link endpoint as `from` (its own key, read where the host keeps it) for link `linkId`. */
async function dialAs(from: HostProcess, to: HostProcess, linkId: string) {
  const identity = await identityOf(from.dataDir);
  const toNode = (await to.api<{ nodeId: string }>('GET', '/api/node')).body.nodeId;
  const net = createLinkNetwork({
    identity,
    local: () => ({ url: null, name: 'probe' }),
    directory: {
      authorizeInbound: async () => ({ ok: false, code: 'unknown_link', message: '' }),
      confirmOutbound: async () => true,
      dialFailed: async () => 'redial' as const,
    },
    log: createLogger('test', 'silent'),
    linkPath: '/link',
  });
  try {
    return await net.dialOnce({
      connectionId: 'probe',
      linkId,
      url: to.url,
      peerNodeId: toNode,
      pinnedJwk: null,
    });
  } finally {
    await net.close();
  }
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const partsOf = (code: string) => code.split('.') as [string, string, string];
afterAll(stopAllHosts);

describe('pairing two public hosts', () => {
  it('probes, initiates, accepts and reaches active on both sides', async () => {
    const probe = await a.api<Record<string, unknown>>('GET', `/api/probe?url=${encodeURIComponent(b.url)}`);
    const bNode = (await b.api<{ nodeId: string }>('GET', '/api/node')).body.nodeId;
    const aNode = (await a.api<{ nodeId: string }>('GET', '/api/node')).body.nodeId;
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({
      nodeId: bNode,
      name: 'Beta',
      commonModes: ['basic', 'visual', 'script'],
    });

    const created = await initiate(a, b, { name: 'Alpha to Beta' });
    const { connection: pending, invitationCode } = created;
    const fingerprint = (created as unknown as { invitationFingerprint: string }).invitationFingerprint;
    expect(fingerprint).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
    expect(pending).toMatchObject({
      state: 'pending',
      outbound: 'not_onboarded',
      mode: 'script',
      role: 'inviter',
    });
    expect(pending.peer.nodeId).toBe(bNode);
    expect(a.stderr()).not.toContain(invitationCode);

    const seen = await b.api<Record<string, unknown>>('POST', '/api/invitations/inspect', {
      code: invitationCode,
    });
    expect(seen.body).toMatchObject({
      valid: true,
      name: 'Alpha to Beta',
      inviterNodeId: aNode,
      mode: 'script',
      fingerprint,
      suggested: { localName: 'beta', remoteName: 'alpha' },
    });
    expect(await list(b)).toHaveLength(0);

    const r = await accept(b, invitationCode);
    expect(r.body).toMatchObject({});
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    // Active first, onboarding complete a moment later (the settings exchange follows the link up).
    const done = (c: Conn) => c.state === 'active' && c.onboarding?.message === 'Onboarding complete';
    const bConn = await waitConn(b, r.body.connection.id, done);
    const aConn = await waitConn(a, pending.id, done);
    expect(aConn).toMatchObject({ outbound: 'up', inbound: 'up', localName: 'alpha', remoteName: 'beta' });
    expect(bConn).toMatchObject({
      outbound: 'up',
      inbound: 'up',
      localName: 'beta',
      remoteName: 'alpha',
      mode: 'script',
    });
    expect(aConn.peer.nodeId).toBe(bNode);
    expect(bConn.peer.nodeId).toBe(aNode);
    expect(aConn.onboarding?.message).toBe('Onboarding complete');
    expect(bConn.onboarding?.message).toBe('Onboarding complete');
    expect(bConn.counts).toEqual({ queuedOut: 0, queuedIn: 0, errors: 0, twins: 0 });

    const health = await a.api<{ state: string; checks: Array<{ name: string; ok: boolean }> }>(
      'GET',
      `/api/connections/${aConn.id}/health`,
    );
    expect(health.body.state).toBe('active');
    expect(health.body.checks.map((c) => c.name).sort()).toEqual([
      'clock_skew',
      'key_matches',
      'peer_reachable',
      'protocol_compatible',
      'storage_writable',
    ]);
    expect(health.body.checks.every((c) => c.ok)).toBe(true);
  });

  it('deactivates and activates on either side and the peer follows; delete revokes the link', async () => {
    const { inviterConn, acceptorConn } = await pair(a, b, true);
    const d = await a.api<Conn>('POST', `/api/connections/${inviterConn.id}/deactivate`);
    expect(d.body.state).toBe('deactivated');
    await waitConn(b, acceptorConn.id, (x) => x.state === 'deactivated');
    // A deactivated connection keeps its link up: changes keep queueing.
    expect((await connection(b, acceptorConn.id)).link.up).toBe(true);
    await b.api('POST', `/api/connections/${acceptorConn.id}/activate`);
    await waitConn(a, inviterConn.id, (x) => x.state === 'active');
    const bad = await a.api<Problem>('POST', `/api/connections/nope/activate`);
    expect(bad.status).toBe(404);

    const v = await b.api<{ state: string; checks: Array<{ ok: boolean }> }>(
      'POST',
      `/api/connections/${acceptorConn.id}/validate`,
    );
    expect(v.body.state).toBe('active');
    expect(v.body.checks.every((x) => x.ok)).toBe(true);

    expect((await a.api('DELETE', `/api/connections/${inviterConn.id}`)).status).toBe(204);
    expect((await a.api('GET', `/api/connections/${inviterConn.id}`)).status).toBe(404);
    const gone = await waitConn(b, acceptorConn.id, (x) => x.state === 'error' && !x.link.up);
    expect(gone.lastError).toMatch(/removed/);
    // From then on the key is refused on that link, even with a perfect handshake by the acceptor's own key,
    // and the acceptor, having been refused the same way, stays down.
    const asB = await dialAs(b, a, inviterConn.id);
    expect(asB).toMatchObject({ ok: false, code: 'revoked' });
    expect(await connection(b, acceptorConn.id)).toMatchObject({ state: 'error', link: { up: false } });
  });

  it('refuses a dial by a key that is not pinned, without disturbing the live link', async () => {
    const { inviterConn, acceptorConn } = await pair(a, b, true);
    const impostor = await dialAs(c, a, inviterConn.id);
    expect(impostor).toMatchObject({ ok: false, code: 'wrong_key' });
    expect((await connection(a, inviterConn.id)).link.up).toBe(true);
    expect((await connection(b, acceptorConn.id)).link.up).toBe(true);
  });
});

describe('three hosts', () => {
  it('one host holds links to two peers at once, each with its own lifecycle', async () => {
    const ab = await pair(a, b, true);
    const ac = await pair(a, c, false);
    expect(ab.inviterConn.peer.name).toBe('Beta');
    expect(ac.inviterConn.peer.name).toBe('Gamma');
    await a.api('POST', `/api/connections/${ac.inviterConn.id}/deactivate`);
    await waitConn(c, ac.acceptorConn.id, (x) => x.state === 'deactivated');
    expect((await connection(a, ab.inviterConn.id)).state).toBe('active');
    expect((await connection(b, ab.acceptorConn.id)).state).toBe('active');
    await a.api('POST', `/api/connections/${ac.inviterConn.id}/activate`);
    await waitConn(c, ac.acceptorConn.id, (x) => x.state === 'active');
  });
});

describe('refusals, each with its own code and nothing changed', () => {
  async function counts() {
    return { a: (await list(a)).length, b: (await list(b)).length, c: (await list(c)).length };
  }

  it('refuses reuse by the same host and by a third host', async () => {
    const { code } = await pair(a, b, false);
    const before = await counts();
    const again = await accept(b, code);
    expect([again.status, again.body.code]).toEqual([409, 'invitation_used']);
    const third = await accept(c, code);
    expect([third.status, third.body.code]).toEqual([409, 'invitation_used']);
    expect(await counts()).toEqual(before);
  });

  it('two accepts racing on one host, and on two hosts, give exactly one connection', async () => {
    const one = await initiate(a, null);
    const racing = await Promise.all([accept(b, one.invitationCode), accept(b, one.invitationCode)]);
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(racing.find((r) => r.status === 409)?.body.code).toBe('invitation_used');

    const two = await initiate(a, null);
    const before = await counts();
    const across = await Promise.all([accept(b, two.invitationCode), accept(c, two.invitationCode)]);
    expect(across.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(across.find((r) => r.status === 409)?.body.code).toBe('invitation_used');
    const after = await counts();
    expect(after.b + after.c).toBe(before.b + before.c + 1);
    await waitConn(a, two.connection.id, (x) => x.state === 'active');
  });

  // An expired code: core/connections/connection-service.test.ts, by the service's injected clock.
  it('refuses a code bound to another node, and a host its own code', async () => {
    const unbound = await initiate(a, null);
    const bound = await initiate(a, b);
    const before = await counts();
    const wrong = await accept(c, bound.invitationCode);
    expect([wrong.status, wrong.body.code]).toEqual([403, 'invitation_wrong_node']);
    const own = await accept(a, unbound.invitationCode);
    expect([own.status, own.body.code]).toEqual([403, 'invitation_wrong_node']);
    expect(await counts()).toEqual(before);
    expect((await connection(a, bound.connection.id)).state).toBe('pending');
  });

  it('refuses tampered codes, alg none, garbage and oversized input', async () => {
    const { invitationCode: code } = await initiate(a, null);
    const [h, p, s] = partsOf(code);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const before = await counts();
    const cases: Array<[string, number, string]> = [
      [`${h}.${b64({ ...claims, mode: 'basic' })}.${s}`, 400, 'invalid_signature'],
      [`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`, 400, 'invalid_signature'],
      [`${b64({ alg: 'none', typ: 'tandem-invitation+jwt' })}.${p}.`, 400, 'unsupported_algorithm'],
      [`${b64({ alg: 'HS256', typ: 'tandem-invitation+jwt' })}.${p}.${s}`, 400, 'unsupported_algorithm'],
      ['definitely not a code', 400, 'invalid_invitation'],
      [`${h}.${'A'.repeat(20_000)}.${s}`, 413, 'payload_too_large'],
    ];
    for (const [bad, status, problem] of cases) {
      const r = await accept(b, bad);
      expect([r.status, r.body.code]).toEqual([status, problem]);
    }
    const inspected = await b.api<Problem>('POST', '/api/invitations/inspect', { code: 'garbage' });
    expect([inspected.status, inspected.body.code]).toEqual([400, 'invalid_invitation']);
    expect(await counts()).toEqual(before);
    // The genuine code still works after all that.
    expect((await accept(b, code)).status).toBe(201);
  });

  it('refuses to initiate when neither side could dial the other', async () => {
    const priv = await privateHost('Private');
    const r = await priv.api<Problem>('POST', '/api/connections', {
      destinationUrl: null,
      mode: 'basic',
      localName: 'p',
      remoteName: 'q',
      name: 'nowhere',
    });
    expect([r.status, r.body.code]).toEqual([422, 'no_reachable_side']);
    const self = await a.api<Problem>('POST', '/api/connections', {
      destinationUrl: a.url,
      mode: 'basic',
      localName: 'p',
      remoteName: 'q',
      name: 'self',
    });
    expect(self.body.code).toBe('destination_is_self');
    await priv.stop();
    const gone = await a.api<Problem>('POST', '/api/connections', {
      destinationUrl: priv.url,
      mode: 'basic',
      localName: 'p',
      remoteName: 'q',
      name: 'gone',
    });
    expect([gone.status, gone.body.code]).toEqual([502, 'peer_unreachable']);
    const probe = await a.api<Problem>('GET', `/api/probe?url=${encodeURIComponent('ftp://example.com')}`);
    expect(probe.body.code).toBe('invalid_url');
  });

  it('rate-limits accepts', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => accept(c, 'not a code')));
    const codes = results.map((r) => r.body.code);
    expect(codes).toContain('rate_limited');
    expect(codes).toContain('invalid_invitation');
    expect(results.find((r) => r.body.code === 'rate_limited')?.status).toBe(429);
  });
});
