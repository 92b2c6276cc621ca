// Many small Tandem hosts in one process, the peers of the idle-connections figure (e).
// Each host accepts at most ~30 invitations at once (its accept rate limit), so the figure needs
// several acceptors; they share this process because only the measured host's memory matters.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { resolveConfig } from '../core/config.ts';
import { type RunningHost, startHost } from '../core/host.ts';
import { createBuiltinTracker } from '../core/trackers/builtin/builtin-tracker.ts';

const [baseDir, countText] = process.argv.slice(2);
if (!baseDir || !countText) throw new Error('usage: tandem-fleet.ts DIR COUNT');

/** No console; the rule runner starts lazily (on first use) instead of at start. */
const parts = { tracker: createBuiltinTracker, warmSandbox: false } as const;

const hosts: RunningHost[] = [];
const out: Array<{ url: string; token: string }> = [];
for (let i = 0; i < Number(countText); i++) {
  const token = `fleet-${i}-${randomBytes(24).toString('base64url')}`;
  const config = resolveConfig(
    ['--data', path.join(baseDir, `fleet-${i}`), '--port', '0', '--name', `Fleet ${i}`],
    { ...process.env, TANDEM_ADMIN_TOKEN: token },
  );
  const host = await startHost(config, { ...parts, tracker: ({ db }) => parts.tracker(db) });
  await host.parts.settings.update({ publicUrl: host.url });
  hosts.push(host);
  out.push({ url: host.url, token });
}
process.on('SIGTERM', () => {
  void Promise.allSettled(hosts.map((h) => h.close())).finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ hosts: out })}\n`);
