// Connection names are unique per host: a default name takes the next free `_2`, `_3`...; an explicit one is refused if taken.
import { TandemError } from '../errors.ts';
import type { ConnectionStore } from './connection-store.ts';

/** The name a connection gets by default from its short names: `acme_to_globex`. */
export function defaultName(localName: string, remoteName: string): string {
  return `${localName}_to_${remoteName}`;
}

/**
 * `base` if no connection has it, else `base_2`, `base_3`... the first one free.
 * @example await freeName(store, 'acme_to_globex') // 'acme_to_globex_2' when one exists
 */
export async function freeName(store: ConnectionStore, base: string): Promise<string> {
  const taken = await store.namesLike(base);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** Refuses a name another connection has (409 `connection_name_taken`). */
export async function mustBeFree(store: ConnectionStore, name: string, exceptId?: string): Promise<void> {
  if (await store.nameTaken(name, exceptId)) {
    throw new TandemError('CONNECTION_NAME_TAKEN', 409, `Another connection is already named "${name}"`, {
      name,
    });
  }
}
