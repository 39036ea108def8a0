/**
 * The host primitives of src/platform/native-host.ts for Node: OpenSSL through
 * node:crypto (one-shot `hash` for single inputs, HMAC, HKDF, checkPrime with
 * random bases, ECDSA verification and random-nonce signing with cached
 * KeyObjects, k·G for deterministic signing) and Buffer's native
 * hex/base64 codecs. Browser bundles get native.browser.ts instead (package.json
 * `browser`). Only the seams (crypto/hash.ts, crypto/modmath.ts,
 * crypto/ecdsa.ts, platform/bytes.ts, platform/rng.ts, modexp selection) use it.
 */
import {
  checkPrimeSync, createECDH, createHash, createHmac, createPrivateKey, createPublicKey, hash, hkdfSync, randomBytes, sign, timingSafeEqual, verify,
  type ECDH, type Hash, type KeyObject,
} from 'node:crypto';
import type { NativeHost, Sha256Stream } from './native-host.js';

function stream(h: Hash): Sha256Stream {
  return {
    update(p) {
      h.update(p);
      return this;
    },
    digest: () => new Uint8Array(h.digest()),
    copy: () => stream(h.copy()),
  };
}

const OSSL_CURVE = { 1: 'secp256k1', 2: 'P-256' } as const;
const ECDH_CURVE = { 1: 'secp256k1', 2: 'prime256v1' } as const;
let ecdhBroken = false;
const OSSL_KEYS_MAX = 256;
const osslKeys = new Map<string, KeyObject>();
let osslBroken = false;

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

/** A cached OpenSSL key, or undefined when this OpenSSL lacks the curve. */
function osslKey(suite: 1 | 2, pub: Uint8Array): KeyObject | undefined {
  if (osslBroken) return undefined;
  const id = `${suite}:${Buffer.from(pub.buffer, pub.byteOffset, pub.length).toString('hex')}`;
  let key = osslKeys.get(id);
  if (key) return key;
  try {
    key = createPublicKey({ key: { kty: 'EC', crv: OSSL_CURVE[suite], x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: 'jwk' });
  } catch {
    osslBroken = true; // this OpenSSL build lacks the curve: @noble/curves does it
    return undefined;
  }
  if (osslKeys.size >= OSSL_KEYS_MAX) osslKeys.delete(osslKeys.keys().next().value!);
  osslKeys.set(id, key);
  return key;
}

/** Imported private keys, per secret array (it lives as long as its owner's identity). */
const osslSecrets = new WeakMap<Uint8Array, { suite: 1 | 2; key: KeyObject }>();
let osslSignBroken = false;

/** A cached OpenSSL private key for `secret`, or undefined when this OpenSSL lacks the curve. */
function osslSecretKey(suite: 1 | 2, secret: Uint8Array, pub: Uint8Array): KeyObject | undefined {
  if (osslSignBroken) return undefined;
  const hit = osslSecrets.get(secret);
  if (hit?.suite === suite) return hit.key;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: { kty: 'EC', crv: OSSL_CURVE[suite], d: b64u(secret), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: 'jwk' });
  } catch {
    osslSignBroken = true; // this OpenSSL build lacks the curve: @noble/curves does it
    return undefined;
  }
  osslSecrets.set(secret, { suite, key });
  return key;
}

/** Multi-part SHA-256 inputs up to this many bytes are joined and hashed one-shot. */
const SMALL_JOIN = 4096;

/** Node's host primitives. */
export const native: NativeHost = {
  name: 'node',
  sha256: (...parts) => {
    if (parts.length === 1) return new Uint8Array(hash('sha256', parts[0]!, 'buffer'));
    let n = 0;
    for (const p of parts) n += p.length;
    if (n <= SMALL_JOIN) {
      // Small inputs (Merkle nodes and leaves, H16 inputs, message prefixes): one copy and the
      // one-shot hash cost less than a Hash object and its updates (bench dstp: Merkle root).
      const buf = Buffer.allocUnsafe(n);
      let o = 0;
      for (const p of parts) {
        buf.set(p, o);
        o += p.length;
      }
      return new Uint8Array(hash('sha256', buf, 'buffer'));
    }
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  sha256Stream: () => stream(createHash('sha256')),
  hmacSha256: (key, ...msg) => {
    const h = createHmac('sha256', key);
    for (const p of msg) h.update(p);
    return new Uint8Array(h.digest());
  },
  hkdfSha256: (ikm, salt, info, len) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, len)),
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  timingSafeEqual: (a, b) => timingSafeEqual(a, b),
  // OpenSSL's Miller–Rabin draws `checks` random bases (after trial division).
  checkPrime: (c, rounds) => checkPrimeSync(c, { checks: rounds }),
  bytesToHex: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'),
  hexToBytes: (hex) => Uint8Array.from(Buffer.from(hex, 'hex')),
  writeHex: (out, off, hex) => {
    Buffer.from(out.buffer, out.byteOffset, out.length).write(hex, off, 'hex');
  },
  base64Encode: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'),
  base64Decode: (s) => Uint8Array.from(Buffer.from(s, 'base64')),
  ecdsaVerify: (suite, pub, message, sig) => {
    const key = osslKey(suite, pub);
    if (!key) return undefined;
    try {
      return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
    } catch {
      return false;
    }
  },
  ecdsaSignRandomNonce: (suite, secret, pub, message) => {
    const key = osslSecretKey(suite, secret, pub);
    return key ? new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' })) : undefined;
  },
  ecMulBase: (suite, scalar) => {
    if (ecdhBroken) return undefined;
    let ecdh: ECDH;
    try {
      ecdh = createECDH(ECDH_CURVE[suite]);
    } catch {
      ecdhBroken = true; // this OpenSSL build lacks the curve: @noble/curves does it
      return undefined;
    }
    // A fresh object per call: the scalar (a nonce) is kept only by this one, which OpenSSL
    // clears when it is freed. OpenSSL multiplies a secret scalar by G with a constant-time ladder.
    try {
      ecdh.setPrivateKey(scalar);
      return new Uint8Array(ecdh.getPublicKey());
    } catch {
      return undefined; // OpenSSL refused this scalar: the caller signs with @noble/curves instead
    }
  },
  env: (name) => process.env[name],
};
