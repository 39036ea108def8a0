/** Shared value types of the IR-n scheme (SCHEME.md §2, §4). */

/** Modulus size in bits. */
export type ModulusBits = 2048 | 3072;

/** A decoded, validated forward-secure public key (SCHEME.md §2). */
export interface FsPublicKey {
  readonly k: ModulusBits;
  readonly n: number;
  readonly T: number;
  /** Cycle start, Unix ms. */
  readonly t0: bigint;
  /** Period length Δ in ms (u32 on the wire). */
  readonly delta: number;
  /** DSTP device address, 20 bytes. */
  readonly deviceAddr: Uint8Array;
  /** Exponent seed, 32 bytes. */
  readonly seed: Uint8Array;
  readonly N: bigint;
  readonly V: bigint;
  /** The exact 77 + 2K byte encoding. */
  readonly bytes: Uint8Array;
  /** keyId = H(bytes). */
  readonly keyId: Uint8Array;
}

/** Fields of an FsSignature (SCHEME.md §4 step 5). */
export interface FsSignature {
  i: number;
  m: number;
  ts: bigint;
  seq: bigint;
  omega: bigint;
  y: bigint;
}

/** Parameters of a key cycle. */
export interface KeygenParams {
  k: ModulusBits;
  n: number;
  T: number;
  t0: bigint;
  delta: number;
  deviceAddr: Uint8Array;
}
