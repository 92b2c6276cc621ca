// The host's secret key: TANDEM_SECRET_KEY, or a key file made once in the data directory (owner-only).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TandemError } from '../errors.ts';

/** The key file's name inside the data directory. */
export const KEY_FILE = 'secret.key';
export const KEY_BYTES = 32;

const badKey = (what: string) =>
  new TandemError(
    'INVALID_SECRET_KEY',
    400,
    `${what} must be ${KEY_BYTES} random bytes written as base64 (44 characters) or hex (64 characters); ` +
      'make one with `openssl rand -base64 32`',
    { variable: what },
  );

/**
 * Reads a key written as base64, base64url or hex; the error never repeats the value.
 * @example parseSecretKey(process.env.TANDEM_SECRET_KEY!, 'TANDEM_SECRET_KEY') // a 32-byte Buffer
 */
export function parseSecretKey(text: string, what: string): Buffer {
  const s = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(s)) key = Buffer.from(s.replace(/=$/, ''), 'base64url');
  if (!key || key.length !== KEY_BYTES) throw badKey(what);
  return key;
}

/**
 * The key to seal secrets with: the configured one, else `secret.key` in the data directory, created
 * (mode 0600, exclusively, so two processes starting together cannot write different keys) when absent.
 */
export function loadSecretKey(
  configured: string | undefined,
  dataDir: string,
): { key: Buffer; source: string } {
  if (configured)
    return { key: parseSecretKey(configured, 'TANDEM_SECRET_KEY'), source: 'TANDEM_SECRET_KEY' };
  const file = path.join(dataDir, KEY_FILE);
  try {
    fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  // Windows reports no owner-only bits; the check means something only where modes do.
  if (process.platform !== 'win32' && mode & 0o077)
    throw new TandemError(
      'SECRET_KEY_FILE_OPEN',
      400,
      `${file} can be read by other users (mode ${mode.toString(8)}): run \`chmod 600 ${file}\``,
    );
  return { key: parseSecretKey(fs.readFileSync(file, 'utf8'), file), source: file };
}
