/**
 * Byte encodings of the keystore's small records (device key, public
 * metadata) and argument checks shared by every KeyStore implementation. Pure.
 */
import type { ChainLink } from '../chain/links.js';
import { decodeChainLink, encodeChainLink, MAX_FS_PUBLIC_KEY } from '../chain/registration.js';
import { abytes, ByteReader, concat, u8, u16 } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import {
  KeyStoreError,
  MAX_BLOB_BYTES,
  MAX_CHAIN_ENTRIES,
  type DeviceKey,
  type KeyChainEntry,
  type KeyMeta,
} from './keystore.js';

const DEVICE_KEY_VERSION = 1;
const META_VERSION = 2;

/** Checks a DeviceKey argument. @throws TypeError | RangeError naming the field */
export function checkDeviceKey(key: DeviceKey): DeviceKey {
  if (typeof key !== 'object' || key === null) throw new TypeError('key must be a DeviceKey object');
  if (key.suite !== 1 && key.suite !== 2) throw new RangeError('key.suite must be 1 or 2');
  abytes(key.secret, 'key.secret', 32);
  return key;
}

/** Checks a state blob argument (non-empty, bounded). @throws TypeError | RangeError */
export function checkState(state: Uint8Array, name: string): Uint8Array {
  abytes(state, name);
  if (state.length === 0 || state.length > MAX_BLOB_BYTES) {
    throw new RangeError(`${name} must be 1..${MAX_BLOB_BYTES} bytes, got ${state.length}`);
  }
  return state;
}

/** Checks a KeyMeta argument. @throws TypeError | RangeError naming the field */
export function checkMeta(meta: KeyMeta): KeyMeta {
  if (typeof meta !== 'object' || meta === null || !Array.isArray(meta.chain)) {
    throw new TypeError('meta.chain must be an array');
  }
  if (meta.chain.length > MAX_CHAIN_ENTRIES) {
    throw new RangeError(`meta.chain has more than ${MAX_CHAIN_ENTRIES} entries`);
  }
  meta.chain.forEach((e, i) => {
    abytes(e.publicKey, `meta.chain[${i}].publicKey`);
    if (e.publicKey.length < 1 || e.publicKey.length > MAX_FS_PUBLIC_KEY) throw new RangeError(`meta.chain[${i}].publicKey must be 1..${MAX_FS_PUBLIC_KEY} bytes`);
    if ((e.link === null) !== (i === 0)) throw new RangeError(`meta.chain[${i}] ${i === 0 ? 'must not' : 'must'} have a link`);
    encodeChainLink(e.link); // throws RangeError on a malformed link
  });
  return meta;
}

function copyLink(l: ChainLink | null): ChainLink | null {
  if (l === null) return null;
  if (l.kind === 'endorse') return { kind: 'endorse', signature: Uint8Array.from(l.signature) };
  return {
    kind: 'restart', prevKeyId: Uint8Array.from(l.prevKeyId), signature: Uint8Array.from(l.signature),
    acks: l.acks.map((a) => ({ suite: a.suite, serverPublicKey: Uint8Array.from(a.serverPublicKey), seenAt: a.seenAt, signature: Uint8Array.from(a.signature) })),
  };
}

/** Deep copy of a DeviceKey (the store never shares buffers with callers). */
export function copyDeviceKey(k: DeviceKey): DeviceKey {
  return { suite: k.suite, secret: Uint8Array.from(k.secret) };
}

/** Deep copy of KeyMeta. */
export function copyMeta(m: KeyMeta): KeyMeta {
  return { chain: m.chain.map((e) => ({ publicKey: Uint8Array.from(e.publicKey), link: copyLink(e.link) })) };
}

/** `u8(1) || u8(suite) || secret(32)`. */
export function encodeDeviceKey(k: DeviceKey): Uint8Array {
  checkDeviceKey(k);
  return concat(u8(DEVICE_KEY_VERSION), u8(k.suite), k.secret);
}

function formatError(what: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('KEYSTORE_FORMAT', what, { cause });
}

/** Inverse of {@link encodeDeviceKey}. @throws KeyStoreError KEYSTORE_FORMAT | KEYSTORE_VERSION */
export function decodeDeviceKey(b: Uint8Array): DeviceKey {
  if (b.length !== 34) throw formatError(`device key record must be 34 bytes, got ${b.length}`);
  if (b[0] !== DEVICE_KEY_VERSION) throw new KeyStoreError('KEYSTORE_VERSION', `device key record version ${b[0]}`);
  const suite = b[1];
  if (suite !== 1 && suite !== 2) throw formatError(`device key suite ${suite}`);
  return { suite, secret: b.slice(2) };
}

/** `u8(2) || u16(count) || count × (u16(L) || FsPublicKey(L) || link)`, the link as in a registration (src/chain/registration.ts). */
export function encodeMeta(m: KeyMeta): Uint8Array {
  checkMeta(m);
  const parts: Uint8Array[] = [u8(META_VERSION), u16(m.chain.length)];
  for (const e of m.chain) parts.push(u16(e.publicKey.length), e.publicKey, encodeChainLink(e.link));
  return concat(...parts);
}

/** Inverse of {@link encodeMeta}; strict (exact length, a link on every entry but the first). @throws KeyStoreError KEYSTORE_FORMAT | KEYSTORE_VERSION */
export function decodeMeta(b: Uint8Array): KeyMeta {
  const r = new ByteReader(b);
  try {
    const v = r.u8();
    if (v !== META_VERSION) throw new KeyStoreError('KEYSTORE_VERSION', `meta record version ${v}`);
    const count = r.u16();
    if (count > MAX_CHAIN_ENTRIES) throw formatError(`meta chain has ${count} entries`);
    const chain: KeyChainEntry[] = [];
    for (let i = 0; i < count; i++) {
      const len = r.u16();
      if (len < 1 || len > MAX_FS_PUBLIC_KEY) throw formatError(`meta chain entry ${i} has a ${len}-byte key`);
      const publicKey = r.bytes(len).slice();
      const link = decodeChainLink(r, i);
      if ((link === null) !== (i === 0)) throw formatError(`meta chain entry ${i} ${i === 0 ? 'must not' : 'must'} have a link`);
      chain.push({ publicKey, link });
    }
    if (r.remaining !== 0) throw formatError('meta record length mismatch');
    return { chain };
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    throw formatError(isSealcamError(e) ? `meta chain: ${e.message}` : 'meta record truncated', e);
  }
}
