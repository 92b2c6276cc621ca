// The push path's secret and signature: a Business Rule signs its POST with HMAC-SHA256 under a per-host secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { trackerConfigInvalid } from './config.ts';

/** The file in the data directory that holds the secret when TANDEM_SERVICENOW_PUSH_SECRET is not set. */
export const PUSH_SECRET_FILE = 'servicenow-push-secret';
const MIN_SECRET = 16;

/**
 * TANDEM_SERVICENOW_PUSH_SECRET when set (at least 16 characters), else the data directory's secret file,
 * made once (32 random bytes, hex, mode 0600). Never logged.
 * @example const secret = pushSecret(context.env, context.dataDir);
 */
export function pushSecret(env: Readonly<Record<string, string | undefined>>, dataDir: string): string {
  const given = env.TANDEM_SERVICENOW_PUSH_SECRET;
  if (given) {
    if (given.length < MIN_SECRET)
      throw trackerConfigInvalid('TANDEM_SERVICENOW_PUSH_SECRET', 'at least 16 characters');
    return given;
  }
  const file = path.join(dataDir, PUSH_SECRET_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** The signature of a body: HMAC-SHA256 under the secret's UTF-8 bytes. */
export const signPush = (secret: string, body: string): Buffer =>
  createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest();

/**
 * Whether `header` (`sha256=` then base64, as ServiceNow's GlideCertificateEncryption.generateMac gives it, or
 * hex) signs `body`; compared in constant time.
 */
export function verifyPush(secret: string, body: string, header: string | undefined): boolean {
  const m = /^sha256=([A-Za-z0-9+/=_-]{1,100})$/.exec(header?.trim() ?? '');
  if (!m) return false;
  const text = m[1]!;
  const given = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  const wanted = signPush(secret, body);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
