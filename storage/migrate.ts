// Brings a database to the latest migration; the PostgreSQL opener wraps it in a lock.
import { Migrator } from 'kysely';
import { TandemError } from '../core/errors.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Db } from './schema.ts';

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new TandemError('MIGRATION_FAILED', 500, `Database migration ${failed} failed: ${String(error)}`);
  }
}
