import { describe, expect, it } from 'vitest';
import { lineDiff, rulesText } from './line-diff.ts';

describe('lineDiff', () => {
  it('keeps common lines and marks removed and added ones in order', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });

  it('handles empty texts', () => {
    expect(lineDiff('', '')).toEqual([]);
    expect(lineDiff('', 'a')).toEqual([{ kind: 'added', text: 'a' }]);
    expect(lineDiff('a', '')).toEqual([{ kind: 'removed', text: 'a' }]);
  });

  it('compares scripts as text and other rule sets as JSON', () => {
    expect(rulesText({ outgoing: 'x;', incoming: 'y;' })).toBe('// Outgoing\nx;\n// Incoming\ny;');
    expect(rulesText({ fields: ['a'] })).toBe('{\n  "fields": [\n    "a"\n  ]\n}');
  });
});
