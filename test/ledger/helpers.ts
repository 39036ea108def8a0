// Shared fixtures for the ledger tests: deterministic identities and a full life-cycle.
import { addressOf, ecdsaPublicKey, type Suite } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { utf8 } from '../../src/platform/bytes.js';

export interface Identity {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly addr: Uint8Array;
}

/** A deterministic ECDSA identity derived from a label. */
export function identity(label: string, suite: Suite = 1): Identity {
  const secret = sha256(utf8(`sealcam-test/${suite}/${label}`));
  const publicKey = ecdsaPublicKey(suite, secret);
  return { suite, secret, publicKey, addr: addressOf(suite, publicKey) };
}

/** A deterministic 32-byte value. */
export function b32(label: string): Uint8Array {
  return sha256(utf8(`b32/${label}`));
}

/** Copy of `b` with byte `i` xor `mask`. */
export function flip(b: Uint8Array, i: number, mask = 1): Uint8Array {
  const c = Uint8Array.from(b);
  c[i] = c[i]! ^ mask;
  return c;
}
