// The frames that carry each event's outcome back to its sender, and their validation where they arrive.
import { z } from 'zod';
import { shortPath } from '../link/refusals.ts';

export const OUTCOMES_CHANNEL = 'sync.outcomes';
export const OUTCOMES_ACK_CHANNEL = 'sync.outcomes.ack';

export const MAX_OUTCOMES_PER_FRAME = 500;
const id = z.string().min(1).max(200);
const text = (max: number) => z.string().max(max);

/**
 * What became of one event at the receiving side. `oseq` is the receiver's outcome sequence: it grows with
 * every outcome decided (a later one of the same event replaces it), so the sender keeps the highest it
 * took and drops what it has already (a resend after a reconnect, a duplicate).
 */
export const outcomeItem = z.object({
  oseq: z.number().int().positive(),
  /** The event's sequence in the sender's stream. */
  seq: z.number().int().positive(),
  outcome: z.enum(['applied', 'skipped', 'failed']),
  action: z.enum(['created', 'updated', 'unchanged', 'unlinked', 'refused']).nullable().optional(),
  /** The receiver's entity (the sender's remote id and key), once there is one. */
  entityId: id.nullable().optional(),
  key: text(200).nullable().optional(),
  at: text(40),
  message: text(1000).nullable().optional(),
  /** The receiver's error: why it failed, or the failure this outcome resolved. */
  error: z
    .object({
      id,
      message: text(4000),
      script: text(20).nullable().optional(),
      line: z.number().int().nullable().optional(),
      attempts: z.number().int().min(0),
      occurredAt: text(40),
    })
    .optional(),
  /** Who resolved the receiver's error, how and when (a retry that worked, a resolve that skipped it). */
  resolution: z.object({ by: text(200), how: text(40), at: text(40) }).optional(),
});
export type PeerOutcome = z.infer<typeof outcomeItem>;

/** `sync.outcomes`: outcomes in the receiver's order; each item is checked on its own. */
export const outcomesEnvelope = z.object({
  ch: z.literal(OUTCOMES_CHANNEL),
  outcomes: z.array(z.unknown()).min(1).max(MAX_OUTCOMES_PER_FRAME),
});

/** `sync.outcomes.ack`: every outcome up to `upTo` is recorded by the sender. */
export const outcomesAckFrame = z.object({
  ch: z.literal(OUTCOMES_ACK_CHANNEL),
  upTo: z.number().int().min(0),
});

/** An outcome that is not usable: where and why, for the refusal the receiver is sent. */
export interface OutcomeProblem {
  index: number;
  oseq: number | null;
  what: string;
}

/** Splits a frame's items into usable outcomes (in `oseq` order) and the problems of the others. */
export function checkOutcomes(items: unknown[]): { outcomes: PeerOutcome[]; problems: OutcomeProblem[] } {
  const outcomes: PeerOutcome[] = [];
  const problems: OutcomeProblem[] = [];
  for (const [index, raw] of items.entries()) {
    const parsed = outcomeItem.safeParse(raw);
    if (parsed.success) {
      outcomes.push(parsed.data);
      continue;
    }
    const issue = parsed.error.issues[0];
    const named = (raw as { oseq?: unknown } | null)?.oseq;
    problems.push({
      index,
      oseq: typeof named === 'number' && Number.isSafeInteger(named) && named > 0 ? named : null,
      what: `${issue?.path.length ? `${shortPath(issue.path.join('.'))}: ` : ''}${issue?.message ?? 'unknown shape'}`,
    });
  }
  outcomes.sort((a, b) => a.oseq - b.oseq);
  return { outcomes, problems };
}
