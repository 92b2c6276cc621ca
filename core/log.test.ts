// Logs: one JSON line each; secrets redacted wherever a caller puts them, error codes kept.
import { describe, expect, it } from 'vitest';
import { TandemError } from './errors.ts';
import { createLogger } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('test', 'info', { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('logs', () => {
  it('redact invitation codes, tokens and keys, but keep the error code', () => {
    const { log, lines } = capture();
    log.info({ code: 'eyJ.secret.code', body: { code: 'eyJ.body.code' }, invitationCode: 'eyJ.x.y' }, 'a');
    log.info({ req: { headers: { authorization: 'Bearer s3cret' } }, token: 't0ken' }, 'b');
    log.error({ err: new TandemError('INVITATION_EXPIRED', 410, 'expired') }, 'c');
    const text = JSON.stringify(lines);
    for (const secret of ['eyJ.secret.code', 'eyJ.body.code', 'eyJ.x.y', 's3cret', 't0ken'])
      expect(text).not.toContain(secret);
    expect(lines).toHaveLength(3);
    expect((lines[2]!.err as { code: string }).code).toBe('INVITATION_EXPIRED');
  });
});
