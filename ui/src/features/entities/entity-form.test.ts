import { describe, expect, it } from 'vitest';
import type { Entity } from '../../api.ts';
import { customValues, editsOf, formOf, patchOf, reapply } from './entity-form.ts';

const entity = (version: number, fields: Record<string, unknown>): Entity =>
  ({
    id: 'e1',
    key: 'INC-1',
    type: 'incident',
    fields,
    comments: [],
    version,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  }) as unknown as Entity;

describe('the entity form', () => {
  it('shows custom fields as text (JSON when not text) and patches only what changed, typed back', () => {
    const e = entity(1, { summary: 'A', status: 'new', priority: 2, team: 'ops', size: 3, tags: ['x'] });
    const form = formOf(e);
    expect(form.custom).toEqual({ team: 'ops', size: '3', tags: '["x"]' });
    const now = {
      ...form,
      status: 'closed',
      custom: { ...form.custom, size: '4', tags: '["x","y"]', region: 'emea' },
    };
    expect(patchOf(e, now)).toEqual({ status: 'closed', size: 4, tags: ['x', 'y'], region: 'emea' });
  });

  it('re-applies the edit on a newer version, keeping what else changed there', () => {
    const v1 = formOf(entity(1, { summary: 'A', status: 'new', priority: 3, team: 'ops' }));
    const edited = { ...v1, summary: 'A (mine)', custom: { team: 'db' } };
    const v2 = formOf(entity(2, { summary: 'A', status: 'in progress', priority: 1, team: 'ops' }));
    expect(reapply(v2, editsOf(v1, edited))).toEqual({ ...v2, summary: 'A (mine)', custom: { team: 'db' } });
  });

  it('types new custom fields: numbers and JSON as such, else text; empty ones left out', () => {
    expect(customValues({ a: 'x', b: '3', c: '{"k":1}', d: ' ' })).toEqual({ a: 'x', b: 3, c: { k: 1 } });
  });
});
