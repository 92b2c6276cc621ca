// Remembers which key sealed the database's secrets, and says so at start when another key is in use.
import type { Db } from '../../storage/schema.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { readSetting, writeSettingIfAbsent } from './node-settings.ts';

const KEY_ID = 'secrets.key_id';

/**
 * Stores the key's id on first use; with a different key later (a restored database without its key file,
 * or processes with different keys) it warns: secrets sealed before cannot be read until the key is back.
 */
export async function checkSecretKey(db: Db, box: SecretBox, log: Logger, source: string): Promise<void> {
  if (await writeSettingIfAbsent(db, KEY_ID, box.keyId)) return;
  const known = await readSetting(db, KEY_ID);
  if (known !== box.keyId)
    log.warn(
      { keyId: box.keyId, sealedWith: known, source },
      'the secret key is not the one the stored secrets were sealed with: they cannot be read until that key ' +
        'is back (TANDEM_SECRET_KEY, or the secret.key file of the data directory); secrets entered from now on use this key. ' +
        'Processes sharing one database must all run with the same TANDEM_SECRET_KEY',
    );
}
