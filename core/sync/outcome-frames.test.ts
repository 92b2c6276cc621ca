import { describe, expect, it } from 'vitest';
import { reportItem } from './delivery/outcome-reporter.ts';
import type { ReportRow } from './event-log.ts';
import { checkOutcomes, outcomeItem, outcomesEnvelope } from './outcome-frames.ts';

const ok = { oseq: 5, seq: 2, outcome: 'applied', action: 'created', entityId: 'b1', key: 'B-1', at: 'now' };

describe('outcome frames', () => {
  it('keep the usable outcomes in order and name the others, bounded in size', () => {
    const { outcomes, problems } = checkOutcomes([
      ok,
      { ...ok, oseq: 3, seq: 1 },
      { ...ok, oseq: 4, outcome: 'exploded' },
      { ...ok, oseq: 6, error: { id: 'e', message: 'x'.repeat(4001), attempts: 1, occurredAt: 'now' } },
      'not an object',
    ]);
    expect(outcomes.map((o) => o.oseq)).toEqual([3, 5]);
    expect(problems.map((p) => [p.index, p.oseq, p.what.split(':')[0]])).toEqual([
      [2, 4, 'outcome'],
      [3, 6, 'error.message'],
      [4, null, 'Invalid input'],
    ]);
    expect(outcomesEnvelope.safeParse({ ch: 'sync.outcomes', outcomes: [] }).success).toBe(false);
    expect(
      outcomesEnvelope.safeParse({ ch: 'sync.outcomes', outcomes: Array.from({ length: 501 }, () => ok) })
        .success,
    ).toBe(false);
    expect(outcomeItem.safeParse({ ...ok, oseq: 0 }).success).toBe(false);
  });

  it('carry a failure with its error, and an outcome that resolved one with who resolved it and how', () => {
    const row: ReportRow = {
      outcome_seq: 9,
      seq: 4,
      outcome: 'failed',
      action: null,
      entity_id: null,
      entity_key: null,
      message: null,
      outcome_at: 't1',
      error_id: 'err1',
      error_message: 'incoming rule failed',
      error_script: 'incoming',
      error_line: 3,
      error_attempts: 2,
      error_occurred_at: 't0',
      error_resolved_by: null,
      error_resolution: null,
      error_resolved_at: null,
    };
    const failed = reportItem(row);
    expect(failed).toMatchObject({
      oseq: 9,
      seq: 4,
      outcome: 'failed',
      error: { id: 'err1', message: 'incoming rule failed', script: 'incoming', line: 3, attempts: 2 },
    });
    expect(failed.resolution).toBeUndefined();
    expect(outcomeItem.safeParse(failed).success).toBe(true);
    const applied = reportItem({
      ...row,
      outcome_seq: 12,
      outcome: 'applied',
      action: 'created',
      entity_id: 'b1',
      entity_key: 'B-1',
      error_resolved_by: 'ops',
      error_resolution: 'retried',
      error_resolved_at: 't2',
    });
    expect(applied).toMatchObject({
      outcome: 'applied',
      action: 'created',
      entityId: 'b1',
      key: 'B-1',
      resolution: { by: 'ops', how: 'retried', at: 't2' },
    });
    expect(outcomeItem.safeParse(applied).success).toBe(true);
  });
});
