// The tracker's credentials as an admin manages them: which are set and from where, saved sealed, handed to the running tracker.
import { type FieldIssue, TandemError, validationFailed } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import type { CredentialStore, StoredCredentials } from './credential-store.ts';
import {
  type CredentialSource,
  credentialValues,
  inEnvironment,
  type TrackerCredentialSource,
} from './credentials.ts';
import type { Tracker } from './tracker.ts';

/** One credential as the API shows it: never its value. */
export interface CredentialView {
  name: string;
  label: string;
  secret: boolean;
  hint?: string;
  /** The tracker has a value for it (from the environment, or entered in the console). */
  set: boolean;
  /** Where the value in use comes from; null when it is not set. */
  source: CredentialSource | null;
  /** A value entered in the console is stored (in use unless the environment sets one, which wins). */
  stored: boolean;
}

export interface TrackerCredentialsView {
  credentials: CredentialView[];
  /** Values entered take effect at once (the tracker's `reconfigure`); false: at the next start. */
  live: boolean;
  /** Values were saved that the running tracker does not use yet: a restart applies them. */
  restartRequired: boolean;
  /** Stored values cannot be opened with this host's secret key: they must be entered again. */
  unreadable: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** What a change did, by name (for the audit log: never a value). */
export interface CredentialChange {
  set: string[];
  cleared: string[];
}

/**
 * @example await credentials.change({ TANDEM_SERVICENOW_PASSWORD: 'new' }, 'ana@example.com'); await credentials.view();
 */
export interface TrackerCredentials {
  view(): Promise<TrackerCredentialsView>;
  /** Sets (text) or clears (null) the named credentials; the others stay as they are. Refused values change nothing. */
  change(values: Readonly<Record<string, string | null>>, actor: string): Promise<CredentialChange>;
  /** Clears every stored credential. */
  clear(actor: string): Promise<CredentialChange>;
  /**
   * Applies what another process of the node saved since: the cluster calls it when another process tells of a
   * change (LISTEN/NOTIFY), `start`'s timer as the fallback for a notification missed.
   */
  refresh(): Promise<void>;
  /** Looks for another process's saves every `refreshMs`, while the tracker can take them (the host starts it). */
  start(): void;
  stop(): void;
}

export interface TrackerCredentialsDeps {
  store: CredentialStore;
  tracker: Tracker;
  source: TrackerCredentialSource;
  /** What was stored when the tracker was built (it was built with these). */
  initial: StoredCredentials;
  log: Logger;
  now?: () => Date;
  /** How often `start` looks for credentials another process saved (one settings row); default 15 s. */
  refreshMs?: number;
}

/** A refusal of the tracker's (`TRACKER_CONFIG_INVALID` naming a credential) as the API's 422. */
function refused(err: unknown, names: ReadonlySet<string>): unknown {
  if (!(err instanceof TandemError) || err.code !== 'TRACKER_CONFIG_INVALID') return err;
  const option = typeof err.extra?.option === 'string' ? err.extra.option : '';
  const issue: FieldIssue = { path: names.has(option) ? `values.${option}` : 'values', message: err.message };
  return validationFailed([issue], `The tracker refused these credentials: ${err.message}`);
}

export function createTrackerCredentials(deps: TrackerCredentialsDeps): TrackerCredentials {
  const { store, tracker, log } = deps;
  const { declared, env } = deps.source;
  const now = deps.now ?? (() => new Date());
  const names = new Set(declared.map((c) => c.name));
  const live = typeof tracker.reconfigure === 'function';
  const serial = createSerialQueue();
  // What the running tracker was last given, by the row's stamp.
  let applied = deps.initial.stamp;
  const startStamp = deps.initial.stamp;
  let timer: NodeJS.Timeout | undefined;

  const apply = async (values: Readonly<Record<string, string>>) => {
    await tracker.reconfigure?.(credentialValues(declared, env, values));
  };

  /** Writes `next` after the tracker took it; a tracker that refuses it leaves everything as it was. */
  async function save(current: StoredCredentials, next: Record<string, string>, actor: string) {
    if (live) {
      try {
        await apply(next);
      } catch (err) {
        throw refused(err, names);
      }
    }
    try {
      applied = await store.write(next, actor, now());
    } catch (err) {
      // Not saved: the tracker goes back to what is stored.
      if (live) await apply(current.values).catch(() => undefined);
      throw err;
    }
  }

  function checkNames(given: readonly string[]) {
    const unknown = given.filter((n) => !names.has(n));
    if (unknown.length === 0) return;
    const takes = declared.length ? `it takes ${declared.map((c) => c.name).join(', ')}` : 'it takes none';
    throw validationFailed(
      unknown.map((n) => ({
        path: `values.${n}`,
        message: `is not a credential of this tracker (${takes})`,
      })),
    );
  }

  const service: TrackerCredentials = {
    async view() {
      const stored = await store.read();
      const has = (n: string) =>
        stored.unreadable ? stored.names.includes(n) : Object.hasOwn(stored.values, n);
      return {
        credentials: declared.map((c) => {
          const fromEnv = inEnvironment(env, c.name);
          const usable = !stored.unreadable && has(c.name);
          return {
            ...c,
            set: fromEnv || usable,
            source: fromEnv ? 'environment' : usable ? 'console' : null,
            stored: has(c.name),
          };
        }),
        live,
        restartRequired: !live && stored.stamp !== startStamp,
        unreadable: stored.unreadable,
        updatedAt: stored.updatedAt,
        updatedBy: stored.updatedBy,
      };
    },

    change(values, actor) {
      return serial.run('credentials', async () => {
        checkNames(Object.keys(values));
        const current = await store.read();
        const next: Record<string, string> = { ...current.values };
        const done: CredentialChange = { set: [], cleared: [] };
        for (const [name, value] of Object.entries(values)) {
          if (value === null) {
            if (Object.hasOwn(next, name) || current.names.includes(name)) done.cleared.push(name);
            delete next[name];
          } else {
            next[name] = value;
            done.set.push(name);
          }
        }
        await save(current, next, actor);
        log.info({ ...done, by: actor }, 'tracker credentials changed');
        return done;
      });
    },

    clear(actor) {
      return serial.run('credentials', async () => {
        const current = await store.read();
        if (current.stamp === null) return { set: [], cleared: [] };
        await save(current, {}, actor);
        const done = { set: [], cleared: [...current.names] };
        log.info({ ...done, by: actor }, 'tracker credentials cleared');
        return done;
      });
    },

    refresh() {
      return serial.run('credentials', async () => {
        const stored = await store.read();
        if (stored.stamp === applied || !live) return;
        applied = stored.stamp;
        try {
          await apply(stored.values);
          log.info({ names: stored.names }, 'tracker credentials saved by another process applied');
        } catch (err) {
          const code = err instanceof TandemError ? err.code : 'UNKNOWN';
          log.warn({ code }, 'tracker credentials saved by another process were refused');
        }
      });
    },

    // Several processes on one PostgreSQL database: a save through one reaches every process's tracker.
    start() {
      if (!live || declared.length === 0 || timer) return;
      timer = setInterval(() => {
        service
          .refresh()
          .catch((err: unknown) => log.warn({ err }, 'looking for saved tracker credentials failed'));
      }, deps.refreshMs ?? 15_000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
  return service;
}
