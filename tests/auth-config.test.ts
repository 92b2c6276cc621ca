// `tandem start` as a real process: a guessable admin token or a bad TANDEM_TRUSTED_PROXIES stops it; trusted proxies take effect.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHostProcess, stopAllHosts, tempDir } from './support/host-process.ts';

const BIN = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));

afterAll(stopAllHosts);

const start = (env: Record<string, string>) =>
  spawnSync(process.execPath, [BIN, 'start', '--data', tempDir(), '--port', '0'], {
    encoding: 'utf8',
    env: { ...process.env, TANDEM_LOG_LEVEL: 'warn', ...env },
    timeout: 20_000,
  });

describe('tandem start refuses', () => {
  it('a TANDEM_ADMIN_TOKEN that is too short or too regular, with exit 2, a stable code and how to make one', () => {
    for (const token of ['letmein', 'password'.repeat(5)]) {
      const run = start({ TANDEM_ADMIN_TOKEN: token });
      expect(run.status).toBe(2);
      expect(run.stdout).not.toContain('Tandem listening');
      expect(run.stderr).toContain('(admin_token_too_short)');
      expect(run.stderr).toContain('at least 32');
      expect(run.stderr).toContain('openssl rand -base64 32');
      expect(run.stderr).toContain('tandem reset-token');
      expect(run.stderr).not.toContain(token);
    }
  });

  it('a TANDEM_TRUSTED_PROXIES entry that is not an address or range, naming the variable and the entry', () => {
    const run = start({
      TANDEM_ADMIN_TOKEN: 'tdm_proxies-test_9f8e7d6c5b4a3210',
      TANDEM_TRUSTED_PROXIES: '127.0.0.1, proxy.lan',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('TANDEM_TRUSTED_PROXIES');
    expect(run.stderr).toContain('"proxy.lan"');
    expect(run.stderr).toContain('(invalid_trusted_proxies)');
  });
});

describe('TANDEM_TRUSTED_PROXIES', () => {
  it('makes the host limit each client its proxy forwards, not the proxy', async () => {
    const host = await startHostProcess({ env: { TANDEM_TRUSTED_PROXIES: '127.0.0.1' } });
    const guess = (client: string, token = 'wrong') =>
      fetch(`${host.url}/api/node`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      }).then((r) => r.status);
    const first: number[] = [];
    for (let i = 0; i < 11; i++) first.push(await guess('203.0.113.7'));
    expect(first.at(-1)).toBe(429);
    expect(await guess('198.51.100.9')).toBe(401);
    expect(await guess('203.0.113.7', host.token)).toBe(200);
    await host.stop();
    expect(host.stderr()).not.toContain(host.token);
  });
});
