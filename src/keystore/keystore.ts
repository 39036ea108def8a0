/**
 * The device's secret key storage (ARCHITECTURE.md keystore/, SCHEME.md §2–3, §7).
 *
 * A KeyStore holds four named, versioned blobs:
 * - `device-key`: the device's ECDSA identity secret and its suite (§5);
 * - `cycle`: the ACTIVE key cycle state, `FsKeyState.encode()` (§3), replaced
 *   on every period update (the hot path);
 * - `next-cycle`: the NEXT key cycle, generated in the background and not yet active;
 * - `meta`: public metadata — the device's key chain (§7 v1.1): every key
 *   cycle's FsPublicKey and the link (endorsement or restart record with its
 *   witness acknowledgements) that joins it to its predecessor.
 *
 * Every save replaces the previous content of its blob as one atomic step; the
 * store keeps no backups, journals or history of secret blobs (forward
 * security: an old cycle state must not survive its replacement).
 */
import type { ChainLink } from '../chain/links.js';
import { SealcamError } from '../platform/errors.js';

/** Error codes of the keystore domain. */
export type KeyStoreErrorCode =
  /** A blob is encrypted but no key is configured, or encryption is required and no key was found. */
  | 'KEYSTORE_KEY_REQUIRED'
  /** The encryption key source is malformed (not 32 raw bytes nor 64 hex characters). */
  | 'KEYSTORE_KEY_FORMAT'
  /** Authenticated decryption failed: wrong key or tampered file. */
  | 'KEYSTORE_DECRYPT'
  /** A blob file is malformed (magic, lengths, name, trailing bytes, record content). */
  | 'KEYSTORE_FORMAT'
  /** A blob file has an unknown format version. */
  | 'KEYSTORE_VERSION'
  /** A plaintext blob was found while a key is configured (and migration is off). */
  | 'KEYSTORE_PLAINTEXT'
  /** `promoteNextCycle` was called with no next cycle stored. */
  | 'KEYSTORE_NO_NEXT'
  /** Another live process holds the store's lock. */
  | 'KEYSTORE_LOCKED'
  /** The store was closed (or never opened). */
  | 'KEYSTORE_CLOSED'
  /** An I/O operation failed (the cause carries the fs error). */
  | 'KEYSTORE_IO';

/** A keystore failure. */
export class KeyStoreError extends SealcamError<KeyStoreErrorCode> {}

/** ECDSA suite number (SCHEME.md §5): 1 = ES256K (secp256k1), 2 = ES256 (P-256). */
export type DeviceSuite = 1 | 2;

/** The device's ECDSA identity secret (SCHEME.md §5). */
export interface DeviceKey {
  readonly suite: DeviceSuite;
  /** 32-byte private scalar. */
  readonly secret: Uint8Array;
}

/** One key cycle of the device's key chain (SCHEME.md §7 v1.1). */
export interface KeyChainEntry {
  /** FsPublicKey bytes; keyId = H(publicKey). */
  readonly publicKey: Uint8Array;
  /** Null for C₁ (pinned by the factory record); an endorsement or a restart otherwise. */
  readonly link: ChainLink | null;
}

/** Public metadata blob. */
export interface KeyMeta {
  /** The key chain, C₁ first (never pruned: bundles carry it from C₁). */
  readonly chain: readonly KeyChainEntry[];
}

/** Most key chain entries kept in `meta` (SCHEME.md §7: a chain has at most 4097 cycles). */
export const MAX_CHAIN_ENTRIES = 4097;
/** Largest blob payload accepted (bytes): bounds every read. */
export const MAX_BLOB_BYTES = 16 * 1024 * 1024;

/** What a store currently holds; absent blobs are null. Returned buffers are the caller's copies. */
export interface KeyStoreSnapshot {
  readonly deviceKey: DeviceKey | null;
  readonly cycleState: Uint8Array | null;
  readonly nextCycle: Uint8Array | null;
  readonly meta: KeyMeta | null;
}

/**
 * Secret key storage. All operations are async and serialised per store; a
 * save resolves only once the new content is durable.
 */
export interface KeyStore {
  /**
   * Reads everything stored. Finishes an interrupted {@link promoteNextCycle}.
   * @throws KeyStoreError KEYSTORE_KEY_REQUIRED | KEYSTORE_DECRYPT | KEYSTORE_FORMAT | KEYSTORE_VERSION | KEYSTORE_PLAINTEXT | KEYSTORE_IO | KEYSTORE_CLOSED
   */
  load(): Promise<KeyStoreSnapshot>;
  /** Stores the device identity secret. @throws TypeError/RangeError on bad arguments; KeyStoreError KEYSTORE_IO | KEYSTORE_CLOSED */
  saveDeviceKey(key: DeviceKey): Promise<void>;
  /**
   * Replaces the active cycle state (the hot path, once per period). Resolves
   * once durable; the previous state is then gone from the store.
   * @throws TypeError/RangeError on bad arguments; KeyStoreError KEYSTORE_IO | KEYSTORE_CLOSED
   */
  saveCycleState(state: Uint8Array): Promise<void>;
  /** Stores (replaces) the next, not yet active, key cycle. @throws like {@link saveCycleState} */
  saveNextCycle(state: Uint8Array): Promise<void>;
  /**
   * Makes the stored next cycle the active one and removes `next-cycle`.
   * With `state` (the next cycle after a seek), that content becomes active
   * instead; the store never keeps an older state of that cycle behind.
   * @throws KeyStoreError KEYSTORE_NO_NEXT | KEYSTORE_IO | KEYSTORE_CLOSED
   */
  promoteNextCycle(state?: Uint8Array): Promise<void>;
  /** Removes the next cycle (no-op when absent). @throws KeyStoreError KEYSTORE_IO | KEYSTORE_CLOSED */
  discardNextCycle(): Promise<void>;
  /**
   * Removes the active cycle state (no-op when absent): used when a cycle
   * ended with no successor, so its last key must not outlive its period.
   * @throws KeyStoreError KEYSTORE_IO | KEYSTORE_CLOSED
   */
  discardCycleState(): Promise<void>;
  /** Replaces the public metadata. @throws TypeError/RangeError on bad arguments; KeyStoreError KEYSTORE_IO | KEYSTORE_CLOSED */
  saveMeta(meta: KeyMeta): Promise<void>;
  /** Releases resources (lock, in-memory key). Idempotent. */
  close(): Promise<void>;
}
