// Connections across real hosts: unique names on both sides, the pending invitation shown and replaced, the accept preview, directions while deactivated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts } from './support/host-process.ts';
import {
  accept,
  type Conn,
  connection,
  initiate,
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
afterAll(stopAllHosts);

/** The connection fields these tests read beyond the support's `Conn`. */
type Full = Conn & { name: string; description: string; invitation: { id: string; expiresAt: string } };
const full = (x: Conn) => x as Full;

interface Shown {
  code: string;
  fingerprint: string;
  id: string;
  expiresAt: string;
  expired: boolean;
}

describe('names', () => {
  it('default names are unique on each host; an explicit duplicate is 409; PATCH renames this side only', async () => {
    const made: Conn[] = [];
    for (let i = 0; i < 3; i++) made.push((await initiate(a, null)).connection);
    const names = made.map((m) => full(m).name);
    expect(names).toEqual(['alpha_to_beta', 'alpha_to_beta_2', 'alpha_to_beta_3']);
    const dup = await a.api<Problem>('POST', '/api/connections', {
      destinationUrl: null,
      mode: 'script',
      localName: 'alpha',
      remoteName: 'beta',
      name: 'alpha_to_beta_2',
    });
    expect([dup.status, dup.body.code]).toEqual([409, 'connection_name_taken']);

    // The acceptor gets the inviter's name, made free on its own side.
    const fromC = await initiate(c, null, { localName: 'gamma', remoteName: 'beta', name: 'shared' });
    const fromA = await initiate(a, null, { name: 'shared' });
    const one = await accept(b, fromC.invitationCode);
    const two = await accept(b, fromA.invitationCode);
    expect([full(one.body.connection).name, full(two.body.connection).name]).toEqual(['shared', 'shared_2']);

    const id = two.body.connection.id;
    const taken = await b.api<Problem>('PATCH', `/api/connections/${id}`, { name: 'shared' });
    expect([taken.status, taken.body.code]).toEqual([409, 'connection_name_taken']);
    const edited = await b.api<Full>('PATCH', `/api/connections/${id}`, {
      name: 'From Alpha',
      description: 'Incidents both ways',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'From Alpha', description: 'Incidents both ways' });
    expect(full(await connection(b, id)).name).toBe('From Alpha');
    expect(full(await connection(a, fromA.connection.id)).name).toBe('shared');
    const empty = await b.api<Problem>('PATCH', `/api/connections/${id}`, { name: '  ' });
    expect([empty.status, empty.body.code]).toEqual([422, 'validation_failed']);
  });
});

describe('the pending invitation', () => {
  it('re-shows the code, replaces it (the old one is refused as replaced), and logs fingerprints only', async () => {
    const { connection: pending, invitationCode } = await initiate(a, null);
    const shown = await a.api<Shown>('GET', `/api/connections/${pending.id}/invitation`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      code: invitationCode,
      expired: false,
      id: full(pending).invitation.id,
    });

    const renewed = await a.api<Shown>('POST', `/api/connections/${pending.id}/invitation`);
    expect(renewed.status).toBe(200);
    expect(renewed.body.code).not.toBe(invitationCode);
    expect((await a.api<Shown>('GET', `/api/connections/${pending.id}/invitation`)).body.code).toBe(
      renewed.body.code,
    );

    const old = await accept(b, invitationCode);
    expect([old.status, old.body.code]).toEqual([410, 'invitation_replaced']);
    expect((await connection(a, pending.id)).state).toBe('pending');

    const ok = await accept(c, renewed.body.code);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    await waitConn(a, pending.id, (x) => x.state === 'active');
    for (const method of ['GET', 'POST'] as const) {
      const r = await a.api<Problem>(method, `/api/connections/${pending.id}/invitation`);
      expect([r.status, r.body.code]).toEqual([409, 'connection_not_pending']);
    }
    const onAcceptor = await c.api<Problem>('GET', `/api/connections/${ok.body.connection.id}/invitation`);
    expect([onAcceptor.status, onAcceptor.body.code]).toEqual([409, 'connection_not_pending']);
    expect((await a.api<Problem>('GET', '/api/connections/missing/invitation')).status).toBe(404);

    for (const code of [invitationCode, renewed.body.code]) {
      for (const h of [a, b, c]) expect(h.stderr()).not.toContain(code);
    }
  });

  it('a private inviter: an acceptor of the replaced code never links; the new code pairs', async () => {
    const priv = await privateHost('Private');
    const { connection: pending, invitationCode } = await initiate(priv, b);
    const renewed = await priv.api<Shown>('POST', `/api/connections/${pending.id}/invitation`);
    expect(renewed.status).toBe(200);
    const stale = await accept(b, invitationCode);
    expect(stale.status).toBe(201);
    const fresh = await accept(b, renewed.body.code);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
    await waitConn(priv, pending.id, (x) => x.state === 'active' && x.link.up);
    await waitConn(b, fresh.body.connection.id, (x) => x.state === 'active');
    expect((await connection(b, stale.body.connection.id)).state).toBe('pending');
    await priv.stop();
  });
});

describe('the accept preview', () => {
  it('shows the contents of a code only when accept would take it', async () => {
    const { invitationCode } = await initiate(a, null);
    const seen = await b.api<Record<string, unknown>>('POST', '/api/invitations/inspect', {
      code: invitationCode,
    });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ valid: true, refusal: null, name: expect.any(String) });

    const bound = await initiate(a, c);
    const wrong = await b.api<Problem & Record<string, unknown>>('POST', '/api/invitations/inspect', {
      code: bound.invitationCode,
    });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'invitation_wrong_node']);
    expect(wrong.body).not.toHaveProperty('fingerprint');
    expect(wrong.body).not.toHaveProperty('name');

    const own = await a.api<Problem>('POST', '/api/invitations/inspect', { code: invitationCode });
    expect([own.status, own.body.code]).toEqual([403, 'invitation_wrong_node']);

    const [h, p, s] = invitationCode.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    for (const [code, status, problem] of [
      [tampered, 400, 'invalid_signature'],
      ['garbage', 400, 'invalid_invitation'],
    ] as const) {
      const r = await b.api<Problem & Record<string, unknown>>('POST', '/api/invitations/inspect', { code });
      expect([r.status, r.body.code]).toEqual([status, problem]);
      expect(r.body).not.toHaveProperty('fingerprint');
    }

    // Used: accepted here, and accepted by another host (the inviter refuses the dial).
    expect((await accept(b, invitationCode)).status).toBe(201);
    const used = await b.api<Problem>('POST', '/api/invitations/inspect', { code: invitationCode });
    expect([used.status, used.body.code]).toEqual([409, 'invitation_used']);
  });
});

describe('a deactivated connection', () => {
  it('shows no link directions on either side while deactivated, and the live ones again once active', async () => {
    const { inviterConn, acceptorConn } = await pair(a, b, false);
    expect([inviterConn.outbound, inviterConn.inbound]).toEqual(['up', 'up']);
    expect((await a.api('POST', `/api/connections/${inviterConn.id}/deactivate`)).status).toBe(200);
    const mine = await waitConn(a, inviterConn.id, (x) => x.state === 'deactivated');
    const theirs = await waitConn(b, acceptorConn.id, (x) => x.state === 'deactivated');
    for (const x of [mine, theirs]) expect([x.outbound, x.inbound]).toEqual([null, null]);
    // The socket itself stays up: `link` says so.
    expect(mine.link.up).toBe(true);
    await a.api('POST', `/api/connections/${inviterConn.id}/activate`);
    const back = await waitConn(b, acceptorConn.id, (x) => x.state === 'active');
    expect([back.outbound, back.inbound]).toEqual(['up', 'up']);
  });
});
