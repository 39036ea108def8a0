/**
 * The host primitives of src/platform/native-host.ts for browsers (and any
 * JavaScript runtime without node:crypto): SHA-256, HMAC and HKDF from
 * @noble/hashes, random bytes from WebCrypto's getRandomValues, a
 * constant-time comparison and hex/base64 codecs in plain JavaScript. No
 * primality test and no native ECDSA (crypto/modmath.ts runs its own
 * Miller–Rabin; crypto/ecdsa.ts uses @noble/curves). Selected by the
 * package.json `browser` field in place of native.ts.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { NativeHost, Sha256Stream } from './native-host.js';

type NobleSha256 = ReturnType<typeof sha256.create>;

function stream(h: NobleSha256): Sha256Stream {
  return {
    update(p) {
      h.update(p);
      return this;
    },
    digest: () => h.digest(),
    copy: () => stream(h.clone()),
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

const HEX_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) t[97 + i] = 10 + i;
  return t;
})();

function writeHex(out: Uint8Array, off: number, hex: string): void {
  for (let i = 0, o = off; i < hex.length; i += 2, o++) {
    out[o] = (HEX_VALUE[hex.charCodeAt(i)]! << 4) | HEX_VALUE[hex.charCodeAt(i + 1)]!;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

function base64Encode(b: Uint8Array): string {
  const chunks: string[] = [];
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
    if (s.length >= 8192) {
      chunks.push(s);
      s = '';
    }
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + (i + 1 < b.length ? B64[(n >> 6) & 63]! : '=') + '=';
  }
  chunks.push(s);
  return chunks.join('');
}

function base64Decode(s: string): Uint8Array {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const n = (B64_VALUE[s.charCodeAt(i)]! << 18) | (B64_VALUE[s.charCodeAt(i + 1)]! << 12)
      | ((B64_VALUE[s.charCodeAt(i + 2)]! & 63) << 6) | (B64_VALUE[s.charCodeAt(i + 3)]! & 63);
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** getRandomValues fills at most 65536 bytes per call. */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

/** The browser's host primitives. */
export const native: NativeHost = {
  name: 'browser',
  sha256: (...parts) => {
    if (parts.length === 1) return sha256(parts[0]!);
    const h = sha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  sha256Stream: () => stream(sha256.create()),
  hmacSha256: (key, ...msg) => {
    const h = hmac.create(sha256, key);
    for (const p of msg) h.update(p);
    return h.digest();
  },
  hkdfSha256: (ikm, salt, info, len) => hkdf(sha256, ikm, salt, info, len),
  randomBytes,
  timingSafeEqual: (a, b) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
    return d === 0 && a.length === b.length;
  },
  checkPrime: undefined,
  bytesToHex,
  hexToBytes: (hex) => {
    const out = new Uint8Array(hex.length >> 1);
    writeHex(out, 0, hex);
    return out;
  },
  writeHex,
  base64Encode,
  base64Decode,
  ecdsaVerify: () => undefined,
  ecdsaSignRandomNonce: () => undefined,
  ecMulBase: () => undefined,
  env: () => undefined,
};
