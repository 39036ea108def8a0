/**
 * CRC-32 (the zlib/IEEE polynomial, node:zlib `crc32`) of record data given as
 * parts, and parts the outbox checksummed ahead of time: a block's bytes can
 * be checksummed while the block is still being hashed and signed, and the
 * record's CRC is then combined from the parts' CRCs (zlib's crc32_combine,
 * O(log n)) without reading the bytes again. The outbox computes every CRC
 * itself: a {@link ChecksummedPart} only comes from {@link checksumPart}.
 */
import { crc32 } from 'node:zlib';
import { abytes } from '../platform/bytes.js';

const POLY = 0xedb88320;

/** a(x) · b(x) modulo the CRC polynomial (reflected bit order, as zlib's multmodp). */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k++) X2N.push(multmodp(X2N[k - 1]!, X2N[k - 1]!));

/** x^(n · 2^k) modulo the polynomial. */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000;
  while (n > 0) {
    if (n % 2 === 1) p = multmodp(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** CRC-32 of A || B from crc32(A), crc32(B) and B's length (zlib crc32_combine). */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return (multmodp(x2nmodp(lenB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}

const genuine = new WeakSet<object>();

/** Bytes and their CRC-32, computed by {@link checksumPart}; the bytes must not change until stored. */
export class ChecksummedPart {
  private constructor(
    readonly bytes: Uint8Array,
    readonly crc: number,
  ) {}

  /** @internal Use {@link checksumPart}. */
  static of(bytes: Uint8Array): ChecksummedPart {
    const p = new ChecksummedPart(bytes, crc32(bytes));
    genuine.add(p);
    return p;
  }
}

/**
 * Checksums `bytes` now, for a record part given later (e.g. while other work on
 * them runs elsewhere). @throws TypeError when `bytes` is not a Uint8Array.
 */
export function checksumPart(bytes: Uint8Array): ChecksummedPart {
  return ChecksummedPart.of(abytes(bytes, 'bytes'));
}

/** True for a part made by {@link checksumPart}. */
export function isChecksummedPart(v: unknown): v is ChecksummedPart {
  return typeof v === 'object' && v !== null && genuine.has(v);
}

/** Length and CRC-32 of the concatenated parts (checksummed parts are combined, not re-read). */
export function crcOfParts(parts: readonly (Uint8Array | ChecksummedPart)[]): { len: number; crc: number } {
  let len = 0;
  let crc = 0;
  for (const p of parts) {
    if (p instanceof Uint8Array) crc = crc32(p, crc);
    else crc = crc32Combine(crc, p.crc, p.bytes.length);
    len += p instanceof Uint8Array ? p.length : p.bytes.length;
  }
  return { len, crc };
}
