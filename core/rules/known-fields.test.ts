import { describe, expect, it } from 'vitest';
import { createMemoryTracker } from '../trackers/memory/memory-tracker.ts';
import type { FieldInfo, Tracker } from '../trackers/tracker.ts';
import { knownFields } from './known-fields.ts';

async function seeded(): Promise<Tracker> {
  const t = createMemoryTracker();
  await t.create(
    { type: 'incident', fields: { summary: 'A', status: 'new', priority: 2, team: 'ops' } },
    { origin: 'local' },
  );
  await t.create(
    { type: 'incident', fields: { summary: 'B', status: 'closed', tags: ['x'] } },
    { origin: 'local' },
  );
  await t.create({ type: 'change', fields: { summary: 'C', window: 'sat' } }, { origin: 'local' });
  return t;
}

describe('knownFields', () => {
  it('without fields(type): the standard fields, then custom ones seen on entities of the type, with values', async () => {
    const fields = await knownFields(await seeded(), ['incident']);
    const byName = new Map(fields.map((f) => [f.name, f]));
    expect(byName.get('summary')).toMatchObject({ standard: true, type: 'string' });
    expect(byName.get('status')?.values).toEqual(['closed', 'new']);
    expect(byName.get('priority')?.values).toEqual([1, 2, 3, 4, 5]);
    expect(byName.get('team')).toMatchObject({ standard: false, type: 'string', values: ['ops'] });
    expect(byName.get('tags')).toMatchObject({ standard: false, type: 'json', values: [] });
    expect(byName.has('window')).toBe(false);
    expect((await knownFields(await seeded(), [])).map((f) => f.name)).toContain('window');
  });

  it("with fields(type): the tracker's own fields first", async () => {
    const base = await seeded();
    const own: FieldInfo[] = [{ name: 'u_region', type: 'string', standard: false }];
    const tracker: Tracker = { ...base, fields: async () => own };
    const names = (await knownFields(tracker, ['incident'])).map((f) => f.name);
    expect(names[0]).toBe('u_region');
    expect(names).toContain('team');
  });

  it("offers the tracker's values first, then the others seen; several types' choices together", async () => {
    const base = await seeded();
    const choices = (...values: string[]) => values.map((value) => ({ value, label: value.toUpperCase() }));
    const tracker: Tracker = {
      ...base,
      fields: async (type) => [
        {
          name: 'status',
          type: 'string',
          standard: true,
          choices: type === 'incident' ? choices('open', 'new') : choices('draft', 'new'),
          choicesOnly: type !== 'incident',
        },
        {
          name: 'priority',
          type: 'number',
          standard: true,
          choices: [
            { value: 1, label: '1 - Critical' },
            { value: 2, label: '2 - High' },
          ],
          choicesOnly: true,
        },
      ],
    };
    const incident = new Map((await knownFields(tracker, ['incident'])).map((f) => [f.name, f]));
    // Seen on incidents: new and closed; the tracker's order first.
    expect(incident.get('status')).toMatchObject({ values: ['open', 'new', 'closed'], choicesOnly: false });
    expect(incident.get('status')?.choices).toEqual(choices('open', 'new'));
    // B got the default priority 3: seen, so offered after the tracker's own.
    expect(incident.get('priority')).toMatchObject({ values: [1, 2, 3], choicesOnly: true });
    const both = new Map((await knownFields(tracker, ['incident', 'change'])).map((f) => [f.name, f]));
    expect(both.get('status')?.choices?.map((c) => c.value)).toEqual(['open', 'new', 'draft']);
    expect(both.get('status')?.choicesOnly).toBe(false);
  });
});
