// `helpers.users.byEmail` on this host: the tracker's user lookup, or a scan of its user entities.
import type { RuleHostApi } from '../sandbox/sandbox.ts';
import { flatten } from '../sync/flat.ts';
import type { Tracker } from '../trackers/tracker.ts';
import { scanForUser } from '../trackers/user-scan.ts';

export function trackerUserLookup(tracker: Tracker): RuleHostApi {
  return {
    async userByEmail(email) {
      const hit = tracker.users
        ? await tracker.users.byEmail(email)
        : await scanForUser((q) => tracker.list(q), email);
      return hit ? flatten(hit) : null;
    },
  };
}
