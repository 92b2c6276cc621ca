// Host configuration from CLI flags and the environment (flags win), as the contract lists them.
import path from 'node:path';
import { TandemError } from './errors.ts';
import { parseTrustedProxies } from './http/ip-address.ts';

export interface HostConfig {
  dataDir: string;
  port: number;
  host: string;
  name: string | undefined;
  publicUrl: string | undefined;
  adminToken: string | undefined;
  /** Peers whose X-Forwarded-For is believed (TANDEM_TRUSTED_PROXIES, as CIDR ranges); none when absent. */
  trustedProxies?: readonly string[];
}

type Env = Record<string, string | undefined>;

const FLAGS: Record<string, keyof HostConfig> = {
  '--data': 'dataDir',
  '--port': 'port',
  '--host': 'host',
  '--name': 'name',
  '--public-url': 'publicUrl',
};

/** Parses `--flag value` / `--flag=value` pairs; unknown flags are an error, not ignored. */
export function parseFlags(argv: readonly string[]): Partial<Record<keyof HostConfig, string>> {
  const out: Partial<Record<keyof HostConfig, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = FLAGS[flag];
    if (!key) throw new TandemError('UNKNOWN_FLAG', 400, `Unknown option ${flag}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new TandemError('MISSING_VALUE', 400, `Option ${flag} needs a value`);
    out[key] = value;
  }
  return out;
}

export function resolveConfig(argv: readonly string[], env: Env = process.env): HostConfig {
  const flags = parseFlags(argv);
  const portText = flags.port ?? env.TANDEM_PORT ?? '4100';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TandemError('INVALID_PORT', 400, `Port must be an integer 0-65535, got "${portText}"`);
  }
  const publicUrl = flags.publicUrl ?? env.TANDEM_PUBLIC_URL;
  if (publicUrl !== undefined && publicUrl !== '') assertHttpUrl(publicUrl, 'public URL');
  return {
    dataDir: path.resolve(flags.dataDir ?? env.TANDEM_DATA ?? './data'),
    port,
    host: flags.host ?? env.TANDEM_HOST ?? '127.0.0.1',
    name: flags.name ?? env.TANDEM_NAME,
    publicUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : undefined,
    adminToken: env.TANDEM_ADMIN_TOKEN || undefined,
    trustedProxies: parseTrustedProxies(env.TANDEM_TRUSTED_PROXIES),
  };
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
