// A tracker's credentials as it finds them: the environment's value where one is set, else the one entered in the console.
import { TandemError } from '../errors.ts';
import type { TrackerCredential } from './tracker.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the value a tracker uses comes from. */
export type CredentialSource = 'environment' | 'console';

/**
 * The credentials a tracker module declares and the environment whose values win over stored ones; the host
 * gets it from whoever loaded the module (the CLI: `LoadedTracker.credentials` and `process.env`).
 * @example const source: CredentialSource = { declared: loaded.credentials, env: process.env };
 */
export interface TrackerCredentialSource {
  declared: readonly TrackerCredential[];
  env: Env;
}

/** A credential's variable name: upper-case letters, digits and underscores (`TANDEM_ACME_PASSWORD`). */
const NAME = /^[A-Z][A-Z0-9_]{0,99}$/;

/** Set in the environment: not empty (an empty variable counts as unset, as the trackers read it). */
export const inEnvironment = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/**
 * The value of each declared credential as the tracker would find it: the environment's, else the stored one.
 * @example credentialValues(declared, { TANDEM_X_USER: 'u' }, { TANDEM_X_PASSWORD: 'p' }) // both
 */
export function credentialValues(
  declared: readonly TrackerCredential[],
  env: Env,
  stored: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  return Object.fromEntries(
    declared.map(({ name }) => [
      name,
      inEnvironment(env, name) ? env[name] : Object.hasOwn(stored, name) ? stored[name] : undefined,
    ]),
  );
}

/** The environment a tracker is built with: `env`, with the stored values of declared credentials under it. */
export function withCredentials(
  env: Env,
  declared: readonly TrackerCredential[],
  stored: Readonly<Record<string, string>>,
): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(credentialValues(declared, env, stored)))
    if (value !== undefined) out[name] = value;
  return out;
}

/**
 * A module's `credentials` export checked at the edge: a list of `{name, label, secret, hint?}` with distinct
 * variable names; anything else is `tracker_invalid`, naming the entry.
 */
export function checkCredentialList(value: unknown, what: string, option: string): TrackerCredential[] {
  if (value === undefined) return [];
  const invalid = (problem: string) =>
    new TandemError('TRACKER_INVALID', 400, `${what} exports credentials that ${problem}`, {
      option,
      member: 'credentials',
    });
  if (!Array.isArray(value)) throw invalid('are not a list');
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const c = (entry ?? {}) as Record<string, unknown>;
    const name = c.name;
    if (typeof name !== 'string' || !NAME.test(name))
      throw invalid(`have at [${i}] no variable name (upper-case letters, digits and _)`);
    if (seen.has(name)) throw invalid(`name ${name} twice`);
    seen.add(name);
    if (typeof c.label !== 'string' || c.label.trim() === '') throw invalid(`have no label for ${name}`);
    if (typeof c.secret !== 'boolean') throw invalid(`do not say whether ${name} is secret`);
    if (c.hint !== undefined && typeof c.hint !== 'string')
      throw invalid(`have a hint for ${name} that is not text`);
    return {
      name,
      label: c.label,
      secret: c.secret,
      ...(typeof c.hint === 'string' ? { hint: c.hint } : {}),
    };
  });
}
