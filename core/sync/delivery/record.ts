// Recording a delivery error without letting the recording fail the delivery (the database may be what failed).
import type { Db } from '../../../storage/schema.ts';
import type { Logger } from '../../log.ts';
import { type NewSyncError, recordError } from '../sync-errors.ts';

/** Records `e` and returns its id; a failure to record it is logged and gives `undefined`. */
export type RecordError = (e: NewSyncError) => Promise<string | undefined>;

export function errorRecorder(db: Db, log: Logger): RecordError {
  return async (e) => {
    try {
      return await recordError(db, e);
    } catch (err) {
      log.error({ err, connectionId: e.connectionId }, 'a sync error could not be recorded');
      return undefined;
    }
  };
}

/** An error's message, short enough for an error row. */
export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 500);
