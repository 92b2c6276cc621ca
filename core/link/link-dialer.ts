// Keeps connections dialed: redials with capped, jittered backoff until told to stop or the directory says so.
import type { Logger } from '../log.ts';
import type { DialOutcome, DialTarget, LinkDirectory } from './link-directory.ts';

/** Codes after which redialing is pointless until an admin acts. */
const FATAL = new Set(['revoked']);
const BACKOFF_BASE_MS = 200;

/** Delay before redial `attempt` (0 = at once): exponential from 200 ms, capped, with jitter in [cap/2, cap]. */
export function backoffDelay(attempt: number, maxMs: number, random = Math.random): number {
  if (attempt === 0) return 0;
  const ceiling = Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/**
 * The connections this host dials, each redialed after its link drops or a dial fails.
 * @example const dialer = createDialer({ ... }); dialer.keep(target); ...; dialer.linkDown(target.connectionId);
 */
export interface Dialer {
  /** Keeps `target` dialed (a new target replaces the old one's address and keys). */
  keep(target: DialTarget): void;
  /** Stops redialing; resolves once a dial already under way has ended (its outcome is then known). */
  stop(connectionId: string): Promise<void>;
  /** The connection's link went down: redial it if it is kept. */
  linkDown(connectionId: string): void;
  close(): void;
}

export interface DialerOptions {
  backoffMaxMs: number;
  dial: (target: DialTarget) => Promise<DialOutcome>;
  /** The connection has a live link: no dial needed. */
  isLive: (connectionId: string) => boolean;
  directory: Pick<LinkDirectory, 'dialFailed'>;
  log: Logger;
}

interface DialEntry {
  target: DialTarget;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /** The dial under way, so that `stop` can wait for it. */
  inFlight: Promise<unknown> | undefined;
}

export function createDialer(opts: DialerOptions): Dialer {
  const dials = new Map<string, DialEntry>();
  let closed = false;

  function schedule(entry: DialEntry) {
    if (entry.timer || closed) return;
    const delay = backoffDelay(entry.attempt, opts.backoffMaxMs);
    entry.attempt++;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void attempt(entry);
    }, delay);
    entry.timer.unref();
  }

  async function decide(id: string, outcome: { code: string; message: string }) {
    try {
      return await opts.directory.dialFailed(id, outcome.code, outcome.message);
    } catch (err) {
      opts.log.error({ err, connectionId: id }, 'recording a failed dial failed');
      return 'redial';
    }
  }

  async function attempt(entry: DialEntry) {
    const id = entry.target.connectionId;
    if (closed || entry.running || opts.isLive(id) || dials.get(id) !== entry) return;
    entry.running = true;
    let outcome: DialOutcome;
    try {
      entry.inFlight = opts.dial(entry.target);
      outcome = (await entry.inFlight) as DialOutcome;
    } catch (err) {
      outcome = { ok: false, code: 'peer_unreachable', message: String(err) };
    } finally {
      entry.running = false;
      entry.inFlight = undefined;
    }
    if (outcome.ok) {
      entry.attempt = 0;
      return;
    }
    if (dials.get(id) !== entry) return;
    const decision = await decide(id, outcome);
    if (dials.get(id) !== entry) return;
    if (decision === 'stop' || FATAL.has(outcome.code)) dials.delete(id);
    else if (!opts.isLive(id)) schedule(entry);
  }

  return {
    keep(target) {
      const existing = dials.get(target.connectionId);
      if (existing) {
        existing.target = target;
        if (!opts.isLive(target.connectionId) && !existing.running) schedule(existing);
        return;
      }
      const entry: DialEntry = { target, attempt: 0, timer: undefined, running: false, inFlight: undefined };
      dials.set(target.connectionId, entry);
      if (!opts.isLive(target.connectionId)) schedule(entry);
    },
    async stop(id) {
      const entry = dials.get(id);
      if (entry?.timer) clearTimeout(entry.timer);
      dials.delete(id);
      await entry?.inFlight?.catch(() => undefined);
    },
    linkDown(id) {
      const entry = dials.get(id);
      if (entry && !closed) schedule(entry);
    },
    close() {
      closed = true;
      for (const entry of dials.values()) if (entry.timer) clearTimeout(entry.timer);
      dials.clear();
    },
  } satisfies Dialer;
}
