// Starts a benchmark child process (TypeScript through tsx) and waits for its first JSON line.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child<T> {
  proc: ChildProcess;
  ready: T;
  /** Later JSON lines the child prints, in order. */
  lines: unknown[];
  stop(): Promise<void>;
}

export async function startChild<T>(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; ipc?: boolean; nodeArgs?: string[] } = {},
): Promise<Child<T>> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, TANDEM_LOG_LEVEL: 'warn', ...opts.env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const lines: unknown[] = [];
  let buf = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${err}`)), 60_000);
    let first = true;
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (!line.startsWith('{')) continue;
        const value = JSON.parse(line) as unknown;
        if (first) {
          first = false;
          clearTimeout(timer);
          resolve(value as T);
        } else lines.push(value);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready:\n${err}`));
    });
  });
  return {
    proc,
    ready,
    lines,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
