// `helpers.users.byEmail` on this host: a user entity of the tracker whose email field (or summary) is the address.
import type { RuleHostApi } from '../sandbox/sandbox.ts';
import { flatten } from '../sync/flat.ts';
import type { Entity, Tracker } from '../trackers/tracker.ts';

const MAX_SCANNED = 2_000;

export function trackerUserLookup(tracker: Tracker): RuleHostApi {
  return {
    async userByEmail(email) {
      const wanted = email.toLowerCase();
      const matches = (e: Entity) =>
        String(e.fields.email ?? '').toLowerCase() === wanted || e.fields.summary.toLowerCase() === wanted;
      // The tracker's text search covers summary and description; a custom email field needs a scan.
      const quick = (await tracker.list({ type: 'user', q: email, limit: 50 })).items.find(matches);
      if (quick) return flatten(quick);
      let cursor: string | undefined;
      for (let scanned = 0; scanned < MAX_SCANNED; ) {
        const page = await tracker.list({ type: 'user', limit: 200, ...(cursor ? { cursor } : {}) });
        const hit = page.items.find(matches);
        if (hit) return flatten(hit);
        scanned += page.items.length;
        if (!page.nextCursor || page.items.length === 0) break;
        cursor = page.nextCursor;
      }
      return null;
    },
  };
}
