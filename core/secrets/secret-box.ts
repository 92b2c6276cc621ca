// Seals secrets at rest with AES-256-GCM under the host's key; a sealed value names the key it needs.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TandemError } from '../errors.ts';

/**
 * Encrypts short secrets (webhook secrets, credentials typed into the console) for the database. `context`
 * binds a sealed value to its place (a table and row), so one copied elsewhere does not open.
 * @example const sealed = box.seal('s3cret', `notification:${id}`); box.open(sealed, `notification:${id}`) // 's3cret'
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  /** Throws `SECRET_UNREADABLE` when the value was sealed under another key, or changed. */
  open(sealed: string, context: string): string;
  /** A short, non-secret id of the key (for logs and the key-changed check). */
  readonly keyId: string;
}

const VERSION = 'v1';

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('tandem-secret-key-id').update(key).digest('hex').slice(0, 12);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new TandemError('INVALID_SECRET_KEY', 500, 'The secret key must be 32 bytes');
  const keyId = keyIdOf(key);
  const unreadable = (why: string) =>
    new TandemError(
      'SECRET_UNREADABLE',
      500,
      `A stored secret cannot be read (${why}); enter it again, or start the host with the key it was saved under`,
    );
  return {
    keyId,
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8'));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, keyId, iv, data, tag]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, context) {
      const [version, id, iv, data, tag] = sealed.split('.');
      if (version !== VERSION || !iv || data === undefined || !tag) throw unreadable('not a sealed value');
      if (id !== keyId) throw unreadable('it was sealed under another secret key');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw unreadable('it does not authenticate');
      }
    },
  };
}
