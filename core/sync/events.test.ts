// Link frames are validated at the edge: a malformed event is refused, a good one passes unchanged.
import { describe, expect, it } from 'vitest';
import { eventsFrame } from './events.ts';

const frame = (replica: unknown) => ({
  ch: 'sync.events',
  events: [
    {
      seq: 1,
      event: { kind: 'upsert', entityId: 'e1', key: 'INC-1', twinId: null, replica, clocks: {}, clock: 'c' },
    },
  ],
});

describe('sync.events frames', () => {
  it('take a replica that is a JSON object, as it is', () => {
    const replica = { summary: 'Mail down', nested: { a: [1, 2] } };
    const parsed = eventsFrame.parse(frame(replica));
    expect(parsed.events[0]?.event).toMatchObject({ kind: 'upsert', replica });
  });

  it('refuse a replica that is not an object, and clocks that are not strings', () => {
    for (const replica of [null, [1], 'text', 3])
      expect(eventsFrame.safeParse(frame(replica)).success).toBe(false);
    const badClocks = frame({});
    (badClocks.events[0]!.event as { clocks: unknown }).clocks = { summary: 5 };
    expect(eventsFrame.safeParse(badClocks).success).toBe(false);
  });
});
