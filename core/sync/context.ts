// What the sync engine's steps share: storage, tracker, clock, and the rules/sandbox they may not have yet.
import type { Db } from '../../storage/schema.ts';
import type { Logger } from '../log.ts';
import type { RuleHostApi, RuleProgram, Sandbox } from '../sandbox/sandbox.ts';
import type { Tracker } from '../trackers/tracker.ts';
import type { Hlc } from './hlc.ts';

/** The part of the rules service the engine needs: a connection's published program. */
export interface RuleSource {
  program(connectionId: string): Promise<RuleProgram>;
}

export interface SyncContext {
  db: Db;
  tracker: Tracker;
  log: Logger;
  hlc: Hlc;
  nodeId: string;
  sandbox(): Sandbox | undefined;
  rules(): RuleSource | undefined;
  /** Host look-ups rules may call (`helpers.users.byEmail`). */
  hostApi?: RuleHostApi | undefined;
}

/** Calls per sandbox batch: one process hop carries this many rule runs. */
export const RULE_BATCH = 250;
