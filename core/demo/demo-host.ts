// One host of the demo: a real `tandem start` child process on a free port, and a small admin API client.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface DemoHost {
  name: string;
  url: string;
  token: string;
  exited: Promise<number | null>;
  onExit(listener: () => void): void;
  /** Admin API call that throws on anything but 2xx, naming the route and the problem code. */
  call<T>(method: string, route: string, body?: unknown): Promise<T>;
  request<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Polls the connection until it is active (or the time runs out) and answers its last state. */
  waitActive(connectionId: string, timeoutMs?: number): Promise<string>;
  /** Polls until the host holds at least `n` entities; answers how many it holds. */
  waitEntities(n: number, timeoutMs: number): Promise<number>;
  /** SIGTERM, then SIGKILL after 10 s; answers the exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export async function startDemoHost(opts: {
  dataDir: string;
  name: string;
  token: string;
}): Promise<DemoHost> {
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--data', opts.dataDir, '--port', '0', '--name', opts.name],
    {
      env: {
        ...process.env,
        TANDEM_ADMIN_TOKEN: opts.token,
        TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'warn',
      },
      // Its own process group: Ctrl-C reaches the demo only, which stops each host exactly once.
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not start in time`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /Tandem listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with ${code} before listening`));
    });
  });

  async function request<T>(method: string, route: string, body?: unknown) {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T };
  }

  const host: DemoHost = {
    name: opts.name,
    url,
    token: opts.token,
    exited,
    onExit: (listener) => void exited.then(listener),
    request,
    async call<T>(method: string, route: string, body?: unknown) {
      const r = await request<T & { code?: string; detail?: string }>(method, route, body);
      if (r.status >= 300)
        throw new Error(
          `${opts.name}: ${method} ${route} answered ${r.status} ${r.body?.code ?? ''} ${r.body?.detail ?? ''}`,
        );
      return r.body;
    },
    async waitActive(id, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let state = 'unknown';
      while (Date.now() < deadline) {
        const r = await request<{ state: string }>('GET', `/api/connections/${id}`);
        state = r.status === 200 ? r.body.state : `HTTP ${r.status}`;
        if (state === 'active') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      return state;
    },
    async waitEntities(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let count = 0;
      while (Date.now() < deadline) {
        const r = await request<{ items: unknown[] }>('GET', '/api/entities?limit=200');
        count = r.status === 200 ? r.body.items.length : 0;
        if (count >= n) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      return count;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return host;
}
