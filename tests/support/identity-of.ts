// The node identity a test host process runs with, read as the host reads it: the key file in its data dir
// on SQLite, the sealed row of its database (opened with the data dir's secret key) on PostgreSQL.
import { loadOrCreateIdentity, type NodeIdentity } from '../../core/identity/node-identity.ts';
import { loadOrCreateStoredIdentity } from '../../core/identity/stored-identity.ts';
import { createSecretBox } from '../../core/secrets/secret-box.ts';
import { loadSecretKey } from '../../core/secrets/secret-key.ts';
import { openDatabase } from '../../storage/database.ts';
import { databaseFor } from './host-process.ts';

export async function identityOf(dataDir: string, secretKey?: string): Promise<NodeIdentity> {
  const url = (await databaseFor(dataDir)).TANDEM_DATABASE_URL;
  if (!url) return loadOrCreateIdentity(dataDir);
  const database = await openDatabase(dataDir, { url });
  try {
    return await loadOrCreateStoredIdentity(
      database.db,
      createSecretBox(loadSecretKey(secretKey, dataDir).key),
    );
  } finally {
    await database.close();
  }
}
