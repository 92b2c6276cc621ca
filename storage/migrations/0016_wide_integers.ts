// Sequence numbers, counters and versions as 64-bit integers on PostgreSQL, where `integer` is 32-bit and a
// long-lived busy connection would overflow at 2^31. SQLite's integer is already 64-bit: nothing to do there.
import type { Kysely } from 'kysely';
import { isPostgres } from './portable.ts';

/**
 * The columns that count without bound, by table: per-connection stream positions and the seqs that refer to
 * them, run counters and positions, entity and rule versions, key counters. Frozen here: later migrations that add
 * such columns create them as bigint.
 */
const WIDE: Record<string, string[]> = {
  sync_streams: ['out_seq', 'out_acked', 'in_high', 'outcome_seq', 'outcome_acked', 'outcome_high'],
  sync_outbox: ['seq'],
  sync_inbox: ['seq'],
  sync_event_log: ['seq', 'outcome_seq'],
  sync_apply_journal: ['seq'],
  sync_apply_versions: ['version', 'seq'],
  sync_reference_waits: ['seq'],
  sync_errors: ['event_seq'],
  sync_runs: ['processed', 'created', 'updated', 'skipped', 'errors', 'warnings', 'total', 'pending'],
  sync_run_items: ['n'],
  sync_run_queue: ['n'],
  activity_minutes: [
    'out_seq',
    'out_acked',
    'in_high',
    'events_queued',
    'events_out',
    'events_in',
    'queued_out',
    'queued_in',
  ],
  entities: ['version'],
  change_log: ['version'],
  key_counters: ['next'],
  rule_versions: ['version'],
  rule_drafts: ['base_version'],
};

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not see app types
async function retype(db: Kysely<any>, type: 'bigint' | 'integer'): Promise<void> {
  if (!isPostgres(db)) return;
  for (const [table, columns] of Object.entries(WIDE)) {
    // One statement per table: PostgreSQL rewrites the table once for all its columns.
    const [first, ...rest] = columns;
    if (!first) continue;
    let alter = db.schema.alterTable(table).alterColumn(first, (c) => c.setDataType(type));
    for (const column of rest) alter = alter.alterColumn(column, (c) => c.setDataType(type));
    await alter.execute();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function up(db: Kysely<any>): Promise<void> {
  await retype(db, 'bigint');
}

/** Back to 32 bits: fails (and leaves the columns wide) if a value no longer fits. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  await retype(db, 'integer');
}
