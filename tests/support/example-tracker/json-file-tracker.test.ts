// The example tracker of docs/trackers.md passes the conformance suite every tracker passes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../core/log.ts';
import { describeTrackerContract } from '../../../core/trackers/tracker.contract.ts';
import type { Db } from '../../../storage/schema.ts';
import { createTracker } from './json-file-tracker.ts';

describeTrackerContract('json-file (the example module)', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-json-tracker-'));
  const context = { db: {} as Db, log: createLogger('test', 'silent'), dataDir, env: {} };
  return {
    tracker: await createTracker({}, context),
    close: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
});
