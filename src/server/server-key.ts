/**
 * The storage server's ECDSA identity (SCHEME.md §5): from a systemd
 * credential when the service has one (`LoadCredentialEncrypted=`, the
 * secret sealed at rest by systemd-creds and never written by the server),
 * else created on first start as `server-key.json` in the data directory
 * (mode 0600, written atomically) and loaded afterwards. A key file readable
 * by group or others is refused, and so is a key file that holds another key
 * than the credential. The secret never reaches a logger.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, isSuite, type Suite } from '../crypto/ecdsa.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { equalBytes, fromHex, toHex, utf8 } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { loadCredentialKey } from '../keystore/credential-key.js';
import { serverError } from './errors.js';

/** File name of the key inside the data directory. */
export const SERVER_KEY_FILE = 'server-key.json';
/** Default name of the systemd credential holding the server key (firmware-config/sealcam-server.service). */
export const SERVER_KEY_CREDENTIAL = 'sealcam-server.key';

/** A storage server identity. */
export interface ServerIdentity {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  /** 65-byte uncompressed public key (configure it at the devices: mqtt.servers[].publicKey). */
  readonly publicKey: Uint8Array;
  /** DSTP address (20 bytes). */
  readonly address: Uint8Array;
}

/** Builds the identity of a secret. @throws RangeError on an invalid secret. */
export function identityOf(suite: Suite, secret: Uint8Array): ServerIdentity {
  const publicKey = ecdsaPublicKey(suite, secret);
  return { suite, secret, publicKey, address: addressOf(suite, publicKey) };
}

/** Where a server key may come from besides the data directory. */
export interface ServerKeyCredential {
  /** The service's credentials directory ($CREDENTIALS_DIRECTORY); null/undefined/'': none. */
  readonly credentialsDirectory?: string | null;
  /** Credential name (default {@link SERVER_KEY_CREDENTIAL}). */
  readonly name?: string;
}

/**
 * The server identity: the credential's secret (32 raw bytes or 64 hex
 * characters, e.g. `openssl rand -hex 32 | systemd-creds encrypt …`) when the
 * credential exists — `dir/server-key.json` is then neither created nor used,
 * and refused if it holds another key — else {@link loadOrCreateServerKey}.
 * @throws SealcamError SERVER_KEY_FORMAT (bad credential, or not a valid secret for `suite`),
 *   SERVER_KEY_CONFLICT, SERVER_KEY_PERMISSIONS; KeyStoreError KEYSTORE_IO (unreadable credential); fs errors.
 */
export async function loadServerKey(dir: string, suite: Suite, cred: ServerKeyCredential = {}): Promise<{ identity: ServerIdentity; source: 'credential' | 'file' | 'created' }> {
  const name = cred.name ?? SERVER_KEY_CREDENTIAL;
  let secret: Uint8Array | null;
  try {
    secret = await loadCredentialKey({ credentialsDirectory: cred.credentialsDirectory ?? null, name });
  } catch (e) {
    if (isSealcamError(e) && e.code === 'KEYSTORE_KEY_FORMAT') throw serverError('SERVER_KEY_FORMAT', `credential ${name}: ${e.message}`, e);
    throw e;
  }
  if (secret === null) {
    const { identity, created } = await loadOrCreateServerKey(dir, suite);
    return { identity, source: created ? 'created' : 'file' };
  }
  let identity: ServerIdentity;
  try {
    identity = identityOf(suite, secret);
  } catch (e) {
    throw serverError('SERVER_KEY_FORMAT', `credential ${name} is not a valid suite-${suite} secret`, e);
  }
  const file = await readServerKeyFile(join(dir, SERVER_KEY_FILE));
  if (file !== null && (file.suite !== suite || !equalBytes(file.identity.secret, secret))) {
    throw serverError('SERVER_KEY_CONFLICT', `${join(dir, SERVER_KEY_FILE)} holds another key than credential ${name}; devices trust one of them: keep one (remove the file, or the credential)`);
  }
  return { identity, source: 'credential' };
}

/**
 * Loads `dir/server-key.json`, or creates it (suite `suite`) when absent.
 * @throws SealcamError SERVER_KEY_PERMISSIONS (group/other can read it), SERVER_KEY_FORMAT; fs errors.
 */
export async function loadOrCreateServerKey(dir: string, suite: Suite): Promise<{ identity: ServerIdentity; created: boolean }> {
  const path = join(dir, SERVER_KEY_FILE);
  const found = await readServerKeyFile(path);
  if (found !== null) return { identity: found.identity, created: false };
  const secret = ecdsaRandomSecret(suite);
  const body = JSON.stringify({ version: 1, suite, secret: toHex(secret) }) + '\n';
  await writeFileAtomic(path, utf8(body), { mode: 0o600 });
  return { identity: identityOf(suite, secret), created: true };
}

/**
 * Reads a key file; null when it does not exist.
 * @throws SealcamError SERVER_KEY_PERMISSIONS, SERVER_KEY_FORMAT; fs errors.
 */
async function readServerKeyFile(path: string): Promise<{ suite: Suite; identity: ServerIdentity } | null> {
  let text: string;
  try {
    const st = await fs.stat(path);
    if ((st.mode & 0o077) !== 0) {
      throw serverError('SERVER_KEY_PERMISSIONS', `${path} is accessible by group/others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let j: { version?: unknown; suite?: unknown; secret?: unknown };
  try {
    j = JSON.parse(text) as typeof j;
  } catch (e) {
    throw serverError('SERVER_KEY_FORMAT', `${path} is not JSON`, e);
  }
  if (j.version !== 1 || !isSuite(j.suite) || typeof j.secret !== 'string' || !/^[0-9a-f]{64}$/.test(j.secret)) {
    throw serverError('SERVER_KEY_FORMAT', `${path} must be {"version":1,"suite":1|2,"secret":"<64 hex>"}`);
  }
  try {
    return { suite: j.suite, identity: identityOf(j.suite, fromHex(j.secret)) };
  } catch (e) {
    throw serverError('SERVER_KEY_FORMAT', `${path} holds an invalid secret`, e);
  }
}
