/**
 * The contract of the host primitives under the pure cores: SHA-256, HMAC and
 * HKDF (SCHEME.md Notation), random bytes (the §1 Miller–Rabin bases, Rng),
 * constant-time comparison, hex/base64 codecs, the primality test and the
 * ECDSA fast path. `native.ts` implements it on node:crypto (OpenSSL) and
 * Buffer; `native.browser.ts` on @noble/hashes, WebCrypto's getRandomValues
 * and plain JavaScript. A browser bundle picks the second through the
 * package.json `browser` field (docs/VERIFY-WEB.md); Node always loads the
 * first. Types only.
 */

/** An incremental SHA-256. */
export interface Sha256Stream {
  update(part: Uint8Array): Sha256Stream;
  /** The 32-byte digest; the stream is finished afterwards. */
  digest(): Uint8Array;
  /** An independent stream in the same state. */
  copy(): Sha256Stream;
}

/** What each host implements (the same names and behaviour in Node and browsers). */
export interface NativeHost {
  /** Which implementation this is. */
  readonly name: 'node' | 'browser';
  /** SHA-256 over the concatenation of `parts` (a fresh 32-byte array). */
  sha256(...parts: Uint8Array[]): Uint8Array;
  /** A fresh incremental SHA-256. */
  sha256Stream(): Sha256Stream;
  /** HMAC-SHA256(key, concatenation of msg). */
  hmacSha256(key: Uint8Array, ...msg: Uint8Array[]): Uint8Array;
  /** HKDF-SHA256 (RFC 5869); the caller checks 1 ≤ len ≤ 255·32. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, len: number): Uint8Array;
  /** `n` bytes from the host CSPRNG (OS getrandom / WebCrypto getRandomValues). */
  randomBytes(n: number): Uint8Array;
  /** Constant-time equality of two byte strings of equal length. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /**
   * The host's own probabilistic primality test with `rounds` uniformly random
   * Miller–Rabin bases (SCHEME.md §1), for odd c > 3; undefined when the host has
   * none (crypto/modmath.ts then runs its own).
   */
  readonly checkPrime: ((c: bigint, rounds: number) => boolean) | undefined;
  /** Lowercase hex of `b` (no prefix). */
  bytesToHex(b: Uint8Array): string;
  /** Bytes of a lowercase hex string the caller has validated (even length, [0-9a-f]). */
  hexToBytes(hex: string): Uint8Array;
  /** Writes a validated even-length hex string into `out` at `off` (the caller checks it fits). */
  writeHex(out: Uint8Array, off: number, hex: string): void;
  /** Standard base64 with padding (RFC 4648 §4). */
  base64Encode(b: Uint8Array): string;
  /** Decodes base64 the caller has validated (standard alphabet, padded); canonical form is the caller's check. */
  base64Decode(s: string): Uint8Array;
  /**
   * ECDSA verification of a 64-byte r||s signature over SHA-256(message) with a
   * validated 65-byte public key, in native code; undefined when the host cannot
   * (the caller then uses @noble/curves).
   */
  ecdsaVerify(suite: 1 | 2, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | undefined;
  /**
   * ECDSA signature r||s (64 bytes, s not normalised) over SHA-256(message) by `secret` (whose
   * 65-byte public key is `publicKey`), in native code with a random nonce; undefined when the
   * host cannot (the caller then signs with @noble/curves). `secret` should be a long-lived array:
   * its imported key is cached per array object.
   */
  ecdsaSignRandomNonce(suite: 1 | 2, secret: Uint8Array, publicKey: Uint8Array, message: Uint8Array): Uint8Array | undefined;
  /**
   * scalar·G on the suite's curve (32-byte scalar in [1, n−1], e.g. a secret ECDSA nonce) as a
   * 65-byte uncompressed point 0x04||x||y, in native constant-time code; undefined when the host
   * cannot (the caller then uses @noble/curves).
   */
  ecMulBase(suite: 1 | 2, scalar: Uint8Array): Uint8Array | undefined;
  /** An environment variable (undefined in browsers). */
  env(name: string): string | undefined;
}
