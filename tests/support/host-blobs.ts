// Whether a test host process holds a blob's bytes, looked up where it keeps them: a file in its data dir
// on SQLite, a row of its database on PostgreSQL.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { databaseFor } from './host-process.ts';

export async function hostHasBlob(dataDir: string, sha256: string): Promise<boolean> {
  const url = (await databaseFor(dataDir)).TANDEM_DATABASE_URL;
  if (!url) return fs.existsSync(path.join(dataDir, 'blobs', sha256.slice(0, 2), sha256));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select 1 from blobs where key = $1', [sha256])).rowCount === 1;
  } finally {
    await client.end();
  }
}
