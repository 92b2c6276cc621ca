// Finding a user entity by email through `list` alone: the text search first, then a bounded scan.
import type { Entity, Tracker } from './tracker.ts';

const MAX_SCANNED = 2_000;

/** A user entity whose `email` field (or summary) is the address, or undefined. */
export async function scanForUser(list: Tracker['list'], email: string): Promise<Entity | undefined> {
  const wanted = email.toLowerCase();
  const matches = (e: Entity) =>
    String(e.fields.email ?? '').toLowerCase() === wanted || e.fields.summary.toLowerCase() === wanted;
  // The text search covers summary and description; a custom email field needs a scan.
  const quick = (await list({ type: 'user', q: email, limit: 50 })).items.find(matches);
  if (quick) return quick;
  let cursor: string | undefined;
  for (let scanned = 0; scanned < MAX_SCANNED; ) {
    const page = await list({ type: 'user', limit: 200, ...(cursor ? { cursor } : {}) });
    const hit = page.items.find(matches);
    if (hit) return hit;
    scanned += page.items.length;
    if (!page.nextCursor || page.items.length === 0) break;
    cursor = page.nextCursor;
  }
  return undefined;
}
