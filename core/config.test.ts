// The host configuration: flags over variables, sections with their defaults, a bad value named with what it accepts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';

describe('resolveConfig', () => {
  it('gives every section its defaults', () => {
    const c = resolveConfig([], {});
    expect(c.server).toMatchObject({
      port: 4100,
      host: '127.0.0.1',
      trustedProxies: [],
      idleSocketMs: 60_000,
    });
    expect(c.link).toEqual({
      heartbeatMs: 15_000,
      backoffMaxMs: 30_000,
      handshakesPerSecond: 10,
      handshakeTimeoutMs: 10_000,
    });
    expect(c.sync.tickMs).toBe(1000);
    expect(c.log.level).toBe('info');
    expect(c.sandbox).toEqual({
      memoryLimitMb: undefined,
      timeoutMs: undefined,
      wallTimeoutMs: undefined,
      cpuProfileDir: undefined,
    });
  });

  it('reads the variables, and a flag wins over its variable', () => {
    const c = resolveConfig(['--port', '0'], {
      TANDEM_PORT: '5000',
      TANDEM_SYNC_TICK_MS: '200',
      TANDEM_LINK_HEARTBEAT_MS: '1000',
      TANDEM_RULE_MEMORY_MB: '16',
      TANDEM_METRICS_TOKEN: 'scrape',
      TANDEM_LOG_LEVEL: 'warn',
    });
    expect(c.server.port).toBe(0);
    expect(c.sync.tickMs).toBe(200);
    expect(c.link.heartbeatMs).toBe(1000);
    expect(c.sandbox.memoryLimitMb).toBe(16);
    expect(c.metrics.token).toBe('scrape');
    expect(c.log.level).toBe('warn');
  });

  it('chooses the builtin tracker without options by default', () => {
    expect(resolveConfig([], {}).tracker).toEqual({ name: 'builtin', configFile: undefined });
  });

  it('reads the tracker from TANDEM_TRACKER and TANDEM_TRACKER_CONFIG, and the flags win', () => {
    const env = { TANDEM_TRACKER: 'servicenow', TANDEM_TRACKER_CONFIG: 'sn.json' };
    expect(resolveConfig([], env).tracker).toEqual({
      name: 'servicenow',
      configFile: path.resolve('sn.json'),
    });
    const flags = resolveConfig(['--tracker', './my-tracker.ts', '--tracker-config=/etc/tandem/t.json'], env);
    expect(flags.tracker).toEqual({ name: './my-tracker.ts', configFile: '/etc/tandem/t.json' });
  });

  it('treats an empty variable as unset', () => {
    expect(resolveConfig([], { TANDEM_SYNC_TICK_MS: '' }).sync.tickMs).toBe(1000);
  });

  it.each([
    ['TANDEM_SYNC_TICK_MS', 'soon', 'a positive number (milliseconds)'],
    ['TANDEM_LINK_BACKOFF_MAX_MS', '-5', 'a positive number (milliseconds)'],
    ['TANDEM_RULE_TIMEOUT_MS', '0', 'a positive number (milliseconds)'],
    ['TANDEM_LOG_LEVEL', 'loud', 'fatal, error, warn, info, debug, trace, silent'],
  ])('refuses %s=%s, naming the variable and what it accepts', (name, value, accepts) => {
    expect(() => resolveConfig([], { [name]: value })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: `${name} must be ${accepts}, got "${value}"`,
      }),
    );
  });

  it('takes a 32-byte TANDEM_SECRET_KEY and refuses another without printing it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(resolveConfig([], { TANDEM_SECRET_KEY: key }).secrets.key).toBe(key);
    expect(resolveConfig([], {}).secrets.key).toBeUndefined();
    let message = '';
    try {
      resolveConfig([], { TANDEM_SECRET_KEY: 'my-very-secret-passphrase' });
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_SECRET_KEY' });
      message = (e as Error).message;
    }
    expect(message).toMatch(/^TANDEM_SECRET_KEY must be 32 random bytes .*openssl rand -base64 32/);
    expect(message).not.toContain('passphrase');
  });

  it('names the flag when the flag is wrong', () => {
    expect(() => resolveConfig(['--port', 'x'], {})).toThrow(
      expect.objectContaining({
        code: 'INVALID_PORT',
        message: '--port must be an integer 0-65535, got "x"',
      }),
    );
  });

  it('takes a PostgreSQL URL from --database or TANDEM_DATABASE_URL, and refuses another without its password', () => {
    expect(resolveConfig([], {}).storage.databaseUrl).toBeUndefined();
    const env = { TANDEM_DATABASE_URL: 'postgres://tandem@db.internal:5432/tandem' };
    expect(resolveConfig([], env).storage.databaseUrl).toBe(env.TANDEM_DATABASE_URL);
    expect(resolveConfig(['--database', 'postgresql://a@b/c'], env).storage.databaseUrl).toBe(
      'postgresql://a@b/c',
    );
    let message = '';
    try {
      resolveConfig(['--database', 'mysql://admin:hunter2@db/tandem'], {});
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_CONFIG' });
      message = (e as Error).message;
    }
    expect(message).toMatch(/^--database must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).not.toContain('hunter2');
    expect(() => resolveConfig([], { TANDEM_DATABASE_URL: 'tandem.db' })).toThrow(
      /^TANDEM_DATABASE_URL must be/,
    );
  });
});
