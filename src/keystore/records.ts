/**
 * Byte encodings of the keystore's small records (device key, public
 * metadata) and argument checks shared by every KeyStore implementation. Pure.
 */
import { abytes, abigint, ByteReader, concat, u8, u16, u64, U64_MAX } from '../platform/bytes.js';
import {
  KeyStoreError,
  MAX_BLOB_BYTES,
  MAX_CHAIN_ENTRIES,
  type DeviceKey,
  type KeyChainEntry,
  type KeyMeta,
} from './keystore.js';

const DEVICE_KEY_VERSION = 1;
const META_VERSION = 1;

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
    abytes(e.keyId, `meta.chain[${i}].keyId`, 32);
    abytes(e.prevKeyId, `meta.chain[${i}].prevKeyId`, 32);
    abigint(e.t0, `meta.chain[${i}].t0`, 0n, U64_MAX);
    abigint(e.end, `meta.chain[${i}].end`, e.t0, U64_MAX);
    if (typeof e.registered !== 'boolean') throw new TypeError(`meta.chain[${i}].registered must be a boolean`);
  });
  return meta;
}

/** Deep copy of a DeviceKey (the store never shares buffers with callers). */
export function copyDeviceKey(k: DeviceKey): DeviceKey {
  return { suite: k.suite, secret: Uint8Array.from(k.secret) };
}

/** Deep copy of KeyMeta. */
export function copyMeta(m: KeyMeta): KeyMeta {
  return {
    chain: m.chain.map((e) => ({
      keyId: Uint8Array.from(e.keyId),
      prevKeyId: Uint8Array.from(e.prevKeyId),
      t0: e.t0,
      end: e.end,
      registered: e.registered,
    })),
  };
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

/** `u8(1) || u16(count) || count × (keyId(32) || prevKeyId(32) || u64 t0 || u64 end || u8 registered)`. */
export function encodeMeta(m: KeyMeta): Uint8Array {
  checkMeta(m);
  const parts: Uint8Array[] = [u8(META_VERSION), u16(m.chain.length)];
  for (const e of m.chain) parts.push(e.keyId, e.prevKeyId, u64(e.t0), u64(e.end), u8(e.registered ? 1 : 0));
  return concat(...parts);
}

/** Inverse of {@link encodeMeta}; strict (exact length, flags 0/1, end ≥ t0). @throws KeyStoreError KEYSTORE_FORMAT | KEYSTORE_VERSION */
export function decodeMeta(b: Uint8Array): KeyMeta {
  const r = new ByteReader(b);
  try {
    const v = r.u8();
    if (v !== META_VERSION) throw new KeyStoreError('KEYSTORE_VERSION', `meta record version ${v}`);
    const count = r.u16();
    if (count > MAX_CHAIN_ENTRIES) throw formatError(`meta chain has ${count} entries`);
    if (r.remaining !== count * 81) throw formatError('meta record length mismatch');
    const chain: KeyChainEntry[] = [];
    for (let i = 0; i < count; i++) {
      const keyId = r.bytes(32).slice();
      const prevKeyId = r.bytes(32).slice();
      const t0 = r.u64();
      const end = r.u64();
      const flag = r.u8();
      if (flag > 1 || end < t0) throw formatError(`meta chain entry ${i} is malformed`);
      chain.push({ keyId, prevKeyId, t0, end, registered: flag === 1 });
    }
    return { chain };
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    throw formatError('meta record truncated', e);
  }
}
