/**
 * The receiver's ECDSA identity (SCHEME.md §5) and its key file:
 * JSON `{"suite": 1|2, "secret": "<64 hex>"}`, mode 0600, written atomically
 * and never overwritten. The secret signs REG_ACKs, block ACKs and save-hash
 * records; it is never logged.
 */
import { promises as fs } from 'node:fs';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, isSuite, type Suite } from '../crypto/ecdsa.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { abytes, fromHex, toHex } from '../platform/bytes.js';
import { receiverError } from './errors.js';

/** A receiver identity: suite, secret, derived public key and address, and its destination id. */
export interface ReceiverIdentity {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly addr: Uint8Array;
  /** Destination id in the device's outbox ('owner' for the bound owner's phone). */
  readonly id: string;
}

const ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

/**
 * Builds an identity from a suite and a 32-byte secret.
 * @throws RangeError on an unknown suite, a secret that is not a valid key, or an id
 *   outside `[A-Za-z0-9._:@-]{1,64}`.
 */
export function makeIdentity(suite: Suite, secret: Uint8Array, id = 'owner'): ReceiverIdentity {
  if (!isSuite(suite)) throw new RangeError(`suite must be 1 or 2, got ${String(suite)}`);
  abytes(secret, 'secret', 32);
  if (typeof id !== 'string' || !ID_RE.test(id)) throw new RangeError('id must match [A-Za-z0-9._:@-]{1,64}');
  let publicKey: Uint8Array;
  try {
    publicKey = ecdsaPublicKey(suite, secret);
  } catch (e) {
    throw new RangeError('secret is not a valid private key of the suite', { cause: e });
  }
  return { suite, secret: Uint8Array.from(secret), publicKey, addr: Uint8Array.from(addressOf(suite, publicKey)), id };
}

/**
 * Parses the key file text.
 * @throws SealcamError RECEIVER_KEY_FILE on bad JSON, unknown/missing fields, bad hex or an invalid key.
 */
export function parseKeyFile(text: string, id = 'owner'): ReceiverIdentity {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw receiverError('RECEIVER_KEY_FILE', 'key file is not JSON', e);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw receiverError('RECEIVER_KEY_FILE', 'key file must be a JSON object');
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => k !== 'suite' && k !== 'secret');
  if (extra.length > 0) throw receiverError('RECEIVER_KEY_FILE', `unknown field ${extra[0]!}`);
  if (!isSuite(o.suite)) throw receiverError('RECEIVER_KEY_FILE', 'suite must be 1 or 2');
  if (typeof o.secret !== 'string' || !/^[0-9a-f]{64}$/.test(o.secret)) {
    throw receiverError('RECEIVER_KEY_FILE', 'secret must be 64 lowercase hex digits');
  }
  try {
    return makeIdentity(o.suite, fromHex(o.secret), id);
  } catch (e) {
    throw receiverError('RECEIVER_KEY_FILE', (e as Error).message, e);
  }
}

/**
 * Reads a key file; refuses one readable by group or others (like ssh).
 * @throws SealcamError RECEIVER_KEY_FILE (unreadable, unsafe mode, malformed).
 */
export async function readKeyFile(path: string, id = 'owner'): Promise<ReceiverIdentity> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  let text: string;
  try {
    const st = await fs.stat(path);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw receiverError('RECEIVER_KEY_FILE', `${path} is accessible by group/others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'RECEIVER_KEY_FILE') throw e;
    throw receiverError('RECEIVER_KEY_FILE', `cannot read ${path}: ${(e as Error).message}`, e);
  }
  return parseKeyFile(text, id);
}

/**
 * Creates a new key file (mode 0600, atomic, refuses to overwrite) with a fresh random key.
 * @returns the new identity.
 * @throws SealcamError RECEIVER_KEY_FILE when the file exists or cannot be written.
 */
export async function createKeyFile(path: string, suite: Suite = 1, id = 'owner'): Promise<ReceiverIdentity> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  const identity = makeIdentity(suite, ecdsaRandomSecret(suite), id);
  const exists = await fs.stat(path).then(() => true, () => false);
  if (exists) throw receiverError('RECEIVER_KEY_FILE', `${path} already exists; not overwriting a key`);
  const text = JSON.stringify({ suite, secret: toHex(identity.secret) }) + '\n';
  try {
    await writeFileAtomic(path, new TextEncoder().encode(text), { mode: 0o600 });
  } catch (e) {
    throw receiverError('RECEIVER_KEY_FILE', `cannot write ${path}: ${(e as Error).message}`, e);
  }
  return identity;
}
