// Two and three real hosts pairing through the admin API, both sides public: the happy path and the lifecycle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accept, connection, initiate, list, pair, publicHost, waitConn } from './pairing-support.ts';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';

let a: HostProcess;
let b: HostProcess;

beforeAll(async () => {
  [a, b] = await Promise.all([publicHost('Alpha'), publicHost('Beta')]);
});
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

    const { connection: pending, invitationCode } = await initiate(a, b);
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
    });
    expect(await list(b)).toHaveLength(0);

    const r = await accept(b, invitationCode);
    expect(r.body).toMatchObject({});
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const bConn = await waitConn(b, r.body.connection.id, (c) => c.state === 'active');
    const aConn = await waitConn(a, pending.id, (c) => c.state === 'active');
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
});
