// Trackers as plugins, through real `tandem start` processes: a module loaded by path serves the entity API, and
// every tracker that cannot be loaded or configured stops the start with exit 2 and a stable code, leaking no secret.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHostProcess, stopAllHosts, tempDir } from './support/host-process.ts';

const BIN = fileURLToPath(new URL('../bin/tandem.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('./support/example-tracker/json-file-tracker.ts', import.meta.url));
const SECRET = 'sn-Pa55word-do-not-print-4e1b';

afterAll(stopAllHosts);

/** A start that must fail: its exit status, its output, and the code its last stderr line ends with. */
function failedStart(args: string[], env: Record<string, string> = {}) {
  const dataDir = tempDir();
  const run = spawnSync(process.execPath, [BIN, 'start', '--data', dataDir, '--port', '0', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      ...process.env,
      TANDEM_ADMIN_TOKEN: 'tdm_trackerplugintest_0123456789abcdef',
      TANDEM_LOG_LEVEL: 'debug',
      TANDEM_TRACKER: '',
      TANDEM_TRACKER_CONFIG: '',
      ...env,
    },
  });
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    last,
    code: /\((\w+)\)$/.exec(last)?.[1],
    dataDir,
  };
}

const file = (name: string, text: string) => {
  const f = path.join(tempDir('tandem-tracker-files-'), name);
  fs.writeFileSync(f, text);
  return f;
};

describe('tandem start --tracker MODULE', () => {
  it('loads a tracker module from a relative path with its config, and the entity API works on it', async () => {
    const config = file('json-tracker.json', JSON.stringify({ file: 'items.json' }));
    const relative = path.relative(process.cwd(), EXAMPLE);
    const host = await startHostProcess({
      env: {
        TANDEM_TRACKER: relative.startsWith('.') ? relative : `./${relative}`,
        TANDEM_TRACKER_CONFIG: config,
      },
    });
    const created = await host.api<{ id: string; key: string }>('POST', '/api/entities', {
      type: 'incident',
      fields: { summary: 'Printer on fire', priority: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toBe('JSON-1');
    // The plugin's own store holds it, and the API reads it back through the plugin.
    const store = JSON.parse(fs.readFileSync(path.join(host.dataDir, 'items.json'), 'utf8'));
    expect(store.entities[created.body.id].fields).toMatchObject({ summary: 'Printer on fire', priority: 2 });
    const list = await host.api<{ items: { key: string }[] }>('GET', '/api/entities?type=incident');
    expect(list.body.items.map((e) => e.key)).toEqual(['JSON-1']);
    const commented = await host.api<{ comments: { body: string }[] }>(
      'POST',
      `/api/entities/${created.body.id}/comments`,
      { body: 'Looking' },
    );
    expect(commented.body.comments.map((c) => c.body)).toEqual(['Looking']);

    const tracker = await host.api('GET', '/api/tracker');
    expect(tracker.body).toEqual({
      kind: 'json-file',
      url: null,
      status: 'ok',
      lastPollAt: null,
      calls: { total: 0, lastMinute: 0 },
      rateLimitedUntil: null,
      checks: [
        { name: 'JSON file readable and writable', ok: true, detail: path.join(host.dataDir, 'items.json') },
      ],
    });
    expect(await host.stop()).toBe(0);
  });

  it('runs the builtin tracker by default and by name', async () => {
    const host = await startHostProcess({ args: ['--tracker', 'builtin'] });
    const tracker = await host.api<{ kind: string; checks: { name: string; ok: boolean }[] }>(
      'GET',
      '/api/tracker',
    );
    expect(tracker.body).toMatchObject({
      kind: 'builtin',
      status: 'ok',
      checks: [{ name: 'Local store readable', ok: true }],
    });
    await host.stop();
  });
});

describe('a tracker that cannot be loaded or configured', () => {
  it('servicenow without its variables names the first one missing', () => {
    const r = failedStart(['--tracker', 'servicenow']);
    expect([r.status, r.code]).toEqual([2, 'tracker_config_invalid']);
    expect(r.last).toContain('TANDEM_SERVICENOW_URL must be');
  });

  it('jira: not available in this version', () => {
    for (const name of ['jira']) {
      const r = failedStart(['--tracker', name]);
      expect(r.status).toBe(2);
      expect(r.code).toBe('tracker_not_available');
      expect(r.last).toContain(`the ${name} connector is not available in this version`);
      // Refused before the database was opened.
      expect(fs.existsSync(path.join(r.dataDir, 'tandem.db'))).toBe(false);
    }
  });

  it('a missing file, a package that is not installed, a name that is neither', () => {
    const missing = failedStart(['--tracker', './no/such/tracker.ts']);
    expect([missing.status, missing.code]).toEqual([2, 'tracker_not_found']);
    expect(missing.last).toContain(`no file at ${path.resolve('no/such/tracker.ts')}`);
    const pkg = failedStart([], { TANDEM_TRACKER: 'tandem-tracker-not-installed' });
    expect([pkg.status, pkg.code]).toEqual([2, 'tracker_not_found']);
    expect(pkg.last).toContain('--tracker (TANDEM_TRACKER) "tandem-tracker-not-installed"');
    const odd = failedStart(['--tracker', 'what ever']);
    expect([odd.status, odd.code]).toEqual([2, 'tracker_not_found']);
  });

  it('a module without createTracker', () => {
    const r = failedStart(['--tracker', file('nothing.mjs', 'export const tracker = {};')]);
    expect([r.status, r.code]).toEqual([2, 'tracker_invalid']);
    expect(r.last).toContain('does not export a createTracker(options, context) function');
  });

  it('a config file that is not JSON names the file, not what is in it', () => {
    const bad = file('bad.json', `{"file": "items.json", "password": "${SECRET}" oops}`);
    const r = failedStart(['--tracker', EXAMPLE, '--tracker-config', bad]);
    expect([r.status, r.code]).toEqual([2, 'tracker_config_invalid']);
    expect(r.last).toContain(`${bad} is not valid JSON`);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const gone = failedStart(['--tracker', EXAMPLE, '--tracker-config', '/no/such/config.json']);
    expect([gone.status, gone.code]).toEqual([2, 'tracker_config_invalid']);
    expect(gone.last).toContain('/no/such/config.json cannot be read');
  });

  it("a plugin's own tracker_config_invalid names its option", () => {
    const r = failedStart(['--tracker', EXAMPLE, '--tracker-config', file('c.json', '{"colour": "red"}')]);
    expect([r.status, r.code]).toEqual([2, 'tracker_config_invalid']);
    expect(r.last).toBe(`tandem: Tracker "${EXAMPLE}": colour must be one of file (tracker_config_invalid)`);
  });

  it('a secret in the config file is refused by its name and never printed or logged', () => {
    const config = file('secret.json', JSON.stringify({ file: 'items.json', password: SECRET }));
    const r = failedStart(['--tracker', EXAMPLE, '--tracker-config', config]);
    expect([r.status, r.code]).toEqual([2, 'tracker_config_invalid']);
    expect(r.last).toContain('password must be absent: secrets come from the environment');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const builtin = failedStart(['--tracker-config', config]);
    expect([builtin.status, builtin.code]).toEqual([2, 'tracker_config_invalid']);
    expect(builtin.stdout + builtin.stderr).not.toContain(SECRET);
  });
});

describe('tandem start --help', () => {
  it('prints the usage with the tracker flags and exits 0; an unknown flag prints it too', () => {
    const help = spawnSync(process.execPath, [BIN, 'start', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--tracker builtin|servicenow|jira|MODULE');
    expect(help.stdout).toContain('--tracker-config FILE');
    const unknown = spawnSync(process.execPath, [BIN, 'start', '--trackr', 'x'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--tracker-config FILE');
    expect(unknown.stderr.trim().split('\n').at(-1)).toBe('tandem: Unknown option --trackr (unknown_flag)');
  });
});
