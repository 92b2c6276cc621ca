// The node's Ed25519 key pair: made on first start, kept in the data directory, never logged.
import fs from 'node:fs';
import path from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';

export const SIGNING_ALG = 'EdDSA';

/**
 * Who this host is: its key pair, node id (the RFC 7638 thumbprint of the public key) and fingerprint.
 * @example const me = await loadOrCreateIdentity('./data'); me.nodeId // 'p3B1...'
 */
export interface NodeIdentity {
  nodeId: string;
  fingerprint: string;
  publicJwk: JWK;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

const KEY_FILE = 'node-key.json';

export async function loadOrCreateIdentity(dataDir: string): Promise<NodeIdentity> {
  const file = path.join(dataDir, KEY_FILE);
  let privateJwk: JWK;
  if (fs.existsSync(file)) {
    privateJwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
    fs.chmodSync(file, 0o600);
  } else {
    const pair = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    // Write then rename so a crash never leaves a half-written key behind.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(privateJwk), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return identityFromPrivateJwk(privateJwk);
}

export async function identityFromPrivateJwk(privateJwk: JWK): Promise<NodeIdentity> {
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x };
  const privateKey = (await importJWK({ ...privateJwk, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
  const nodeId = await calculateJwkThumbprint(publicJwk, 'sha256');
  return { nodeId, fingerprint: fingerprintOf(nodeId), publicJwk, privateKey, publicKey };
}

/** Node id of any Ed25519 public JWK, as peers compute it. */
export function nodeIdOf(publicJwk: JWK): Promise<string> {
  return calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }, 'sha256');
}

/** Eight groups of four hex digits of the thumbprint: short enough to read aloud over a phone. */
export function fingerprintOf(nodeId: string): string {
  const hex = Buffer.from(nodeId, 'base64url').toString('hex').slice(0, 32).toUpperCase();
  return hex.match(/.{4}/g)!.join(':');
}
