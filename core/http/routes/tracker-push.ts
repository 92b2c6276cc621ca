// POST /hooks/tracker: the system of record's signed wake-up (a ServiceNow Business Rule), outside the admin API.
import { Hono } from 'hono';
import type { Tracker } from '../../trackers/tracker.ts';
import { pushOf } from '../../trackers/tracker-push.ts';
import type { AppEnv } from '../app-env.ts';
import { problemResponse } from '../problem.ts';

/** Bodies a wake-up needs (a table and a sys_id): anything longer is refused before it is verified. */
const MAX_PUSH_BYTES = 4096;

/**
 * 202 when the signature (`X-Tandem-Signature: sha256=...`) holds and the poller was woken; 401 otherwise;
 * 404 when the tracker has no push path.
 */
export const trackerPushRoutes = ({ tracker }: { tracker: Tracker }) =>
  new Hono<AppEnv>().post('/', async (c) => {
    const push = pushOf(tracker);
    if (!push) return problemResponse(c, 404, 'not_found', `The ${tracker.id} tracker takes no push`);
    const body = await c.req.text();
    if (Buffer.byteLength(body, 'utf8') > MAX_PUSH_BYTES)
      return problemResponse(c, 413, 'payload_too_large', `A push body is at most ${MAX_PUSH_BYTES} bytes`);
    if (!push.accept(body, c.req.header('x-tandem-signature')))
      return problemResponse(
        c,
        401,
        'push_signature_invalid',
        "The push is not signed with this host's secret",
      );
    return c.body(null, 202);
  });
