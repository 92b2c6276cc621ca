// A tracker module for the console's Tracker section: the example JSON-file tracker, reporting what `report.json` in the data dir says.
import fs from 'node:fs';
import path from 'node:path';
import type { CreateTracker, Tracker, TrackerCheck } from '../../core/trackers/tracker.ts';
import type { TrackerReport, TrackerStatus } from '../../core/trackers/tracker-report.ts';
import { createTracker as createJsonFileTracker } from '../support/example-tracker/json-file-tracker.ts';

/** What a test writes to `<dataDir>/report.json`; read again on every `GET /api/tracker`. */
export interface Report extends TrackerStatus {
  checks?: TrackerCheck[];
}

export const createTracker: CreateTracker = async (options, context) => {
  const base = await createJsonFileTracker(options, context);
  const reportFile = path.join(context.dataDir, 'report.json');
  const report = (): Report =>
    fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as Report) : {};
  return {
    ...base,
    id: 'acme-desk',
    async health() {
      return report().checks ?? (await base.health?.()) ?? [];
    },
    status() {
      const { checks: _checks, ...status } = report();
      return status;
    },
  } satisfies Tracker & TrackerReport;
};
