// The tracker credentials entered in the console, kept sealed in one settings row (names and who saved them in the clear).
import type { Db } from '../../storage/schema.ts';
import { readSetting, writeSetting } from '../identity/node-settings.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

const KEY = 'tracker.credentials';
/** Binds the sealed values to their row: a sealed value copied elsewhere does not open. */
const CONTEXT = `settings:${KEY}`;

/** What is stored, as this host can read it. */
export interface StoredCredentials {
  /** Name -> value; empty when nothing is stored or it cannot be opened. */
  values: Readonly<Record<string, string>>;
  /** The names stored (readable even when the values are not). */
  names: readonly string[];
  updatedAt: string | null;
  updatedBy: string | null;
  /** Stored under another secret key (or changed): the values cannot be opened. */
  unreadable: boolean;
  /** Changes whenever the row does (what a process compares to see another one's save). */
  stamp: string | null;
}

/**
 * @example await store.write({ TANDEM_SERVICENOW_PASSWORD: 'x' }, 'ana@example.com'); (await store.read()).names
 */
export interface CredentialStore {
  read(): Promise<StoredCredentials>;
  /** Replaces what is stored (an empty set removes the row); answers the new stamp. */
  write(values: Readonly<Record<string, string>>, actor: string, at: Date): Promise<string | null>;
}

interface Row {
  names: string[];
  sealed: string;
  updatedAt: string;
  updatedBy: string;
}

const NONE: StoredCredentials = {
  values: {},
  names: [],
  updatedAt: null,
  updatedBy: null,
  unreadable: false,
  stamp: null,
};

function parseRow(text: string): Row | undefined {
  try {
    const r = JSON.parse(text) as Partial<Row>;
    return Array.isArray(r.names) && typeof r.sealed === 'string'
      ? {
          names: r.names.filter((n): n is string => typeof n === 'string'),
          sealed: r.sealed,
          updatedAt: String(r.updatedAt ?? ''),
          updatedBy: String(r.updatedBy ?? ''),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

function openValues(box: SecretBox, sealed: string): Record<string, string> | undefined {
  try {
    const values = JSON.parse(box.open(sealed, CONTEXT)) as unknown;
    if (!values || typeof values !== 'object' || Array.isArray(values)) return undefined;
    return Object.fromEntries(
      Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return undefined;
  }
}

export function createCredentialStore(db: Db, box: SecretBox): CredentialStore {
  return {
    async read() {
      const text = await readSetting(db, KEY);
      if (text === undefined) return NONE;
      const row = parseRow(text);
      const values = row && openValues(box, row.sealed);
      return {
        values: values ?? {},
        names: row?.names ?? [],
        updatedAt: row?.updatedAt || null,
        updatedBy: row?.updatedBy || null,
        unreadable: values === undefined,
        stamp: text,
      };
    },
    async write(values, actor, at) {
      const names = Object.keys(values).sort();
      if (names.length === 0) {
        await writeSetting(db, KEY, null);
        return null;
      }
      const row: Row = {
        names,
        sealed: box.seal(JSON.stringify(values), CONTEXT),
        updatedAt: at.toISOString(),
        updatedBy: actor,
      };
      const text = JSON.stringify(row);
      await writeSetting(db, KEY, text);
      return text;
    },
  };
}
