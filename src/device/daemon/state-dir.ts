/**
 * The device state directory (docs/DAEMON.md "State directory"): file names,
 * creation with mode 0700, and small durable JSON files (atomic replace,
 * bounded reads). Everything here is public data except `keys/`, which only
 * the KeyStore touches.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { SealcamError } from '../../platform/errors.js';
import { parseJsonStrict } from '../../platform/strict-json.js';

/** Error codes of the device state directory. */
export type StateErrorCode = 'STATE_IO' | 'STATE_FORMAT' | 'STATE_MISSING';

/** A state directory failure (unreadable, malformed or missing file). */
export class DeviceStateError extends SealcamError<StateErrorCode> {}

/** Names inside the state directory. */
export const STATE_FILES = {
  /** FileKeyStore directory (device key, key cycles; secret). */
  keys: 'keys',
  /** Leave-factory record (JSON form of src/ledger). */
  factory: 'factory.json',
  /** Content Credentials: the device's X.509 chain [device certificate, maker CA] as PEM (certificate.ts; suite 2 only). */
  certificate: 'certificate.pem',
  /** Dev mode only: the throwaway manufacturer's PUBLIC key. */
  manufacturerPub: 'manufacturer.pub.json',
  /** Owner binding: the device-signed bind record (absent = unbound). */
  owner: 'owner.json',
  /** Capture chain: reserved seq range and the last header digest. */
  chain: 'chain.json',
  /** Capture chain heads appended since chain.json was last written (device/keys/chain-state.ts). */
  chainHeads: 'chain-heads.log',
  /** Public copy of the key chain (device/keys/chain-file.ts; the keystore holds the original). */
  keychain: 'keychain.json',
  /** Which destination acknowledged which keyId. */
  acks: 'acks.json',
  /** The durable outbox (src/outbox). */
  outbox: 'outbox',
} as const;

/** Largest small JSON state file read (bytes). */
export const MAX_STATE_JSON = 1024 * 1024;

/** Path of a state file. */
export function statePath(stateDir: string, name: (typeof STATE_FILES)[keyof typeof STATE_FILES]): string {
  if (typeof stateDir !== 'string' || stateDir === '') throw new TypeError('stateDir must be a non-empty path');
  return join(stateDir, name);
}

/**
 * Creates the state directory (mode 0700) if needed.
 * @throws DeviceStateError STATE_IO
 */
export async function ensureStateDir(stateDir: string): Promise<void> {
  if (typeof stateDir !== 'string' || stateDir === '') throw new TypeError('stateDir must be a non-empty path');
  try {
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new DeviceStateError('STATE_IO', `cannot create state directory ${stateDir}`, { cause: e });
  }
}

/**
 * Reads a small JSON file; null when it does not exist.
 * @throws DeviceStateError STATE_IO (unreadable, too large) | STATE_FORMAT (not JSON)
 */
export async function readJsonState(path: string): Promise<unknown> {
  let text: string;
  try {
    const h = await fs.open(path, 'r');
    try {
      const st = await h.stat();
      if (st.size > MAX_STATE_JSON) throw new DeviceStateError('STATE_IO', `${path} is larger than ${MAX_STATE_JSON} bytes`);
      text = await h.readFile('utf8');
    } finally {
      await h.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (e instanceof DeviceStateError) throw e;
    throw new DeviceStateError('STATE_IO', `cannot read ${path}`, { cause: e });
  }
  try {
    return parseJsonStrict(text);
  } catch (e) {
    throw new DeviceStateError('STATE_FORMAT', `${path} is not valid JSON`, { cause: e });
  }
}

/**
 * Replaces a JSON file atomically and durably (mode 0600 unless given).
 * @throws DeviceStateError STATE_IO
 */
export async function writeJsonState(path: string, value: unknown, mode = 0o600): Promise<void> {
  try {
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'), { mode });
  } catch (e) {
    throw new DeviceStateError('STATE_IO', `cannot write ${path}`, { cause: e });
  }
}

/** Removes a file (no-op when absent). @throws DeviceStateError STATE_IO */
export async function removeState(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DeviceStateError('STATE_IO', `cannot remove ${path}`, { cause: e });
  }
}
