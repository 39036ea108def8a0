/**
 * The storage server's ECDSA identity (SCHEME.md §5): created on first start
 * as `server-key.json` in the data directory (mode 0600, written atomically),
 * loaded afterwards. A key file readable by group or others is refused. The
 * secret never reaches a logger.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, isSuite, type Suite } from '../crypto/ecdsa.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { fromHex, toHex, utf8 } from '../platform/bytes.js';
import { serverError } from './errors.js';

/** File name of the key inside the data directory. */
export const SERVER_KEY_FILE = 'server-key.json';

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

/**
 * Loads `dir/server-key.json`, or creates it (suite `suite`) when absent.
 * @throws SealcamError SERVER_KEY_PERMISSIONS (group/other can read it), SERVER_KEY_FORMAT; fs errors.
 */
export async function loadOrCreateServerKey(dir: string, suite: Suite): Promise<{ identity: ServerIdentity; created: boolean }> {
  const path = join(dir, SERVER_KEY_FILE);
  let text: string;
  try {
    const st = await fs.stat(path);
    if ((st.mode & 0o077) !== 0) {
      throw serverError('SERVER_KEY_PERMISSIONS', `${path} is accessible by group/others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const secret = ecdsaRandomSecret(suite);
    const body = JSON.stringify({ version: 1, suite, secret: toHex(secret) }) + '\n';
    await writeFileAtomic(path, utf8(body), { mode: 0o600 });
    return { identity: identityOf(suite, secret), created: true };
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
    return { identity: identityOf(j.suite, fromHex(j.secret)), created: false };
  } catch (e) {
    throw serverError('SERVER_KEY_FORMAT', `${path} holds an invalid secret`, e);
  }
}
