import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessHost, inProcessHost } from '../../tests/support/in-process.ts';
import { hashPassword, SCRYPT, verifyPassword } from './passwords.ts';

let host: InProcessHost;
beforeAll(async () => {
  host = await inProcessHost();
});
afterAll(async () => host.close());

describe('passwords', () => {
  it('are salted scrypt hashes that carry their parameters and check in constant time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a.split('$').slice(0, 4)).toEqual([
      'scrypt',
      String(SCRYPT.N),
      String(SCRYPT.r),
      String(SCRYPT.p),
    ]);
    expect(a).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
  });
});

describe('users', () => {
  const password = 'a long enough password';

  it('keep one admin at least, and take their sessions and tokens with them', async () => {
    const { users, tokens, auth } = host.services;
    const ana = await users.create({ email: ' Ana@Example.COM ', name: 'Ana', role: 'admin', password });
    expect(ana.email).toBe('ana@example.com');
    await expect(
      users.create({ email: 'ana@example.com', name: 'A', role: 'viewer', password }),
    ).rejects.toMatchObject({
      code: 'EMAIL_TAKEN',
    });
    await expect(users.update(ana.id, { role: 'rules' })).rejects.toMatchObject({
      code: 'LAST_ADMIN',
      status: 409,
    });
    await expect(users.remove(ana.id)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    const bo = await users.create({ email: 'bo@example.com', name: 'Bo', role: 'admin', password });
    expect(await users.update(ana.id, { role: 'viewer' })).toMatchObject({ role: 'viewer' });
    await expect(users.remove(bo.id)).rejects.toMatchObject({ code: 'LAST_ADMIN' });

    const session = await auth.createSession(ana.id);
    const { token } = await tokens.create(ana.id, 'laptop');
    expect(await auth.session(session.id)).toEqual({ userId: ana.id });
    expect(await users.authenticate('ANA@example.com', password)).toMatchObject({ id: ana.id });
    expect(await users.authenticate('ana@example.com', 'wrong')).toBeUndefined();
    expect(await users.authenticate('nobody@example.com', password)).toBeUndefined();

    // A new password ends the user's sessions.
    await users.update(ana.id, { password: 'another long password' });
    expect(await auth.session(session.id)).toBeUndefined();
    expect(await users.authenticate('ana@example.com', 'another long password')).toBeDefined();

    await users.remove(ana.id);
    expect(await tokens.resolve(token)).toBeUndefined();
    expect(await users.get(ana.id)).toBeUndefined();
  });
  it('change their email (read inside the change itself), refused when another user has it', async () => {
    const { users } = host.services;
    const cy = await users.create({ email: 'cy@example.com', name: 'Cy', role: 'viewer', password });
    await users.create({ email: 'di@example.com', name: 'Di', role: 'viewer', password });
    expect(await users.update(cy.id, { email: ' Cyril@Example.com ' })).toMatchObject({
      email: 'cyril@example.com',
    });
    expect(await users.authenticate('cyril@example.com', password)).toMatchObject({ id: cy.id });
    await expect(users.update(cy.id, { email: 'di@example.com' })).rejects.toMatchObject({
      code: 'EMAIL_TAKEN',
      status: 409,
    });
  });
});
