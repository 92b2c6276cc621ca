// The connection service on a real database: initiate, validation with fix hints, state rules, events.
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../tests/support/test-database.ts';
import { loadOrCreateIdentity } from '../identity/node-identity.ts';
import { loadNodeSettings, type NodeSettings } from '../identity/node-settings.ts';
import { verifyInvitation } from '../invitations/invitation-code.ts';
import { createLinkNetwork, type LinkNetwork } from '../link/link-network.ts';
import { createLogger } from '../log.ts';
import {
  type ConnectionEvent,
  type ConnectionService,
  createConnectionService,
} from './connection-service.ts';

const log = createLogger('connections-test', 'silent');
let dir: string;
let database: TestDatabase;
let settings: NodeSettings;
let service: ConnectionService;
let network: LinkNetwork;
let close: () => Promise<void>;
/** How far this test's service clock runs ahead of the real one. */
let shift = 0;

/** A second service on its own data directory, database and key, with the clock given. */
async function openService(at: string, clock: () => Date) {
  fs.mkdirSync(at);
  const db = await testDatabase();
  const identity = await loadOrCreateIdentity(at);
  const own = await loadNodeSettings(db.db, {}, 'Other host');
  const built = createConnectionService({ db: db.db, identity, settings: own, log, clock }, (directory) =>
    createLinkNetwork({
      identity,
      local: () => ({ url: null, name: 'Other host' }),
      directory,
      log,
      linkPath: '/link',
    }),
  );
  return {
    service: built.service,
    close: async () => {
      await built.network.close();
      await db.close();
    },
  };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-conn-'));
  database = await testDatabase();
  const identity = await loadOrCreateIdentity(dir);
  settings = await loadNodeSettings(database.db, {}, 'Test host');
  shift = 0;
  const clock = () => new Date(Date.now() + shift);
  const built = createConnectionService({ db: database.db, identity, settings, log, clock }, (directory) =>
    createLinkNetwork({
      identity,
      local: () => ({ url: settings.publicUrl(), name: settings.name() }),
      directory,
      log,
      linkPath: '/link',
    }),
  );
  service = built.service;
  network = built.network;
  close = () => built.network.close();
});

afterEach(async () => {
  await close();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const input = {
  destinationUrl: null,
  mode: 'visual' as const,
  localName: 'acme',
  remoteName: 'globex',
  name: 'Acme and Globex',
};

describe('connection service', () => {
  it('initiates without a destination only when this host is public', async () => {
    await expect(service.create(input)).rejects.toMatchObject({ code: 'NO_REACHABLE_SIDE', status: 422 });
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const events: ConnectionEvent[] = [];
    service.onChange((e) => events.push(e));
    const { connection, invitationCode } = await service.create({ ...input, expiresInHours: 2 });
    expect(connection).toMatchObject({
      state: 'pending',
      mode: 'visual',
      outbound: 'not_onboarded',
      inbound: 'not_onboarded',
      onboarding: null,
      peer: { nodeId: null, url: null },
      counts: { queuedOut: 0, queuedIn: 0, errors: 0, twins: 0 },
    });
    expect(events).toEqual([{ type: 'created', id: connection.id, state: 'pending', linkUp: false }]);
    // The other node's key lives in this test's own data directory, removed after the test.
    const otherDir = path.join(dir, 'other-node');
    fs.mkdirSync(otherDir);
    const other = await loadOrCreateIdentity(otherDir);
    const v = await verifyInvitation(invitationCode, other.nodeId);
    expect(v.ok && v.invitation).toMatchObject({
      linkId: connection.id,
      inviterUrl: 'http://127.0.0.1:9',
      mode: 'visual',
    });
    expect(Date.parse(connection.invitation.expiresAt) - Date.now()).toBeLessThanOrEqual(2 * 3600 * 1000);
    expect(await service.list()).toHaveLength(1);
  });

  it('fails validation with a fix for each failing check, and refuses state changes it does not allow', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { connection } = await service.create(input);
    await expect(service.activate(connection.id)).rejects.toMatchObject({
      code: 'INVALID_STATE',
      status: 409,
    });
    await expect(service.deactivate(connection.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    // As if a peer had accepted and then vanished before the checks ran.
    await database.db
      .updateTable('connections')
      .set({
        state: 'awaiting_validation',
        peer_url: 'http://127.0.0.1:9',
        peer_node_id: 'x'.repeat(43),
        peer_public_jwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'y'.repeat(43) }),
        clock_skew_ms: 600_000,
      })
      .where('id', '=', connection.id)
      .execute();
    const events: ConnectionEvent[] = [];
    service.onChange((e) => events.push(e));
    const report = await service.validate(connection.id);
    expect(report.state).toBe('validation_failed');
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.peer_reachable).toMatchObject({ ok: false });
    expect(byName.peer_reachable?.fix).toMatch(/127\.0\.0\.1:9/);
    expect(byName.key_matches).toMatchObject({ ok: false });
    expect(byName.protocol_compatible).toMatchObject({ ok: false });
    expect(byName.clock_skew).toMatchObject({ ok: false });
    expect(byName.clock_skew?.fix).toMatch(/NTP/);
    expect(byName.storage_writable).toMatchObject({ ok: true });
    for (const c of report.checks.filter((x) => !x.ok)) expect(c.fix).toBeTruthy();
    expect(events).toContainEqual({
      type: 'state',
      id: connection.id,
      state: 'validation_failed',
      linkUp: false,
    });
    const seen = await service.get(connection.id);
    expect(seen).toMatchObject({ state: 'validation_failed', outbound: 'down' });
    expect(seen?.lastError).toMatch(/does not answer/);
    // Health reports without changing anything.
    expect((await service.health(connection.id)).state).toBe('validation_failed');
  });

  it('deletes a connection and remembers its link as revoked', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { connection } = await service.create(input);
    await service.remove(connection.id);
    expect(await service.get(connection.id)).toBeUndefined();
    const revoked = await database.db.selectFrom('link_revocations').selectAll().execute();
    expect(revoked).toMatchObject([{ link_id: connection.id }]);
    await expect(service.remove(connection.id)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('refuses an expired code by its own clock, and keeps nothing of it', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { invitationCode } = await service.create({ ...input, expiresInHours: 1 });
    let shift = 3601 * 1000;
    const acceptor = await openService(path.join(dir, 'acceptor'), () => new Date(Date.now() + shift));
    try {
      await expect(acceptor.service.accept({ code: invitationCode })).rejects.toMatchObject({
        code: 'INVITATION_EXPIRED',
        status: 410,
      });
      expect(await acceptor.service.list()).toEqual([]);
      // A minute before expiry the same code passes verification and fails only on the dial.
      shift = 3540 * 1000;
      await expect(acceptor.service.accept({ code: invitationCode })).rejects.toMatchObject({
        code: 'PEER_UNREACHABLE',
      });
      expect(await acceptor.service.list()).toEqual([]);
    } finally {
      await acceptor.close();
    }
  });

  it("refuses an expired code when the peer dials in, by the inviter's own clock", async () => {
    // This host listens for links at its public URL, as a public inviter does.
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    network.attach(server);
    await settings.update({ publicUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const acceptor = await openService(path.join(dir, 'acceptor'), () => new Date());
    try {
      const { connection, invitationCode } = await service.create({ ...input, expiresInHours: 1 });
      // The code is still good by the acceptor's clock, so it dials; by the inviter's it has expired.
      shift = 3601 * 1000;
      await expect(acceptor.service.accept({ code: invitationCode })).rejects.toMatchObject({
        code: 'INVITATION_EXPIRED',
        status: 410,
      });
      expect(await acceptor.service.list()).toEqual([]);
      expect(await service.get(connection.id)).toMatchObject({
        state: 'pending',
        peer: { nodeId: null },
        invitation: { usedAt: null },
      });
      // A minute before expiry by the inviter's clock, the same code links them.
      shift = 3540 * 1000;
      const accepted = await acceptor.service.accept({ code: invitationCode });
      expect(accepted.state).toBe('awaiting_validation');
      expect(await service.get(connection.id)).toMatchObject({ invitation: { usedAt: expect.any(String) } });
    } finally {
      await acceptor.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('pages the list newest first with an opaque cursor', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await service.create({ ...input, name: `c${i}` })).connection.id);
    const first = await service.page({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = await service.page({ limit: 2, cursor: first.nextCursor });
    expect(second.nextCursor).toBeUndefined();
    const all = [...first.items, ...second.items].map((c) => c.id);
    expect(new Set(all)).toEqual(new Set(ids));
    expect(all).toEqual((await service.list()).map((c) => c.id));
    await expect(service.page({ limit: 2, cursor: 'bogus' })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
  });
});

describe('names, edits and the pending invitation', () => {
  const unnamed = { destinationUrl: null, mode: 'script' as const, localName: 'a', remoteName: 'b' };

  it('gives default names a free suffix, refuses a taken explicit name, and edits name and description', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push((await service.create(unnamed)).connection.name);
    expect(names).toEqual(['a_to_b', 'a_to_b_2', 'a_to_b_3']);
    await expect(service.create({ ...unnamed, name: 'a_to_b_2' })).rejects.toMatchObject({
      code: 'CONNECTION_NAME_TAKEN',
      status: 409,
    });
    // A name that merely starts like the default does not count as taken.
    expect((await service.create({ ...unnamed, name: 'a_to_bee' })).connection.name).toBe('a_to_bee');
    expect((await service.create(unnamed)).connection.name).toBe('a_to_b_4');

    const [first] = await service.list().then((l) => l.filter((c) => c.name === 'a_to_b'));
    const id = first!.id;
    await expect(service.update(id, { name: 'a_to_b_3' })).rejects.toMatchObject({
      code: 'CONNECTION_NAME_TAKEN',
    });
    const edited = await service.update(id, { name: 'Incidents', description: 'Both ways' });
    expect(edited).toMatchObject({ name: 'Incidents', description: 'Both ways' });
    // Its own name again, and a description alone, are fine.
    expect(await service.update(id, { name: 'Incidents' })).toMatchObject({ name: 'Incidents' });
    expect(await service.update(id, { description: '' })).toMatchObject({
      name: 'Incidents',
      description: '',
    });
    // The freed default is the next default again.
    expect((await service.create(unnamed)).connection.name).toBe('a_to_b');
    await expect(service.update('missing', { name: 'x' })).rejects.toMatchObject({ status: 404 });
  });

  it('shows the same code again, replaces it with a new one, and never logs either', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { connection, invitationCode } = await service.create({ ...unnamed, expiresInHours: 5 });
    const shown = await service.invitation(connection.id);
    expect(shown).toMatchObject({
      code: invitationCode,
      id: connection.invitation.id,
      expiresAt: connection.invitation.expiresAt,
      expired: false,
    });
    expect(shown.fingerprint).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);

    shift = 60_000;
    const renewed = await service.renewInvitation(connection.id);
    expect(renewed.code).not.toBe(invitationCode);
    expect(renewed.id).not.toBe(connection.invitation.id);
    // The new code keeps the first one's lifetime, from now.
    expect(
      Date.parse(renewed.expiresAt) - Date.parse(connection.invitation.expiresAt),
    ).toBeGreaterThanOrEqual(59_000);
    expect((await service.invitation(connection.id)).code).toBe(renewed.code);
    const after = await service.get(connection.id);
    expect(after?.invitation).toMatchObject({ id: renewed.id, expiresAt: renewed.expiresAt, usedAt: null });

    // Past its expiry the code is still shown (saying so) and can be replaced.
    shift = 6 * 3600 * 1000;
    expect((await service.invitation(connection.id)).expired).toBe(true);
    expect((await service.renewInvitation(connection.id)).expired).toBe(false);
  });

  it('refuses to show or replace the code of a connection that is not a pending inviter', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { connection } = await service.create(unnamed);
    await database.db
      .updateTable('connections')
      .set({ invitation_used_at: new Date().toISOString(), state: 'awaiting_validation' })
      .where('id', '=', connection.id)
      .execute();
    for (const call of [service.invitation(connection.id), service.renewInvitation(connection.id)]) {
      await expect(call).rejects.toMatchObject({ code: 'CONNECTION_NOT_PENDING', status: 409 });
    }
    await expect(service.invitation('missing')).rejects.toMatchObject({ status: 404 });
  });

  it('inspects a code only as accept would take it: expired, own and used codes are refused, with no contents', async () => {
    await settings.update({ publicUrl: 'http://127.0.0.1:9' });
    const { invitationCode } = await service.create({ ...unnamed, expiresInHours: 1 });
    await expect(service.inspect(invitationCode)).rejects.toMatchObject({ code: 'INVITATION_WRONG_NODE' });
    let ahead = 0;
    const acceptor = await openService(path.join(dir, 'acceptor'), () => new Date(Date.now() + ahead));
    try {
      expect(await acceptor.service.inspect(invitationCode)).toMatchObject({
        name: 'a_to_b',
        mode: 'script',
      });
      ahead = 3601 * 1000;
      await expect(acceptor.service.inspect(invitationCode)).rejects.toMatchObject({
        code: 'INVITATION_EXPIRED',
        status: 410,
      });
      await expect(acceptor.service.inspect('garbage')).rejects.toMatchObject({ code: 'INVALID_INVITATION' });
    } finally {
      await acceptor.close();
    }
  });
});
