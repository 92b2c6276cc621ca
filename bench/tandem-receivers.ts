// The receiving side R of figure (g): K real hosts (SQLite, every part but the console) in one process, as
// one receiver. A host accepts at most ~30 invitations at once (its accept rate limit), so 200 connections
// need several; one process keeps R the same size whatever K. IPC commands as bench/tandem-host.ts's,
// counted over all K hosts: reset, waitApplied, latencies.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { resolveConfig } from '../core/config.ts';
import { type RunningHost, startHost } from '../core/host.ts';
import { createBuiltinTracker } from '../core/trackers/builtin/builtin-tracker.ts';
import type { Change } from '../core/trackers/tracker.ts';

const [baseDir, countText] = process.argv.slice(2);
if (!baseDir || !countText) throw new Error('usage: tandem-receivers.ts DIR COUNT');

const hosts: RunningHost[] = [];
const out: Array<{ url: string; token: string }> = [];
/** Entities written by a sync engine since the last reset: `host:entity` -> first time. */
let applied = new Map<string, number>();
let waiting: { n: number; resolve: () => void } | undefined;

for (let k = 0; k < Number(countText); k++) {
  const token = `recv-${k}-${randomBytes(24).toString('base64url')}`;
  const config = resolveConfig(
    ['--data', path.join(baseDir, `r-${k}`), '--port', '0', '--name', `Receiver ${k}`],
    { ...process.env, TANDEM_ADMIN_TOKEN: token },
  );
  const host = await startHost(config, { tracker: ({ db }) => createBuiltinTracker(db) });
  await host.parts.settings.update({ publicUrl: host.url });
  host.parts.tracker.watch?.((ch?: Change) => {
    const key = `${k}:${ch?.entityId}`;
    if (!ch || ch.origin === 'local' || applied.has(key)) return;
    applied.set(key, Date.now());
    if (waiting && applied.size >= waiting.n) waiting.resolve();
  });
  hosts.push(host);
  out.push({ url: host.url, token });
}

type Msg = { id: number; cmd: string; [k: string]: unknown };
const commands: Record<string, (m: Msg) => Promise<unknown>> = {
  async reset() {
    applied = new Map();
    return { ok: true };
  },
  /** Waits until n entities were applied, the time runs out, or nothing new arrived for `stallMs`. */
  async waitApplied(m) {
    const n = Number(m.n);
    const deadline = Date.now() + Number(m.timeoutMs ?? 60_000);
    const stallMs = Number(m.stallMs ?? 20_000);
    let seen = applied.size;
    let lastProgress = Date.now();
    while (applied.size < n && Date.now() < deadline && Date.now() - lastProgress < stallMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        waiting = {
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
      });
      if (applied.size !== seen) {
        seen = applied.size;
        lastProgress = Date.now();
      }
    }
    waiting = undefined;
    const times = [...applied.values()];
    return { count: applied.size, last: times.length ? Math.max(...times) : null };
  },
  /** For each entity applied since the reset: apply time minus the stamp in its summary (one machine, one clock). */
  async latencies() {
    const lat: number[] = [];
    for (const [key, at] of applied) {
      const sep = key.indexOf(':');
      const e = await hosts[Number(key.slice(0, sep))]!.parts.tracker.get(key.slice(sep + 1));
      const t0 = /t0=(\d+)/.exec(e?.fields.summary ?? '')?.[1];
      if (t0) lat.push(at - Number(t0));
    }
    return { latencies: lat };
  },
};

process.on('message', (raw) => {
  const m = raw as Msg;
  const fn = commands[m.cmd];
  if (!fn) {
    process.send?.({ id: m.id, error: `unknown command ${m.cmd}` });
    return;
  }
  fn(m).then(
    (result) => process.send?.({ id: m.id, result }),
    (err: unknown) => process.send?.({ id: m.id, error: String((err as Error)?.stack ?? err) }),
  );
});
process.on('SIGTERM', () => {
  void Promise.allSettled(hosts.map((h) => h.close())).finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: out[0]!.url, token: out[0]!.token, hosts: out })}\n`);
