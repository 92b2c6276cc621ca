import { describe, expect, it } from 'vitest';
import { TandemError } from '../errors.ts';
import { matches, parseQuery } from './trigger-query.ts';

const incident = {
  id: 'e1',
  type: 'incident',
  summary: 'Mail outage',
  status: 'new',
  priority: 2,
  tags: ['vip'],
};

function errorOf(q: string): TandemError {
  try {
    parseQuery(q);
  } catch (e) {
    if (e instanceof TandemError) return e;
    throw e;
  }
  throw new Error(`expected ${q} to fail`);
}

describe('trigger query language', () => {
  it('evaluates the contract example', () => {
    const q = parseQuery('type = "incident" AND priority <= 2 AND status != "closed"');
    expect(matches(q, incident)).toBe(true);
    expect(matches(q, { ...incident, priority: 3 })).toBe(false);
    expect(matches(q, { ...incident, status: 'closed' })).toBe(false);
    expect(matches(q, { ...incident, type: 'case' })).toBe(false);
  });

  it('binds AND tighter than OR, honours parentheses and NOT', () => {
    const e = { a: 1, b: 2, c: 3 };
    expect(matches(parseQuery('a = 1 OR b = 9 AND c = 9'), e)).toBe(true);
    expect(matches(parseQuery('(a = 1 OR b = 9) AND c = 9'), e)).toBe(false);
    expect(matches(parseQuery('NOT a = 2'), e)).toBe(true);
    expect(matches(parseQuery('not (a = 1 and b = 2)'), e)).toBe(false);
    expect(matches(parseQuery('NOT NOT a = 1'), e)).toBe(true);
  });

  it('compares numbers, strings, booleans and null; ~ is a case-insensitive contains', () => {
    expect(matches(parseQuery('priority > 1.5'), incident)).toBe(true);
    expect(matches(parseQuery('priority >= -1'), incident)).toBe(true);
    expect(matches(parseQuery("summary ~ 'OUTAGE'"), incident)).toBe(true);
    expect(matches(parseQuery('tags ~ "vip"'), incident)).toBe(true);
    expect(matches(parseQuery('assignee = null'), incident)).toBe(true);
    expect(matches(parseQuery('assignee != null'), incident)).toBe(false);
    expect(matches(parseQuery('vip = true'), { vip: true })).toBe(true);
    expect(matches(parseQuery('status < "z"'), incident)).toBe(true);
    // mixed types never order, and "2" is not 2
    expect(matches(parseQuery('priority < "3"'), incident)).toBe(false);
    expect(matches(parseQuery('priority = "2"'), incident)).toBe(false);
    expect(matches(parseQuery('team.name = "ops"'), { team: { name: 'ops' } })).toBe(true);
    expect(matches(parseQuery('summary = "say \\"hi\\""'), { summary: 'say "hi"' })).toBe(true);
  });

  it('reports parse errors with code, position and a readable message', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['', 0, /empty/],
      ['type = ', 7, /expected a value/],
      ['type "incident"', 5, /expected an operator/],
      ['type = "incident', 7, /unterminated string/],
      ['(priority < 2', 13, /expected '\)'/],
      ['priority < 2)', 12, /expected AND, OR or the end/],
      ['priority # 2', 9, /unexpected character '#'/],
      ['AND x = 1', 0, /expected a field name/],
      ['x = 1 AND', 9, /expected a field name but found the end/],
      ['x ! 1', 2, /did you mean/],
    ];
    for (const [q, pos, msg] of cases) {
      const err = errorOf(q);
      expect(err.code).toBe('INVALID_QUERY');
      expect(err.status).toBe(422);
      expect(err.extra?.position, q).toBe(pos);
      expect(err.message).toMatch(msg);
      expect(err.message).toContain(`column ${pos + 1}`);
    }
  });

  it('refuses queries that are too long or nest too deeply instead of overflowing the stack', () => {
    expect(errorOf(`${'('.repeat(500)}a = 1${')'.repeat(500)}`).message).toMatch(/nests too deeply/);
    expect(errorOf(`${'NOT '.repeat(200)}a = 1`).message).toMatch(/nests too deeply/);
    expect(errorOf(`a = "${'x'.repeat(3000)}"`).message).toMatch(/longer than/);
  });
});
