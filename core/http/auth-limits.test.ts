// Failed admin credentials are limited per source address, on real sockets; a right credential is never refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllHosts } from '../../tests/support/host-process.ts';
import { type InProcessHost, inProcessHost } from '../../tests/support/in-process.ts';
import { addressKey, createIpMatcher, parseIp, parseTrustedProxies } from '../net/ip-address.ts';
import { createRateLimiter } from '../net/rate-limit.ts';
import { adminTokenWeakness, assertStrongAdminToken } from './admin-auth.ts';
import { type AppParts, createApp } from './app.ts';
import { clientAddress } from './client-address.ts';
import { CREDENTIAL_BURST } from './credential-limit.ts';
import { ACCOUNT_BURST } from './sign-in-limit.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { code?: string; retryAfter?: number; authenticated?: boolean };
}

/** One request from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo). */
function send(
  url: string,
  from: string,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const { hostname, port } = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname.replace(/^\[|\]$/g, ''),
        port,
        localAddress: from,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/api/node',
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Serves the host's app on a real port, listening on `::` where the machine has IPv6 (IPv4 peers then arrive as ::ffff:a.b.c.d). */
async function serveApp(services: AppParts): Promise<{ url: string; close(): Promise<void> }> {
  const server = createAdaptorServer({ fetch: createApp(services).fetch }) as http.Server;
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen('::').catch(() => listen('127.0.0.1'));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

afterAll(stopAllHosts);

describe('the rate limiter', () => {
  it('forgets the least recently used key when full, so spraying keys does not reset a busy one', () => {
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 0.001 });
    expect(limiter.take('attacker')).toBe(true);
    expect(limiter.take('attacker')).toBe(false);
    // Spraying fills the map past its bound, but every attempt keeps the attacker's bucket fresh.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6_000; i++) limiter.take(`spray-${round}-${i}`);
      expect(limiter.take('attacker')).toBe(false);
    }
    expect(limiter.waitMs('attacker')).toBeGreaterThan(0);
    expect(limiter.waitMs('never-seen')).toBe(0);
  });

  it('stays bounded and refills with time', () => {
    let now = 0;
    const limiter = createRateLimiter({ capacity: 2, refillPerSecond: 0.5, maxKeys: 3, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false]);
    expect(limiter.waitMs('a')).toBe(2000);
    now += 2000;
    expect(limiter.take('a')).toBe(true);
    for (const k of ['b', 'c', 'd']) limiter.take(k); // 'a' is now the oldest of four: forgotten
    expect(limiter.waitMs('a')).toBe(0);
  });
});

describe('source addresses', () => {
  it('parses TANDEM_TRUSTED_PROXIES strictly, naming the variable and the bad entry', () => {
    expect(parseTrustedProxies(undefined)).toEqual([]);
    expect(parseTrustedProxies(' ')).toEqual([]);
    expect(parseTrustedProxies('127.0.0.1, 10.0.0.0/8,::1, 2001:db8::/32, ::ffff:192.168.0.0/112')).toEqual([
      '127.0.0.1/32',
      '10.0.0.0/8',
      '0:0:0:0:0:0:0:1/128',
      '2001:db8:0:0:0:0:0:0/32',
      '192.168.0.0/16',
    ]);
    for (const bad of [
      'proxy.internal',
      '10.0.0.0/33',
      '::1/129',
      '10.0.0.1/8/8',
      '10.0.0.0/x',
      'fe80::1%eth0',
      '1.2.3.4,',
      '010.0.0.1',
    ]) {
      expect(() => parseTrustedProxies(bad)).toThrow(/TANDEM_TRUSTED_PROXIES has a bad entry/);
    }
    expect(() => parseTrustedProxies('127.0.0.1, bogus')).toThrow(
      expect.objectContaining({
        code: 'INVALID_TRUSTED_PROXIES',
        message: expect.stringContaining('"bogus"'),
      }),
    );
  });

  it('matches IPv4, IPv6 and IPv4-mapped addresses against ranges, and keys IPv6 by its /64', () => {
    const trusted = createIpMatcher(parseTrustedProxies('127.0.0.1,10.1.0.0/16,2001:db8:1::/48'));
    const is = (a: string) => trusted(parseIp(a)!);
    expect([is('127.0.0.1'), is('::ffff:127.0.0.1'), is('10.1.200.3'), is('2001:db8:1:ff::9')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([is('127.0.0.2'), is('10.2.0.1'), is('2001:db8:2::1'), is('::1')]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(addressKey(parseIp('::ffff:127.0.0.1')!)).toBe('127.0.0.1');
    expect(addressKey(parseIp('2001:db8:0:7::1')!)).toBe(addressKey(parseIp('2001:DB8:0:7:ffff:1:2:3')!));
    expect(addressKey(parseIp('2001:db8:0:7::1')!)).not.toBe(addressKey(parseIp('2001:db8:0:8::1')!));
  });

  it('believes X-Forwarded-For only from a trusted peer, reading it from the right', async () => {
    const trusted = createIpMatcher(parseTrustedProxies('10.0.0.1,10.0.0.2'));
    const app = new Hono().get('/', (c) => c.text(clientAddress(c, trusted)?.address ?? 'none'));
    const from = async (peer: string | undefined, xff?: string) => {
      const env = peer === undefined ? undefined : { incoming: { socket: { remoteAddress: peer } } };
      const res = await app.request('/', { headers: xff ? { 'x-forwarded-for': xff } : {} }, env);
      return res.text();
    };
    expect(await from(undefined, '1.2.3.4')).toBe('none');
    expect(await from('192.0.2.9', '1.2.3.4')).toBe('192.0.2.9'); // not a proxy: header ignored
    expect(await from('10.0.0.1')).toBe('10.0.0.1');
    expect(await from('::ffff:10.0.0.1', '1.2.3.4')).toBe('1.2.3.4');
    expect(await from('10.0.0.1', '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4'); // a client's own entry is ignored
    expect(await from('10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2')).toBe('1.2.3.4'); // two proxies
    expect(await from('10.0.0.1', '[2001:db8::5]:443')).toBe('2001:db8:0:0:0:0:0:5');
    expect(await from('10.0.0.1', '1.2.3.4:5678')).toBe('1.2.3.4');
    expect(await from('10.0.0.1', 'garbage')).toBe('10.0.0.1');
    expect(await from('10.0.0.1', '10.0.0.2')).toBe('10.0.0.2');
  });
});

describe('admin credentials over real sockets', () => {
  let host: InProcessHost;
  let served: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    host = await inProcessHost();
    served = await serveApp(host.services);
  });
  afterAll(async () => {
    await served.close();
    await host.close();
  });

  it('limits wrong bearer tokens per address with 429 and Retry-After, and never refuses the right one', async () => {
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < CREDENTIAL_BURST + 5; i++) {
      last = await send(served.url, '127.0.0.2', { headers: bearer(`guess-${i}`) });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(CREDENTIAL_BURST).fill(401), ...Array(5).fill(429)]);
    expect(last!.body).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 5 });
    expect(last!.headers['retry-after']).toBe('5');
    expect(last!.headers['content-type']).toContain('application/problem+json');
    // The throttled address itself still gets in with the right token, by bearer and by sign-in.
    expect((await send(served.url, '127.0.0.2', { headers: bearer(host.token) })).status).toBe(200);
    const signIn = await send(served.url, '127.0.0.2', {
      method: 'POST',
      path: '/api/session',
      body: { token: host.token },
    });
    expect(signIn.status).toBe(201);
    // ...and it is still throttled for wrong ones: a success does not reset the count.
    expect((await send(served.url, '127.0.0.2', { headers: bearer('guess-again') })).status).toBe(429);
    // Another address has its own budget.
    expect((await send(served.url, '127.0.0.3', { headers: bearer('typo') })).status).toBe(401);
  });

  it("does not let one address's failed sign-ins refuse another's right token", async () => {
    const wrong = [];
    for (let i = 0; i < CREDENTIAL_BURST + 2; i++) {
      const res = await send(served.url, '127.0.0.4', {
        method: 'POST',
        path: '/api/session',
        body: { token: `guess-${i}` },
      });
      wrong.push(res.status);
    }
    expect(wrong.slice(-3)).toEqual([401, 429, 429]);
    const admin = await send(served.url, '127.0.0.5', {
      method: 'POST',
      path: '/api/session',
      body: { token: host.token },
    });
    expect(admin).toMatchObject({ status: 201, body: { authenticated: true } });
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const statuses = [];
    for (let i = 0; i < CREDENTIAL_BURST + 5; i++) {
      const res = await send(served.url, '127.0.0.6', {
        method: 'POST',
        path: '/api/session',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
        body: { token: `guess-${i}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it('limits password sign-ins per account and per address, refusing even the right password once throttled', async () => {
    const password = 'correct horse battery staple';
    await host.services.users.create({ email: 'ana@example.com', name: 'Ana', role: 'rules', password });
    await host.services.users.create({ email: 'bo@example.com', name: 'Bo', role: 'viewer', password });
    const signIn = (from: string, email: string, pw: string) =>
      send(served.url, from, { method: 'POST', path: '/api/session', body: { email, password: pw } });
    // Per account: wrong guesses spread over many addresses use up Ana's budget (on a slow machine the
    // buckets refill a little while scrypt runs, so guess until refused, then at once the right password).
    const statuses: number[] = [];
    for (let i = 0; statuses.at(-1) !== 429 && i < ACCOUNT_BURST + 10; i++)
      statuses.push((await signIn(`127.0.1.${i + 1}`, 'ANA@example.com', `guess-${i}`)).status);
    expect(statuses.slice(0, ACCOUNT_BURST)).toEqual(Array(ACCOUNT_BURST).fill(401));
    expect(statuses.at(-1)).toBe(429);
    const refused = await signIn('127.0.1.100', 'ana@example.com', password);
    expect(refused).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn('127.0.1.100', 'bo@example.com', password)).status).toBe(201);
    // Per address: guesses at many accounts from one address use up that address's budget.
    statuses.length = 0;
    for (let i = 0; statuses.at(-1) !== 429 && i < CREDENTIAL_BURST + 10; i++)
      statuses.push((await signIn('127.0.1.200', `nobody-${i}@example.com`, 'guess')).status);
    expect(statuses.slice(0, CREDENTIAL_BURST)).toEqual(Array(CREDENTIAL_BURST).fill(401));
    expect(statuses.at(-1)).toBe(429);
    expect((await signIn('127.0.1.200', 'bo@example.com', password)).status).toBe(429);
    expect((await signIn('127.0.1.201', 'bo@example.com', password)).status).toBe(201);
  });

  it('counts bearer and sign-in failures in one budget, and leaves requests without credentials alone', async () => {
    for (let i = 0; i < 20; i++) expect((await send(served.url, '127.0.0.7')).status).toBe(401);
    for (let i = 0; i < CREDENTIAL_BURST / 2; i++) {
      await send(served.url, '127.0.0.7', { headers: bearer(`guess-${i}`) });
      await send(served.url, '127.0.0.7', { method: 'POST', path: '/api/session', body: { token: `g${i}` } });
    }
    expect((await send(served.url, '127.0.0.7', { headers: bearer('one-more') })).status).toBe(429);
  });
});

describe('behind a trusted proxy', () => {
  let host: InProcessHost;
  let served: Awaited<ReturnType<typeof serveApp>>;
  const lines: string[] = [];
  beforeAll(async () => {
    host = await inProcessHost({ config: { server: { trustedProxies: parseTrustedProxies('127.0.0.1') } } });
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    served = await serveApp({ ...host.services, log });
  });
  afterAll(async () => {
    await served.close();
    await host.close();
  });

  const viaProxy = (xff: string, token: string) =>
    send(served.url, '127.0.0.1', { headers: { ...bearer(token), 'x-forwarded-for': xff } });

  it('limits each forwarded client on its own, from the right-most untrusted address', async () => {
    for (let i = 0; i < CREDENTIAL_BURST; i++)
      expect((await viaProxy('203.0.113.7', `guess-${i}`)).status).toBe(401);
    expect((await viaProxy('203.0.113.7', 'guess')).status).toBe(429);
    // A spoofed entry to the left of what the proxy appended changes nothing.
    expect((await viaProxy('192.0.2.1, 203.0.113.7', 'guess')).status).toBe(429);
    // Another client behind the same proxy is not throttled, nor is the right token.
    expect((await viaProxy('198.51.100.9', 'typo')).status).toBe(401);
    expect((await viaProxy('203.0.113.7', host.token)).status).toBe(200);
    // A peer that is not the proxy cannot choose its bucket with the header.
    for (let i = 0; i < CREDENTIAL_BURST; i++) {
      await send(served.url, '127.0.0.8', {
        headers: { ...bearer(`guess-${i}`), 'x-forwarded-for': `192.0.2.${i}` },
      });
    }
    expect(
      (await send(served.url, '127.0.0.8', { headers: { ...bearer('x'), 'x-forwarded-for': '192.0.2.200' } }))
        .status,
    ).toBe(429);
  });

  it('marks the session cookie Secure when the trusted proxy says the client used HTTPS, and only then', async () => {
    const signIn = (from: string, proto?: string) =>
      send(served.url, from, {
        method: 'POST',
        path: '/api/session',
        body: { token: host.token },
        headers: proto ? { 'x-forwarded-proto': proto } : {},
      });
    const cookie = (r: Reply) => String(r.headers['set-cookie'] ?? '');
    const viaTls = await signIn('127.0.0.1', 'https');
    expect(viaTls.status).toBe(201);
    expect(cookie(viaTls)).toMatch(/;\s*Secure/i);
    expect(cookie(await signIn('127.0.0.1', 'http'))).not.toMatch(/;\s*Secure/i);
    expect(cookie(await signIn('127.0.0.1'))).not.toMatch(/;\s*Secure/i);
    // A client that is not the proxy cannot claim HTTPS for itself.
    expect(cookie(await signIn('127.0.0.9', 'https'))).not.toMatch(/;\s*Secure/i);
  });

  it('logs the throttled address, never a token', () => {
    const all = lines.join('');
    expect(all).toContain('"address":"203.0.113.7"');
    expect(all).toContain('address throttled');
    expect(all).not.toContain('guess');
    expect(all).not.toContain(host.token);
  });
});

describe('a chosen admin token', () => {
  it('is refused when short, a repeated pattern or made of a few characters, with how to make a good one', () => {
    expect(adminTokenWeakness('letmein')).toBe('it has 7 characters');
    expect(adminTokenWeakness('letmein!'.repeat(5))).toBe('it repeats one pattern of 8 characters');
    expect(adminTokenWeakness('aabbccddaabbccddaabbccddaabbccdd1')).toBe(
      'it uses only 5 different characters',
    );
    expect(adminTokenWeakness('0123456789abcdef0123456789abcdeX')).toBeUndefined();
    expect(adminTokenWeakness(`tdm_${'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5'}`)).toBeUndefined();
    expect(() => assertStrongAdminToken('letmein')).toThrow(
      expect.objectContaining({
        code: 'ADMIN_TOKEN_TOO_SHORT',
        message: expect.stringMatching(/at least 32 .*openssl rand -base64 32.*tandem reset-token/),
      }),
    );
    expect(() => assertStrongAdminToken('letmein')).not.toThrow(/letmein/);
  });

  it('is refused before the host serves with it', async () => {
    await expect(inProcessHost({ config: { server: { adminToken: 'letmein' } } })).rejects.toMatchObject({
      code: 'ADMIN_TOKEN_TOO_SHORT',
    });
  });
});
