// Several processes on one database as one node: leases decide which process runs each connection's link and
// sync, links reaching another process are relayed to the holder, and LISTEN/NOTIFY wakes the others after a change.
import type { Db } from '../../storage/schema.ts';
import type { DialTarget, LinkNetwork } from '../link/link-network.ts';
import type { LinkPlacement } from '../link/link-relay.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_LEASE_TIMINGS, type Leases, type LeaseTimings, sharedLeases, soloLeases } from './leases.ts';
import { createWakeups, noWakeups, type WakeKind, type Wakeups } from './wakeups.ts';

/** The parts of the host a change of lease acts on. */
export interface ClusterParts {
  engine: { wake(): void; adopt(connectionId: string): Promise<void> };
  connections: { dial(id: string): Promise<void> };
  /** The node's name and public URL, read again after a change through another process. */
  settings: { reload(): Promise<void> };
  /** The tracker credentials entered in the console, applied again after a save through another process. */
  trackerCredentials?: { refresh(): Promise<void> };
  link: LinkNetwork;
  /** Subscribes to the tracker's own change signal (entities written through this process). */
  watchTracker?: (listener: () => void) => () => void;
}

/** Node-wide background work (notifications, activity samples). */
export interface BackgroundWork {
  start(): void;
  stop(): Promise<void> | void;
}

export interface Cluster {
  readonly leases: Leases;
  readonly processId: string;
  /** Options of the link network: where a peer's link runs, and relay legs from the other processes. */
  readonly linkOptions: {
    place?: (connectionId: string) => Promise<LinkPlacement>;
    acceptRelay?: (connectionId: string, key: string) => boolean;
  };
  /**
   * Dials only the connections this process holds (the others are dialed by their holders), and shows a link
   * up when it is up in the process holding it. The engine takes `local`, this process's own links.
   */
  gateLink(net: LinkNetwork): LinkNetwork;
  /** The network `gateLink` was given: what is up and sent here only. */
  readonly local: LinkNetwork | undefined;
  /** Tells the other processes (an admin change through this process). */
  notify(kind: WakeKind): void;
  /** Runs `work` while this process is the one that runs node-wide work (always, on SQLite). */
  runBackground(work: BackgroundWork[]): void;
  /** Registers this process at its listen URL, takes its leases and starts listening for the others. */
  start(url: string, parts: ClusterParts): Promise<void>;
  /** Releases every lease (the others take the connections at once) and stops listening. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  db: Db;
  log: Logger;
  /** Set on PostgreSQL: processes sharing it are one node. */
  databaseUrl?: string | undefined;
  timings?: LeaseTimings;
}

export function createCluster(opts: ClusterOptions): Cluster {
  const { db, log } = opts;
  const shared = opts.databaseUrl !== undefined;
  const leases = shared ? sharedLeases(db, log, opts.timings ?? DEFAULT_LEASE_TIMINGS) : soloLeases(db, log);
  let wakeups: Wakeups = noWakeups;
  const unsubscribe: Array<() => void> = [];
  /** The dial targets asked for, by connection: dialed while held, kept to dial again once taken back. */
  const wanted = new Map<string, DialTarget>();
  let inner: LinkNetwork | undefined;
  /**
   * Connections being placed for a link under way (an accept's dial, a peer's handshake): a lease taken for it
   * must not start a dial of its own, whose link would replace that socket while its handshake goes on.
   */
  const placing = new Set<string>();
  async function placeForLink(id: string) {
    placing.add(id);
    try {
      return await leases.place(id);
    } finally {
      placing.delete(id);
    }
  }
  /** Connections held here: the links this process reports up are among them. */
  const heldSet = new Set<string>();
  leases.onChange((id, held) => {
    if (held) heldSet.add(id);
    else heldSet.delete(id);
  });

  function gateLink(net: LinkNetwork): LinkNetwork {
    inner = net;
    if (!shared) return net;
    const upElsewhere = (id: string) => !leases.holds(id) && leases.upElsewhere(id);
    return {
      ...net,
      isUp: (id) => net.isUp(id) || upElsewhere(id),
      stats(id) {
        const s = net.stats(id);
        return s.up || !upElsewhere(id) ? s : { ...s, up: true };
      },
      keepDialing(target) {
        const id = target.connectionId;
        wanted.set(id, target);
        if (leases.holds(id)) return net.keepDialing(target);
        // A connection no live process holds (new, or its holder died) is taken here; else its holder dials it.
        void leases.place(id).then((p) => {
          const latest = wanted.get(id);
          if (p.here && latest) net.keepDialing(latest);
        });
      },
      async stopDialing(id) {
        wanted.delete(id);
        await net.stopDialing(id);
      },
      async dialOnce(target) {
        const p = await placeForLink(target.connectionId);
        if (!p.here)
          return {
            ok: false,
            code: 'unavailable',
            message: 'Another process of this node runs this connection',
          };
        return net.dialOnce(target);
      },
    };
  }

  return {
    leases,
    processId: leases.processId,
    linkOptions: shared
      ? {
          async place(id) {
            const p = await placeForLink(id);
            if (p.here) return { here: true };
            return p.processId === null
              ? { here: false, url: null }
              : { here: false, url: p.url, relayKey: p.relayKey };
          },
          acceptRelay: (id, key) => leases.acceptsRelay(key) && leases.holds(id),
        }
      : {},
    gateLink,
    get local() {
      return inner;
    },
    notify(kind) {
      wakeups.notify(kind);
      // A connection added here takes its lease now rather than at the next heartbeat.
      if (kind === 'changed' && shared) void leases.tick();
    },

    runBackground(work) {
      const run = (leader: boolean) => {
        for (const w of work) {
          if (leader) w.start();
          else
            void Promise.resolve(w.stop()).catch((err: unknown) =>
              log.error({ err }, 'stopping node-wide work failed'),
            );
        }
      };
      if (leases.leader) run(true);
      unsubscribe.push(leases.onLeader(run));
    },

    async start(url, parts) {
      if (!shared) {
        await leases.start(url);
        return;
      }
      leases.reportLinks(() => [...heldSet].filter((id) => inner?.isUp(id)));
      unsubscribe.push(
        leases.onChange((id, held) => {
          if (held) {
            const target = wanted.get(id);
            if (target) parts.link.keepDialing(target);
            else if (!placing.has(id))
              void parts.connections
                .dial(id)
                .catch((err: unknown) => log.error({ err, connectionId: id }, 'dial failed'));
            void parts.engine.adopt(id);
            return;
          }
          // Stopped here before the lease is given up (or right after a write found it gone): the new
          // holder's engine and link are the only ones.
          void inner?.stopDialing(id);
          inner?.disconnect(id, 4001, 'connection moved to another process');
          parts.engine.wake();
        }),
      );
      wakeups = createWakeups({ db, url: opts.databaseUrl!, processId: leases.processId, log });
      unsubscribe.push(
        wakeups.on((kind) => {
          parts.engine.wake();
          // A connection added, removed or changed elsewhere: the leases follow at once, not at the next beat.
          if (kind === 'feed') return;
          void leases.tick();
          void parts.settings
            .reload()
            .catch((err: unknown) => log.warn({ err }, 'reading the node settings again failed'));
          // A save reaches this process's tracker now, not at the next look of its timer (the fallback).
          void parts.trackerCredentials
            ?.refresh()
            .catch((err: unknown) => log.warn({ err }, 'applying saved tracker credentials failed'));
        }),
      );
      if (parts.watchTracker) unsubscribe.push(parts.watchTracker(() => wakeups.notify('feed')));
      await leases.start(url);
    },

    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await wakeups.close();
      await leases.stop();
    },
  };
}
