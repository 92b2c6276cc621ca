// Host configuration: CLI flags and TANDEM_* variables (flags win), parsed once into sections; a bad value stops the start.
import path from 'node:path';
import { z } from 'zod';
import { isPostgresUrl, redactUrl } from '../storage/database-url.ts';
import { TandemError } from './errors.ts';
import { parseTrustedProxies } from './net/ip-address.ts';
import { parseSecretKey } from './secrets/secret-key.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything a host is told at start, by section; the composition root (core/host.ts) hands
 * each part its own section. docs/operations.md lists every variable.
 * @example const config = resolveConfig(['--port', '0'], { TANDEM_SYNC_TICK_MS: '200' }); config.sync.tickMs // 200
 */
export interface HostConfig {
  server: {
    port: number;
    host: string;
    name: string | undefined;
    publicUrl: string | undefined;
    adminToken: string | undefined;
    /** Peers whose X-Forwarded-For is believed (TANDEM_TRUSTED_PROXIES, as CIDR ranges); none when absent. */
    trustedProxies: readonly string[];
    /** An HTTP socket with nothing sent or received this long is closed (link sockets have heartbeats instead). */
    idleSocketMs: number;
  };
  storage: {
    dataDir: string;
    /** Directory for the per-statement SQL time report written at exit (TANDEM_SQL_PROFILE). */
    sqlProfileDir: string | undefined;
    /** A PostgreSQL URL (`--database`, TANDEM_DATABASE_URL); absent: the SQLite file in the data directory. */
    databaseUrl: string | undefined;
  };
  link: {
    heartbeatMs: number;
    backoffMaxMs: number;
    handshakesPerSecond: number;
    handshakeTimeoutMs: number;
  };
  /** Rule limits; absent ones take the sandbox's defaults (64 MB, 200 ms CPU, 2000 ms wall). */
  sandbox: {
    memoryLimitMb: number | undefined;
    timeoutMs: number | undefined;
    wallTimeoutMs: number | undefined;
    /** Directory for CPU profiles of the rule runner (TANDEM_RUNNER_CPU_PROF). */
    cpuProfileDir: string | undefined;
  };
  sync: { tickMs: number };
  /** The per-minute activity history behind the dashboard (core/activity/). */
  activity: { sampleMs: number; retentionDays: number };
  /** The system of record (core/trackers/load.ts): a name, a file path or a package, and its JSON options file. */
  tracker: {
    /** `builtin` (default), `servicenow`, `jira`, a module path (as given) or a package name. */
    name: string;
    /** The `--tracker-config` JSON file, resolved against the working directory; none by default. */
    configFile: string | undefined;
  };
  metrics: { token: string | undefined };
  /** TANDEM_SECRET_KEY (checked: 32 bytes, base64 or hex); absent: a key file in the data directory. */
  secrets: { key: string | undefined };
  /** Webhook notifications (core/notifications/): how often to look for events, and the error digest's window. */
  notifications: { pollMs: number; digestMs: number };
  log: { level: LogLevel };
  /**
   * Attachments: the largest one accepted (TANDEM_MAX_ATTACHMENT_MB, default 100 MB); how long a change
   * waits for an item it links to (TANDEM_REFERENCE_WAIT_MS, default 15 minutes).
   */
  content: { maxAttachmentBytes: number; referenceWaitMs: number };
}

type Env = Record<string, string | undefined>;

/** A variable: its schema and, for the error message, what it accepts. */
interface Variable<T> {
  schema: z.ZodType<T>;
  accepts: string;
  /** How a refused value is shown in the error (a URL without its password); as given by default. */
  shown?: (raw: string) => string;
}
const positive = (unit: string): Variable<number> => ({
  schema: z.coerce.number().positive().max(Number.MAX_SAFE_INTEGER),
  accepts: `a positive number (${unit})`,
});
const text: Variable<string> = { schema: z.string(), accepts: 'any text' };
const directory: Variable<string> = { schema: z.string().min(1), accepts: 'a directory path' };

/** Every TANDEM_* variable the host reads (the tracker's own are read by the tracker). */
export const VARIABLES = {
  TANDEM_DATA: directory,
  TANDEM_DATABASE_URL: {
    schema: z.string().refine(isPostgresUrl),
    accepts: 'a postgres:// or postgresql:// URL',
    shown: redactUrl,
  },
  TANDEM_PORT: {
    schema: z.coerce.number().int().min(0).max(65535),
    accepts: 'an integer 0-65535',
  },
  TANDEM_HOST: { schema: z.string().min(1), accepts: 'an address or host name' },
  TANDEM_NAME: text,
  TANDEM_PUBLIC_URL: { schema: z.string(), accepts: 'an http or https URL' },
  TANDEM_ADMIN_TOKEN: text,
  TANDEM_TRUSTED_PROXIES: { schema: z.string(), accepts: 'IP addresses or CIDR ranges, comma-separated' },
  TANDEM_SQL_PROFILE: directory,
  TANDEM_LINK_HEARTBEAT_MS: positive('milliseconds'),
  TANDEM_LINK_BACKOFF_MAX_MS: positive('milliseconds'),
  TANDEM_LINK_HANDSHAKES_PER_SECOND: positive('handshakes per second'),
  TANDEM_LINK_HANDSHAKE_TIMEOUT_MS: positive('milliseconds'),
  TANDEM_HTTP_IDLE_TIMEOUT_MS: positive('milliseconds'),
  TANDEM_RULE_MEMORY_MB: positive('megabytes'),
  TANDEM_RULE_TIMEOUT_MS: positive('milliseconds'),
  TANDEM_RULE_WALL_MS: positive('milliseconds'),
  TANDEM_RUNNER_CPU_PROF: directory,
  TANDEM_SYNC_TICK_MS: positive('milliseconds'),
  TANDEM_ACTIVITY_SAMPLE_MS: positive('milliseconds'),
  TANDEM_ACTIVITY_RETENTION_DAYS: positive('days'),
  TANDEM_TRACKER: {
    schema: z.string().trim().min(1),
    accepts: 'builtin, servicenow, jira, a module path or a package name',
  },
  TANDEM_TRACKER_CONFIG: { schema: z.string().min(1), accepts: 'the path of a JSON file' },
  TANDEM_METRICS_TOKEN: text,
  TANDEM_MAX_ATTACHMENT_MB: positive('megabytes'),
  TANDEM_REFERENCE_WAIT_MS: positive('milliseconds'),
  TANDEM_SECRET_KEY: text,
  TANDEM_NOTIFY_POLL_MS: positive('milliseconds'),
  TANDEM_NOTIFY_DIGEST_MS: positive('milliseconds'),
  TANDEM_LOG_LEVEL: { schema: z.enum(LOG_LEVELS), accepts: LOG_LEVELS.join(', ') },
} satisfies Record<string, Variable<unknown>>;

type Name = keyof typeof VARIABLES;
type ValueOf<N extends Name> = (typeof VARIABLES)[N] extends Variable<infer T> ? T : never;

/** Reads one variable (or the flag standing in for it); unset or empty is `undefined`, a bad value an error naming it. */
function read<N extends Name>(env: Env, name: N, flag?: { name: string; value: string | undefined }) {
  const raw = flag?.value ?? env[name];
  if (raw === undefined || raw === '') return undefined;
  const { schema, accepts, shown } = VARIABLES[name] as Variable<ValueOf<N>>;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const what = flag?.value !== undefined ? flag.name : name;
  const code = name === 'TANDEM_PORT' ? 'INVALID_PORT' : 'INVALID_CONFIG';
  const value = shown ? shown(raw) : raw;
  throw new TandemError(code, 400, `${what} must be ${accepts}, got "${value}"`, { variable: what, accepts });
}

const FLAGS = {
  '--data': 'TANDEM_DATA',
  '--database': 'TANDEM_DATABASE_URL',
  '--port': 'TANDEM_PORT',
  '--host': 'TANDEM_HOST',
  '--name': 'TANDEM_NAME',
  '--public-url': 'TANDEM_PUBLIC_URL',
  '--tracker': 'TANDEM_TRACKER',
  '--tracker-config': 'TANDEM_TRACKER_CONFIG',
} as const satisfies Record<string, Name>;
type Flag = keyof typeof FLAGS;

/** Parses `--flag value` / `--flag=value` pairs; unknown flags are an error, not ignored. */
export function parseFlags(argv: readonly string[]): Partial<Record<Flag, string>> {
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(flag in FLAGS)) throw new TandemError('UNKNOWN_FLAG', 400, `Unknown option ${flag}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new TandemError('MISSING_VALUE', 400, `Option ${flag} needs a value`);
    out[flag as Flag] = value;
  }
  return out;
}

export function resolveConfig(argv: readonly string[], env: Env = process.env): HostConfig {
  const flags = parseFlags(argv);
  const fromFlag = (flag: Flag) => ({ name: flag, value: flags[flag] });
  const publicUrl = read(env, 'TANDEM_PUBLIC_URL', fromFlag('--public-url'));
  if (publicUrl) assertHttpUrl(publicUrl, 'public URL');
  const trackerConfig = read(env, 'TANDEM_TRACKER_CONFIG', fromFlag('--tracker-config'));
  const configFile = trackerConfig === undefined ? undefined : path.resolve(trackerConfig);
  const secretKey = read(env, 'TANDEM_SECRET_KEY');
  if (secretKey) parseSecretKey(secretKey, 'TANDEM_SECRET_KEY');
  return {
    server: {
      port: read(env, 'TANDEM_PORT', fromFlag('--port')) ?? 4100,
      host: read(env, 'TANDEM_HOST', fromFlag('--host')) ?? '127.0.0.1',
      name: read(env, 'TANDEM_NAME', fromFlag('--name')),
      publicUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : undefined,
      adminToken: read(env, 'TANDEM_ADMIN_TOKEN'),
      trustedProxies: parseTrustedProxies(read(env, 'TANDEM_TRUSTED_PROXIES')),
      idleSocketMs: read(env, 'TANDEM_HTTP_IDLE_TIMEOUT_MS') ?? 60_000,
    },
    storage: {
      dataDir: path.resolve(read(env, 'TANDEM_DATA', fromFlag('--data')) ?? './data'),
      sqlProfileDir: read(env, 'TANDEM_SQL_PROFILE'),
      databaseUrl: read(env, 'TANDEM_DATABASE_URL', fromFlag('--database')),
    },
    link: {
      heartbeatMs: read(env, 'TANDEM_LINK_HEARTBEAT_MS') ?? 15_000,
      backoffMaxMs: read(env, 'TANDEM_LINK_BACKOFF_MAX_MS') ?? 30_000,
      handshakesPerSecond: read(env, 'TANDEM_LINK_HANDSHAKES_PER_SECOND') ?? 10,
      handshakeTimeoutMs: read(env, 'TANDEM_LINK_HANDSHAKE_TIMEOUT_MS') ?? 10_000,
    },
    sandbox: {
      memoryLimitMb: read(env, 'TANDEM_RULE_MEMORY_MB'),
      timeoutMs: read(env, 'TANDEM_RULE_TIMEOUT_MS'),
      wallTimeoutMs: read(env, 'TANDEM_RULE_WALL_MS'),
      cpuProfileDir: read(env, 'TANDEM_RUNNER_CPU_PROF'),
    },
    sync: { tickMs: read(env, 'TANDEM_SYNC_TICK_MS') ?? 1000 },
    activity: {
      sampleMs: read(env, 'TANDEM_ACTIVITY_SAMPLE_MS') ?? 60_000,
      retentionDays: read(env, 'TANDEM_ACTIVITY_RETENTION_DAYS') ?? 7,
    },
    tracker: { name: read(env, 'TANDEM_TRACKER', fromFlag('--tracker')) ?? 'builtin', configFile },
    metrics: { token: read(env, 'TANDEM_METRICS_TOKEN') },
    secrets: { key: secretKey },
    notifications: {
      pollMs: read(env, 'TANDEM_NOTIFY_POLL_MS') ?? 5000,
      digestMs: read(env, 'TANDEM_NOTIFY_DIGEST_MS') ?? 60_000,
    },
    log: { level: read(env, 'TANDEM_LOG_LEVEL') ?? 'info' },
    content: {
      maxAttachmentBytes: Math.floor((read(env, 'TANDEM_MAX_ATTACHMENT_MB') ?? 100) * 1024 * 1024),
      referenceWaitMs: read(env, 'TANDEM_REFERENCE_WAIT_MS') ?? 15 * 60_000,
    },
  };
}

/** A configuration for tests and embeddings: the defaults, with the sections given merged in. */
export function configWith(
  overrides: {
    [S in keyof HostConfig]?: Partial<HostConfig[S]>;
  },
): HostConfig {
  const base = resolveConfig([], {});
  const out = { ...base } as Record<keyof HostConfig, unknown>;
  for (const key of Object.keys(overrides) as (keyof HostConfig)[])
    out[key] = { ...base[key], ...overrides[key] };
  return out as HostConfig;
}

export function assertHttpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TandemError('INVALID_URL', 422, `The ${what} "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TandemError('INVALID_URL', 422, `The ${what} must use http or https`);
  }
  return url;
}
