/**
 * The at-rest encryption key of the file keystore: parsed from a systemd
 * credential (`$CREDENTIALS_DIRECTORY/sealcam.key`, e.g. `LoadCredentialEncrypted=`
 * sealed to the TPM with `systemd-creds`) or given explicitly.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { abytes, wipe } from '../platform/bytes.js';
import { KeyStoreError } from './keystore.js';

/** Default credential name. */
export const CREDENTIAL_NAME = 'sealcam.key';
const MAX_CREDENTIAL_BYTES = 1024;

/**
 * Parses key material: exactly 32 raw bytes, or exactly 64 hex characters
 * (either case), optionally followed by one "\n" (as `openssl rand -hex 32`
 * writes). Anything else is rejected.
 * @throws TypeError when `raw` is not bytes; KeyStoreError KEYSTORE_KEY_FORMAT otherwise
 */
export function parseKeyMaterial(raw: Uint8Array): Uint8Array {
  abytes(raw, 'raw');
  if (raw.length === 32) return Uint8Array.from(raw);
  let len = raw.length;
  if (len === 65 && raw[64] === 0x0a) len = 64;
  if (len === 64) {
    const text = new TextDecoder().decode(raw.subarray(0, 64));
    if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'));
  }
  throw new KeyStoreError(
    'KEYSTORE_KEY_FORMAT',
    `key material must be 32 raw bytes or 64 hex characters, got ${raw.length} bytes`,
  );
}

/** Where to look for the credential. */
export interface CredentialSource {
  /** The credentials directory (systemd sets $CREDENTIALS_DIRECTORY); null/undefined: none. */
  readonly credentialsDirectory?: string | null;
  /** File name inside it (default {@link CREDENTIAL_NAME}). */
  readonly name?: string;
}

/**
 * Reads the credential key. Returns null when no directory is given or the
 * credential file does not exist (plaintext mode, unless the caller requires a key).
 * @throws KeyStoreError KEYSTORE_KEY_FORMAT (bad content or size) | KEYSTORE_IO (unreadable)
 */
export async function loadCredentialKey(src: CredentialSource): Promise<Uint8Array | null> {
  const dir = src.credentialsDirectory;
  if (dir === undefined || dir === null || dir === '') return null;
  const name = src.name ?? CREDENTIAL_NAME;
  if (name.includes('/') || name === '' || name === '.' || name === '..') {
    throw new RangeError('credential name must be a plain file name');
  }
  const path = join(dir, name);
  let raw: Buffer;
  try {
    const h = await fs.open(path, 'r');
    try {
      const st = await h.stat();
      if (!st.isFile() || st.size > MAX_CREDENTIAL_BYTES) {
        throw new KeyStoreError('KEYSTORE_KEY_FORMAT', `credential ${name} is not a small regular file`);
      }
      raw = await h.readFile();
    } finally {
      await h.close();
    }
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyStoreError('KEYSTORE_IO', `cannot read credential ${name}`, { cause: e });
  }
  try {
    return parseKeyMaterial(raw);
  } finally {
    wipe(raw);
  }
}
