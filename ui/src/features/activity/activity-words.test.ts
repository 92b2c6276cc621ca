import { describe, expect, it } from 'vitest';
import {
  eventsSummary,
  formatDuration,
  lagSummary,
  linkSummary,
  perStep,
  type Series,
} from './activity-words.ts';

const series = (n: number, fill: Partial<Series> = {}): Series => ({
  at: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2030, 0, 1, 10, i)).toISOString()),
  stepSeconds: 60,
  eventsOut: Array(n).fill(0),
  eventsIn: Array(n).fill(0),
  queuedOut: Array(n).fill(0),
  queuedIn: Array(n).fill(0),
  lagOutMs: Array(n).fill(0),
  lagInMs: Array(n).fill(0),
  linkUp: Array(n).fill(1),
  openErrors: Array(n).fill(0),
  state: Array(n).fill('active'),
  ...fill,
});

describe('activity in words', () => {
  it('says how long an event waited', () => {
    expect(
      [0, 850, 4200, 45_000, 185_000, 3_600_000 + 300_000, 3 * 86_400_000 + 4 * 3_600_000].map(
        formatDuration,
      ),
    ).toEqual(['0 s', '850 ms', '4.2 s', '45 s', '3 min 5 s', '1 h 5 min', '3 d 4 h']);
    expect([60, 900, 3600].map(perStep)).toEqual(['per minute', 'per 15 minutes', 'per hour']);
  });

  it('sums events and names the busiest bucket', () => {
    const s = series(60, { eventsOut: [...Array(59).fill(1), 9], eventsIn: [...Array(59).fill(0), 2] });
    expect(eventsSummary(s)).toMatch(
      /^Over the last hour: 68 events sent, 2 received; busiest at .+ with 11\.$/,
    );
    expect(eventsSummary(series(60, { state: Array(60).fill(null) }))).toBe(
      'Nothing recorded over the last hour yet.',
    );
  });

  it('tells lag and link in words', () => {
    expect(lagSummary(series(60))).toBe('No event waited at any sample over the last hour.');
    expect(lagSummary(series(60, { lagOutMs: [...Array(59).fill(0), 90_000] }))).toMatch(
      /^Longest wait over the last hour: outgoing 1 min 30 s at .+, incoming none\.$/,
    );
    expect(linkSummary(series(60))).toBe('Link up the whole time it was sampled over the last hour.');
    expect(linkSummary(series(4, { linkUp: [1, 0, 1, 1] }))).toBe(
      'Link up 75 % of the sampled time over the last hour.',
    );
  });
});
