// The push path's secret (variable or data-directory file) and its HMAC-SHA256 signature check.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PUSH_SECRET_FILE, pushSecret, verifyPush } from './push.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('ServiceNow push', () => {
  it('keeps one secret per data directory (mode 0600) unless the variable gives one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-push-'));
    dirs.push(dir);
    const first = pushSecret({}, dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(pushSecret({}, dir)).toBe(first);
    expect(fs.statSync(path.join(dir, PUSH_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(pushSecret({ TANDEM_SERVICENOW_PUSH_SECRET: 'a-given-secret-123' }, dir)).toBe(
      'a-given-secret-123',
    );
    expect(() => pushSecret({ TANDEM_SERVICENOW_PUSH_SECRET: 'short' }, dir)).toThrow(
      /TANDEM_SERVICENOW_PUSH_SECRET must be at least 16 characters/,
    );
  });

  it('accepts the body signed with the secret, base64 (as ServiceNow gives it) or hex, and nothing else', () => {
    const body = '{"table":"incident","sys_id":"x"}';
    const mac = createHmac('sha256', 'the-secret-0123456').update(body);
    const digest = mac.digest();
    expect(verifyPush('the-secret-0123456', body, `sha256=${digest.toString('base64')}`)).toBe(true);
    expect(verifyPush('the-secret-0123456', body, `sha256=${digest.toString('hex')}`)).toBe(true);
    expect(verifyPush('the-secret-0123456', `${body} `, `sha256=${digest.toString('base64')}`)).toBe(false);
    expect(verifyPush('another-secret-000', body, `sha256=${digest.toString('base64')}`)).toBe(false);
    expect(verifyPush('the-secret-0123456', body, digest.toString('base64'))).toBe(false);
    expect(verifyPush('the-secret-0123456', body, 'sha256=AAAA')).toBe(false);
    expect(verifyPush('the-secret-0123456', body, undefined)).toBe(false);
  });
});
