// The node's editable settings (name, public URL), kept in the settings table; flags override at start.
import type { Db } from '../../storage/schema.ts';

export interface NodeSettings {
  name(): string;
  publicUrl(): string | null;
  update(patch: { name?: string; publicUrl?: string | null }): Promise<void>;
  /** Reads them again (another process of the node changed them). */
  reload(): Promise<void>;
}

export async function readSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: Db, key: string, value: string | null): Promise<void> {
  if (value === null) {
    await db.deleteFrom('settings').where('key', '=', key).execute();
    return;
  }
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Writes `value` unless the key has one; says whether it did (of processes starting together, one wins). */
export async function writeSettingIfAbsent(db: Db, key: string, value: string): Promise<boolean> {
  const result = await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function loadNodeSettings(
  db: Db,
  overrides: { name?: string | undefined; publicUrl?: string | undefined },
  fallbackName: string,
): Promise<NodeSettings> {
  if (overrides.name) await writeSetting(db, 'node.name', overrides.name);
  if (overrides.publicUrl) await writeSetting(db, 'node.public_url', overrides.publicUrl);
  let name = (await readSetting(db, 'node.name')) ?? fallbackName;
  let publicUrl = (await readSetting(db, 'node.public_url')) ?? null;
  return {
    async reload() {
      name = (await readSetting(db, 'node.name')) ?? fallbackName;
      publicUrl = (await readSetting(db, 'node.public_url')) ?? null;
    },
    name: () => name,
    publicUrl: () => publicUrl,
    async update(patch) {
      if (patch.name !== undefined) {
        await writeSetting(db, 'node.name', patch.name);
        name = patch.name;
      }
      if (patch.publicUrl !== undefined) {
        await writeSetting(db, 'node.public_url', patch.publicUrl);
        publicUrl = patch.publicUrl;
      }
    },
  };
}
