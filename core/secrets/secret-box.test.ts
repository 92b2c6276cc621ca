import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.ts';
import { KEY_FILE, loadSecretKey, parseSecretKey } from './secret-key.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-secret-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('the secret box', () => {
  it('seals with a fresh nonce each time and opens only in the same place under the same key', () => {
    const box = createSecretBox(randomBytes(32));
    const a = box.seal('hunter2-webhook-secret', 'notification:1');
    const b = box.seal('hunter2-webhook-secret', 'notification:1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'notification:1')).toBe('hunter2-webhook-secret');
    expect(() => box.open(a, 'notification:2')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNREADABLE' }),
    );
    const other = createSecretBox(randomBytes(32));
    expect(() => other.open(a, 'notification:1')).toThrow(/another secret key/);
    const parts = a.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'notification:1')).toThrow(/does not authenticate/);
  });
});

describe('the secret key', () => {
  it('reads base64 and hex keys and refuses anything else without repeating it', () => {
    const raw = randomBytes(32);
    expect(parseSecretKey(raw.toString('base64'), 'K')).toEqual(raw);
    expect(parseSecretKey(raw.toString('hex'), 'K')).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64url'), 'K')).toEqual(raw);
    for (const bad of ['short-and-secret', randomBytes(16).toString('base64'), `${raw.toString('hex')}00`]) {
      let message = '';
      try {
        parseSecretKey(bad, 'TANDEM_SECRET_KEY');
      } catch (e) {
        message = (e as Error).message;
        expect(e).toMatchObject({ code: 'INVALID_SECRET_KEY' });
      }
      expect(message).toMatch(/TANDEM_SECRET_KEY must be 32 random bytes/);
      expect(message).not.toContain(bad);
    }
  });

  it('creates an owner-only key file once and reads the same key afterwards', () => {
    const dir = tmp();
    const first = loadSecretKey(undefined, dir);
    const file = path.join(dir, KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(undefined, dir).key).toEqual(first.key);
    const configured = randomBytes(32).toString('base64');
    expect(loadSecretKey(configured, dir)).toMatchObject({ source: 'TANDEM_SECRET_KEY' });
    fs.chmodSync(file, 0o644);
    expect(() => loadSecretKey(undefined, dir)).toThrow(
      expect.objectContaining({ code: 'SECRET_KEY_FILE_OPEN' }),
    );
  });
});
