// The node's key pair kept in the database, sealed with the secret key: every process on one database is one node.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { identityFromPrivateJwk, type NodeIdentity, SIGNING_ALG } from './node-identity.ts';

const ROW = 1;
const CONTEXT = 'node_identity:1';

/**
 * Reads the node's identity from the database, creating it on first start. Processes starting at the same
 * moment each try to insert theirs; one row wins and all of them read it back, so all are the same node.
 * @example const me = await loadOrCreateStoredIdentity(db, box); me.nodeId // 'p3B1...'
 */
export async function loadOrCreateStoredIdentity(db: Db, box: SecretBox): Promise<NodeIdentity> {
  let row = await db.selectFrom('node_identity').selectAll().where('id', '=', ROW).executeTakeFirst();
  if (!row) {
    const pair = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const mine = await identityFromPrivateJwk(privateJwk);
    await db
      .insertInto('node_identity')
      .values({
        id: ROW,
        node_id: mine.nodeId,
        private_jwk: box.seal(JSON.stringify(privateJwk), CONTEXT),
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    row = await db.selectFrom('node_identity').selectAll().where('id', '=', ROW).executeTakeFirstOrThrow();
  }
  let plain: string;
  try {
    plain = box.open(row.private_jwk, CONTEXT);
  } catch {
    throw new TandemError(
      'SECRET_KEY_MISMATCH',
      500,
      `The node identity (${row.node_id}) in the database was sealed with another secret key: every process ` +
        'on one database must run with the same TANDEM_SECRET_KEY (the key of the process that started first)',
    );
  }
  return identityFromPrivateJwk(JSON.parse(plain) as JWK);
}
