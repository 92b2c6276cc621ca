// The `link.refused` frame: a live frame this side did not hand to its channel, and why (the sender sees it).
import { z } from 'zod';
import { MAX_JSON_DEPTH } from '../json-bounds.ts';

export const LINK_REFUSED_CHANNEL = 'link.refused';

/**
 * How deeply a live frame may nest (the frame object is level 0). Each channel bounds its own values
 * at MAX_JSON_DEPTH and refuses one item past it alone (sync refuses that one event and its stream
 * moves on), so the edge leaves room for an item nested well past that bound: a sync event sits 4
 * levels down, and its replica may go 124 levels below it before the whole frame is refused. The edge
 * stops, for every channel alike, what no handler should have to walk (a replica nested 6,000 deep
 * once overflowed serialisation on receipt).
 */
export const MAX_FRAME_DEPTH = 2 * MAX_JSON_DEPTH;

/** Paths in refusals and error messages are cut here: keys are the sender's, of any length. */
export const MAX_PATH_CHARS = 200;

export const shortPath = (path: string): string =>
  path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;

/**
 * `{ ch: 'link.refused', refused: 'sync.events', code: 'frame_too_deep', message, path }`: the frame
 * on channel `refused` was dropped unread. A refusal is never answered with another one.
 */
export const linkRefusedFrame = z.object({
  ch: z.literal(LINK_REFUSED_CHANNEL),
  refused: z.string().max(100),
  code: z.string().max(64),
  message: z.string().max(500),
  path: z
    .string()
    .max(MAX_PATH_CHARS + 1)
    .optional(),
});
export type LinkRefusedFrame = z.infer<typeof linkRefusedFrame>;
