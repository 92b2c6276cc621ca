// Loads the tracker `tandem start --tracker` names: a built-in connector, a file path or a package exporting `createTracker`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TandemError } from '../errors.ts';
import { checkCredentialList, withCredentials } from './credentials.ts';
import type { Tracker, TrackerContext, TrackerCredential, TrackerModule } from './tracker.ts';
import { CONFIG_OPTION, readTrackerOptions } from './tracker-options.ts';
import { checkTrackerShape, NAME_OPTION } from './tracker-shape.ts';

/** What `tandem start` was told (`config.tracker`). */
export interface TrackerChoice {
  /** `builtin`, `servicenow`, `jira`, a file path (absolute or relative to `cwd`) or a package name. */
  name: string;
  /** The `--tracker-config` file (absolute or relative to `cwd`). */
  configFile: string | undefined;
}

/** A tracker module loaded and its options read: `build` makes the tracker once the host has a database. */
export interface LoadedTracker {
  /** The name it was chosen by (a path as given, not resolved). */
  name: string;
  /** The credentials the module takes (its `credentials` export), which an admin may enter in the console. */
  credentials: readonly TrackerCredential[];
  /** Builds it; `storedCredentials` (entered in the console) go into `env` under the environment's values. */
  build(context: TrackerContext & { storedCredentials?: Readonly<Record<string, string>> }): Promise<Tracker>;
}

/** The connectors of this repository, loaded the same way as a plugin; `null`: not available in this version. */
const BUILTIN: Record<string, (() => Promise<TrackerModule>) | null> = {
  builtin: async () => {
    const { createBuiltinTracker } = await import('./builtin/builtin-tracker.ts');
    return {
      createTracker: (options, { db, blobs }) => {
        const [key] = Object.keys(options);
        if (key !== undefined)
          throw trackerConfigInvalid(key, 'absent: the builtin tracker takes no options');
        return createBuiltinTracker(db, blobs ? { blobs } : {});
      },
    };
  },
  servicenow: () => import('./servicenow/index.ts'),
  // Jira's connector is not written yet.
  jira: null,
};

export const BUILTIN_TRACKERS = Object.keys(BUILTIN);

function trackerConfigInvalid(option: string, accepts: string): TandemError {
  return new TandemError('TRACKER_CONFIG_INVALID', 400, `${option} must be ${accepts}`, { option, accepts });
}

/** A file path rather than a package name: `./x`, `../x`, `/x`, `C:\x`, or a name ending in a script extension. */
export function isPathName(name: string): boolean {
  return (
    name.startsWith('.') ||
    path.isAbsolute(name) ||
    /^[A-Za-z]:[\\/]/.test(name) ||
    /\.(?:[cm]?[jt]s)$/.test(name)
  );
}

async function importModule(name: string, cwd: string): Promise<unknown> {
  const builtin = Object.hasOwn(BUILTIN, name) ? BUILTIN[name] : undefined;
  if (builtin === null)
    throw new TandemError(
      'TRACKER_NOT_AVAILABLE',
      400,
      `${NAME_OPTION} "${name}": the ${name} connector is not available in this version; use builtin or a tracker module`,
      { option: NAME_OPTION, tracker: name },
    );
  if (builtin) return builtin();
  if (isPathName(name)) {
    const file = path.resolve(cwd, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile())
      throw new TandemError('TRACKER_NOT_FOUND', 400, `${NAME_OPTION} "${name}": no file at ${file}`, {
        option: NAME_OPTION,
      });
    return loadOrExplain(name, () => import(pathToFileURL(file).href));
  }
  if (!/^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w./-]+)?$/i.test(name))
    throw new TandemError(
      'TRACKER_NOT_FOUND',
      400,
      `${NAME_OPTION} "${name}" is not ${BUILTIN_TRACKERS.join(', ')}, a file path or a package name`,
      { option: NAME_OPTION },
    );
  return loadOrExplain(name, () => import(name), true);
}

/** Imports a module; a package that is not installed is `tracker_not_found`, a module that fails to load `tracker_invalid`. */
async function loadOrExplain(
  name: string,
  load: () => Promise<unknown>,
  isPackage = false,
): Promise<unknown> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const message = String(e.message ?? err);
    if (isPackage && e.code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${name.split('/')[0]}`))
      throw new TandemError(
        'TRACKER_NOT_FOUND',
        400,
        `${NAME_OPTION} "${name}": no such package is installed (npm install it beside Tandem), and it is not one of ${BUILTIN_TRACKERS.join(', ')}`,
        { option: NAME_OPTION },
      );
    throw new TandemError(
      'TRACKER_INVALID',
      400,
      `${NAME_OPTION} "${name}" could not be loaded: ${message.split('\n')[0]}`,
      { option: NAME_OPTION },
    );
  }
}

/** The host's own secrets, left out of the environment a tracker is given (it has no use for them). */
const HOST_SECRETS = new Set(['TANDEM_ADMIN_TOKEN', 'TANDEM_METRICS_TOKEN']);

const withoutHostSecrets = (env: TrackerContext['env']): TrackerContext['env'] =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !HOST_SECRETS.has(name)));

/** A TandemError from any copy of core/errors.ts (a package may bring its own). */
function asTandemError(err: unknown): TandemError | undefined {
  if (err instanceof TandemError) return err;
  const e = err as { name?: unknown; code?: unknown; message?: unknown; status?: unknown; extra?: unknown };
  if (err instanceof Error && e.name === 'TandemError' && typeof e.code === 'string')
    return new TandemError(
      e.code,
      400,
      err.message,
      (e.extra ?? undefined) as Record<string, unknown> | undefined,
    );
  return undefined;
}

/**
 * Resolves and imports the tracker module, checks it exports `createTracker`, and reads its options; nothing
 * is built yet, so a wrong name or file stops the start before the database opens.
 * @example const loaded = await loadTracker(config.tracker); const tracker = await loaded.build({ db, log, dataDir, env });
 */
export async function loadTracker(choice: TrackerChoice, cwd = process.cwd()): Promise<LoadedTracker> {
  const mod = (await importModule(choice.name, cwd)) as Partial<TrackerModule> | undefined;
  const createTracker = mod?.createTracker;
  if (typeof createTracker !== 'function')
    throw new TandemError(
      'TRACKER_INVALID',
      400,
      `${NAME_OPTION} "${choice.name}" does not export a createTracker(options, context) function`,
      { option: NAME_OPTION },
    );
  const credentials = checkCredentialList(mod?.credentials, `${NAME_OPTION} "${choice.name}"`, NAME_OPTION);
  const options = await readTrackerOptions(choice.configFile, cwd);
  return {
    name: choice.name,
    credentials,
    async build({ storedCredentials = {}, ...context }) {
      let made: unknown;
      try {
        made = await createTracker(options, {
          ...context,
          log: context.log.child({ tracker: choice.name }),
          env: withCredentials(withoutHostSecrets(context.env), credentials, storedCredentials),
        });
      } catch (err) {
        const known = asTandemError(err);
        // The plugin's code and message (naming its option), said to come from this tracker.
        if (known)
          throw new TandemError(
            known.code,
            known.status,
            `Tracker "${choice.name}": ${known.message}`,
            known.extra,
          );
        const message = err instanceof Error ? err.message : String(err);
        throw new TandemError(
          'TRACKER_CONFIG_INVALID',
          400,
          `The tracker ${choice.name} could not be configured: ${message.split('\n')[0]}`,
          { option: CONFIG_OPTION },
        );
      }
      const tracker = checkTrackerShape(made, choice.name);
      context.log.info(
        { tracker: choice.name, kind: tracker.id, configFile: choice.configFile ?? null },
        'tracker loaded',
      );
      return tracker;
    },
  };
}
