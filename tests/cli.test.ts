// The CLI as a real child process: start, health, clean SIGTERM, restart keeps data and identity.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHostProcess, stopAllHosts, tempDir } from './support/host-process.ts';

const BIN = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));

afterAll(stopAllHosts);

describe('tandem start', () => {
  it('serves, stops cleanly on SIGTERM and keeps data and identity across a restart', async () => {
    const dataDir = tempDir();
    const first = await startHostProcess({ dataDir, name: 'Acme Corp' });
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${first.url}/healthz`)).json()).toEqual({ ok: true });
    const wk1 = (await (await fetch(`${first.url}/.well-known/tandem`)).json()) as {
      nodeId: string;
      name: string;
    };
    expect(wk1.name).toBe('Acme Corp');
    const created = await first.api<{ id: string; key: string }>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Survives restarts' },
    });
    expect(created.status).toBe(201);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.stderr()).not.toContain(first.token);

    const keyFile = path.join(dataDir, 'node-key.json');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    const second = await startHostProcess({ dataDir, token: first.token });
    const wk2 = (await (await fetch(`${second.url}/.well-known/tandem`)).json()) as {
      nodeId: string;
      name: string;
    };
    expect(wk2).toMatchObject({ nodeId: wk1.nodeId, name: 'Acme Corp' });
    const again = await second.api<{ key: string; fields: { summary: string } }>(
      'GET',
      `/api/entities/${created.body.id}`,
    );
    expect(again.body).toMatchObject({ key: created.body.key, fields: { summary: 'Survives restarts' } });
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('generates an admin token on first start, prints it once, and accepts it', async () => {
    const dataDir = tempDir();
    const run = () =>
      new Promise<{ out: string; url: string; child: ReturnType<typeof spawn> }>((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env, TANDEM_LOG_LEVEL: 'warn' };
        delete env.TANDEM_ADMIN_TOKEN;
        const child = spawn(process.execPath, [BIN, 'start', '--data', dataDir, '--port', '0'], { env });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /Tandem listening on (\S+)/.exec(out);
          if (m) resolve({ out, url: m[1]!, child });
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
    const a = await run();
    const token = /Admin token[^:]*: (tdm_\S+)/.exec(a.out)?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${a.url}/api/node`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    a.child.kill('SIGTERM');
    await new Promise((r) => a.child.once('exit', r));
    const b = await run();
    expect(b.out).not.toContain('Admin token');
    const still = await fetch(`${b.url}/api/node`, { headers: { authorization: `Bearer ${token}` } });
    expect(still.status).toBe(200);
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
  });

  it('prints the URL and the new admin token before any JSON log line', async () => {
    const dataDir = tempDir();
    // stdout and stderr into one file, as a terminal shows them: the order is the one a person reads.
    const file = path.join(dataDir, 'out.txt');
    const fd = fs.openSync(file, 'a');
    const env: NodeJS.ProcessEnv = { ...process.env, TANDEM_LOG_LEVEL: 'info' };
    delete env.TANDEM_ADMIN_TOKEN;
    const child = spawn(process.execPath, [BIN, 'start', '--data', path.join(dataDir, 'd'), '--port', '0'], {
      env,
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    try {
      let out = '';
      const deadline = Date.now() + 20_000;
      // Until the listening line and, after it, the host's first log line are there.
      while (!/Tandem listening on \S+\n[\s\S]*"msg":"host started"/.test(out)) {
        if (Date.now() > deadline) throw new Error(`no start in 20 s:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
        out = fs.readFileSync(file, 'utf8');
      }
      const lines = out.split('\n');
      const firstJson = lines.findIndex((l) => l.startsWith('{'));
      const token = lines.findIndex((l) => /^Admin token[^:]*: tdm_\S+$/.test(l));
      const url = lines.findIndex((l) => /^Tandem listening on http:\/\/127\.0\.0\.1:\d+$/.test(l));
      expect(token).toBe(0);
      expect(url).toBeGreaterThan(token);
      expect(firstJson).toBeGreaterThan(url);
      // Every line before the listening one is for a person, none a log line.
      expect(lines.slice(0, url + 1).every((l) => !l.startsWith('{'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('takes its settings from the environment', async () => {
    const host = await startHostProcess({
      env: { TANDEM_NAME: 'Globex Services', TANDEM_PUBLIC_URL: 'https://globex.example/' },
    });
    const node = await host.api<{ name: string; publicUrl: string }>('GET', '/api/node');
    expect(node.body).toMatchObject({ name: 'Globex Services', publicUrl: 'https://globex.example' });
    await host.stop();
  });

  it('refuses bad flags with a clear message and exit code 2', () => {
    const bad = spawnSync(process.execPath, [BIN, 'start', '--port', 'seventy'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('invalid_port');
    const unknown = spawnSync(process.execPath, [BIN, 'start', '--colour', 'red'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown_flag');
    const cmd = spawnSync(process.execPath, [BIN, 'launch'], { encoding: 'utf8' });
    expect(cmd.status).toBe(2);
    const db = spawnSync(process.execPath, [BIN, 'start', '--database', 'mysql://root:hunter2@db/x'], {
      encoding: 'utf8',
    });
    expect(db.status).toBe(2);
    expect(db.stderr).toContain('--database must be a postgres://');
    expect(db.stderr).not.toContain('hunter2');
  });

  it('refuses a bad TANDEM_SECRET_KEY without printing it, and makes an owner-only key file otherwise', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'start', '--port', '0', '--data', tempDir()], {
      encoding: 'utf8',
      env: { ...process.env, TANDEM_SECRET_KEY: 'my-memorable-passphrase' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('(invalid_secret_key)');
    expect(bad.stderr).not.toContain('memorable');
    const host = await startHostProcess();
    expect(fs.statSync(path.join(host.dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    await host.stop();
  });

  it('names a port in use with a stable code and leaves its database closed', async () => {
    const taken = await startHostProcess();
    const dataDir = tempDir();
    const port = new URL(taken.url).port;
    const run = spawnSync(process.execPath, [BIN, 'start', '--data', dataDir, '--port', port], {
      encoding: 'utf8',
      env: { ...process.env, TANDEM_ADMIN_TOKEN: 'tdm_portinusetest_0123456789abcdef' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Port 127.0.0.1:${port} is already in use`);
    expect(run.stderr).toContain('(port_in_use)');
    // The database was opened, migrated and closed again: closing the last connection removes the WAL.
    expect(fs.existsSync(path.join(dataDir, 'tandem.db'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'tandem.db-wal'))).toBe(false);
    await taken.stop();
  });

  it('reset-token replaces the admin token', async () => {
    const dataDir = tempDir();
    const host = await startHostProcess({ dataDir });
    await host.stop();
    const env = { ...process.env };
    delete env.TANDEM_ADMIN_TOKEN;
    const reset = spawnSync(process.execPath, [BIN, 'reset-token', '--data', dataDir], {
      encoding: 'utf8',
      env,
    });
    expect(reset.status).toBe(0);
    const token = /: (tdm_\S+)/.exec(reset.stdout)?.[1];
    expect(token).toBeDefined();
    const child = spawn(process.execPath, [BIN, 'start', '--data', dataDir, '--port', '0'], { env });
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /Tandem listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
    });
    expect((await fetch(`${url}/api/node`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(
      (await fetch(`${url}/api/node`, { headers: { authorization: `Bearer ${host.token}` } })).status,
    ).toBe(401);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
