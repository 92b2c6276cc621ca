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
import { AppliedLog } from './applied-log.ts';

const [baseDir, countText] = process.argv.slice(2);
if (!baseDir || !countText) throw new Error('usage: tandem-receivers.ts DIR COUNT');

const hosts: RunningHost[] = [];
const out: Array<{ url: string; token: string }> = [];
/** Entities written by a sync engine since the last reset, as `host:entity`. */
const applied = new AppliedLog();

for (let k = 0; k < Number(countText); k++) {
  const token = `recv-${k}-${randomBytes(24).toString('base64url')}`;
  const config = resolveConfig(
    ['--data', path.join(baseDir, `r-${k}`), '--port', '0', '--name', `Receiver ${k}`],
    { ...process.env, TANDEM_ADMIN_TOKEN: token },
  );
  const host = await startHost(config, { tracker: ({ db }) => createBuiltinTracker(db) });
  await host.parts.settings.update({ publicUrl: host.url });
  host.parts.tracker.watch?.((ch?: Change) => {
    if (ch && ch.origin !== 'local') applied.record(`${k}:${ch.entityId}`);
  });
  hosts.push(host);
  out.push({ url: host.url, token });
}

type Msg = { id: number; cmd: string; [k: string]: unknown };
const commands: Record<string, (m: Msg) => Promise<unknown>> = {
  reset: async () => applied.reset(),
  waitApplied: (m) => applied.waitApplied(m),
  /** For each entity applied since the reset: apply time minus the stamp in its summary (one machine, one clock). */
  latencies: () =>
    applied.latencies(async (key) => {
      const sep = key.indexOf(':');
      return (await hosts[Number(key.slice(0, sep))]!.parts.tracker.get(key.slice(sep + 1)))?.fields.summary;
    }),
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
