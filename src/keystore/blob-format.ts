/**
 * The on-disk container of one keystore blob: a format header and the
 * payload, either plaintext or sealed with AES-256-GCM (random 12-byte nonce
 * per write; the whole header, which holds the file name and the format
 * version, is the additional authenticated data). No I/O.
 *
 * ```
 * "SCKS" || u8 version(1) || u8 enc (0 plain, 1 AES-256-GCM) || u8 nameLen || name (ASCII)
 *        || u32 bodyLen || body
 * body = payload                      (enc 0)
 *      = nonce(12) || ciphertext || tag(16)   (enc 1, |ciphertext| = |payload|)
 * ```
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { abytes, ByteReader, concat, u8, u32, utf8, wipe } from '../platform/bytes.js';
import { systemRng, type Rng } from '../platform/rng.js';
import { KeyStoreError, MAX_BLOB_BYTES } from './keystore.js';

/** Magic bytes of a keystore blob file. */
export const BLOB_MAGIC = utf8('SCKS');
/** Current container format version. */
export const BLOB_VERSION = 1;
const ENC_PLAIN = 0;
const ENC_AES_GCM = 1;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const NAME_RE = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** A decoded blob: its payload and whether it was encrypted. */
export interface DecodedBlob {
  readonly payload: Uint8Array;
  readonly encrypted: boolean;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new RangeError(`name must match ${NAME_RE.source}`);
}

function header(name: string, enc: number, bodyLen: number): Uint8Array {
  return concat(BLOB_MAGIC, u8(BLOB_VERSION), u8(enc), u8(name.length), utf8(name), u32(bodyLen));
}

/**
 * Encodes `payload` as the content of file `name`; sealed when `key` (32 bytes) is given.
 * @throws TypeError | RangeError on bad arguments
 */
export function encodeBlob(name: string, payload: Uint8Array, key: Uint8Array | null, rng: Rng = systemRng): Uint8Array {
  checkName(name);
  abytes(payload, 'payload');
  if (payload.length > MAX_BLOB_BYTES) throw new RangeError(`payload exceeds ${MAX_BLOB_BYTES} bytes`);
  if (key === null) return concat(header(name, ENC_PLAIN, payload.length), payload);
  abytes(key, 'key', 32);
  const nonce = abytes(rng.bytes(NONCE_LEN), 'rng output', NONCE_LEN);
  const hdr = header(name, ENC_AES_GCM, NONCE_LEN + payload.length + TAG_LEN);
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
  c.setAAD(hdr);
  const ct = concat(c.update(payload), c.final());
  return concat(hdr, nonce, ct, c.getAuthTag());
}

function fmt(msg: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('KEYSTORE_FORMAT', msg, cause === undefined ? undefined : { cause });
}

/**
 * Decodes the content of file `name`. A sealed blob needs `key`; a plaintext
 * blob is returned as is (the caller decides whether plaintext is acceptable).
 * @throws KeyStoreError KEYSTORE_FORMAT (magic, name, lengths, trailing bytes) |
 *   KEYSTORE_VERSION | KEYSTORE_KEY_REQUIRED (sealed, no key) | KEYSTORE_DECRYPT (wrong key or tampered)
 */
export function decodeBlob(name: string, file: Uint8Array, key: Uint8Array | null): DecodedBlob {
  checkName(name);
  abytes(file, 'file');
  if (key !== null) abytes(key, 'key', 32);
  const r = new ByteReader(file);
  let enc: number;
  let body: Uint8Array;
  let hdrLen: number;
  try {
    const magic = r.bytes(4);
    if (!magic.every((b, i) => b === BLOB_MAGIC[i])) throw fmt(`${name}: bad magic`);
    const version = r.u8();
    if (version !== BLOB_VERSION) throw new KeyStoreError('KEYSTORE_VERSION', `${name}: format version ${version}`);
    enc = r.u8();
    if (enc !== ENC_PLAIN && enc !== ENC_AES_GCM) throw fmt(`${name}: unknown encoding ${enc}`);
    const stored = new TextDecoder().decode(r.bytes(r.u8()));
    if (stored !== name) throw fmt(`${name}: blob belongs to file "${stored.replace(/[^\x20-\x7e]/g, '?')}"`);
    const bodyLen = r.u32();
    hdrLen = r.offset;
    if (bodyLen !== r.remaining) throw fmt(`${name}: body length ${bodyLen}, file has ${r.remaining}`);
    if (bodyLen > MAX_BLOB_BYTES + NONCE_LEN + TAG_LEN) throw fmt(`${name}: body too large`);
    body = r.bytes(bodyLen);
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    throw fmt(`${name}: truncated header`, e);
  }
  if (enc === ENC_PLAIN) return { payload: body.slice(), encrypted: false };
  if (key === null) throw new KeyStoreError('KEYSTORE_KEY_REQUIRED', `${name} is encrypted and no key is configured`);
  if (body.length < NONCE_LEN + TAG_LEN) throw fmt(`${name}: sealed body too short`);
  const nonce = body.subarray(0, NONCE_LEN);
  const ct = body.subarray(NONCE_LEN, body.length - TAG_LEN);
  const tag = body.subarray(body.length - TAG_LEN);
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
    d.setAAD(file.subarray(0, hdrLen));
    d.setAuthTag(tag);
    const part = d.update(ct);
    const last = d.final();
    const payload = concat(part, last);
    wipe(part, last);
    return { payload, encrypted: true };
  } catch (e) {
    throw new KeyStoreError('KEYSTORE_DECRYPT', `${name}: authentication failed (wrong key or tampered file)`, { cause: e });
  }
}
