// The host's read of a rule's output text: what the isolate wrote, or a clear output failure.
import { describe, expect, it } from 'vitest';
import { parseRuleOutput } from './rule-output.ts';

describe('parseRuleOutput', () => {
  it('reads a replica or an entity with its unlink flag and warnings (at most 20, as text)', () => {
    expect(parseRuleOutput('outgoing', '{"ok":true,"unlink":false,"warnings":["w"],"out":{"a":1}}')).toEqual({
      ok: true,
      script: 'outgoing',
      replica: { a: 1 },
      warnings: ['w'],
    });
    const many = JSON.stringify(Array.from({ length: 30 }, (_, i) => i));
    expect(
      parseRuleOutput('incoming', `{"ok":true,"unlink":true,"warnings":${many},"out":{"type":"incident"}}`),
    ).toEqual({
      ok: true,
      script: 'incoming',
      entity: { type: 'incident' },
      unlink: true,
      warnings: Array.from({ length: 20 }, (_, i) => String(i)),
    });
  });

  it('turns text that is not JSON, or an output that is not an object, into an output failure', () => {
    for (const text of [
      '{"ok":true,"out":',
      '{"ok":true,"out":[1]}',
      '{"ok":true,"out":null}',
      '{"ok":true}',
    ])
      expect(parseRuleOutput('outgoing', text)).toMatchObject({
        ok: false,
        error: { script: 'outgoing', kind: 'output' },
      });
  });
});

describe('parseRuleOutput depth', () => {
  it('refuses an output nested past the JSON depth bound, naming where', () => {
    let deep = '1';
    for (let i = 0; i < 3500; i++) deep = `{"a":${deep}}`;
    const r = parseRuleOutput('outgoing', `{"ok":true,"out":{"x":${deep}}}`);
    expect(r).toMatchObject({ ok: false, error: { script: 'outgoing', kind: 'output' } });
    expect(!r.ok && r.error.message).toMatch(/^replica\.x(\.a)+ is nested more than 64 levels deep$/);
    let ok = '1';
    for (let i = 0; i < 63; i++) ok = `{"a":${ok}}`;
    expect(parseRuleOutput('outgoing', `{"ok":true,"out":{"x":${ok}}}`)).toMatchObject({ ok: true });
  });
});
