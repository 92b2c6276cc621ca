import { describe, expect, it } from 'vitest';
import { boundedDetail, lineDiff, redact, ruleSetDiff } from './audit-detail.ts';

describe('audit details', () => {
  it('blanks credentials at any depth and shortens long text', () => {
    expect(
      redact({
        email: 'ana@example.com',
        password: 'correct horse',
        code: 'tdi_secret',
        nested: { secret: 's', apiKey: 'k', token: 't', keep: 'x'.repeat(600) },
      }),
    ).toEqual({
      email: 'ana@example.com',
      password: '[redacted]',
      code: '[redacted]',
      nested: {
        secret: '[redacted]',
        apiKey: '[redacted]',
        token: '[redacted]',
        keep: `${'x'.repeat(500)}…`,
      },
    });
  });

  it('keeps a detail within 64 KiB', () => {
    const big = boundedDetail({
      lines: Array.from({ length: 5000 }, (_, i) => `line ${i} ${'y'.repeat(20)}`),
    });
    expect(big.truncated).toBe(true);
    expect(JSON.stringify(big).length).toBeLessThan(64 * 1024 + 200);
  });

  it('diffs texts by line and rule sets by part', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual(['- b', '+ B', '+ d']);
    expect(lineDiff('same', 'same')).toEqual([]);
    expect(
      ruleSetDiff(
        { outgoing: 'replica.summary = entity.summary;', incoming: 'entity.summary = replica.summary;' },
        {
          outgoing: 'replica.summary = entity.summary.toUpperCase();',
          incoming: 'entity.summary = replica.summary;',
        },
      ),
    ).toEqual({
      outgoing: ['- replica.summary = entity.summary;', '+ replica.summary = entity.summary.toUpperCase();'],
    });
  });
});
