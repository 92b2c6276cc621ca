// Static migration list, so bundlers and tests see every migration without reading the file system.
import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_pairing.ts';
import * as m0003 from './0003_rules.ts';
import * as m0004 from './0004_sync.ts';
import * as m0005 from './0005_tracker_writes.ts';
import * as m0006 from './0006_apply_journal.ts';
import * as m0007 from './0007_invitation_payload.ts';
import * as m0008 from './0008_outcomes.ts';
import * as m0009 from './0009_people.ts';
import * as m0011 from './0011_servicenow_keys.ts';
import * as m0012 from './0012_activity.ts';
import * as m0013 from './0013_content.ts';
import * as m0014 from './0014_node_identity.ts';
import * as m0015 from './0015_processes.ts';
import * as m0016 from './0016_wide_integers.ts';

const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_pairing': m0002,
  '0003_rules': m0003,
  '0004_sync': m0004,
  '0005_tracker_writes': m0005,
  '0006_apply_journal': m0006,
  '0007_invitation_payload': m0007,
  '0008_outcomes': m0008,
  '0009_people': m0009,
  '0011_servicenow_keys': m0011,
  '0012_activity': m0012,
  '0013_content': m0013,
  '0014_node_identity': m0014,
  '0015_processes': m0015,
  '0016_wide_integers': m0016,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
