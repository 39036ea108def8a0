/**
 * Byte helpers shared by every layer: argument checks (STYLE.md §2),
 * fixed-width big-endian integers, I2OSP/OS2IP, hex, constant-time compare.
 * Pure: no I/O (hex decoding and the constant-time compare come from the host
 * seam, platform/native.ts).
 */
import { native } from './native.js';

/** Throws TypeError unless `v` is a Uint8Array; RangeError unless its length is one of `lengths`. */
export function abytes(v: unknown, name: string, ...lengths: number[]): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (lengths.length > 0 && !lengths.includes(v.length)) {
    throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes, got ${v.length}`);
  }
  return v;
}

/** Throws TypeError unless `v` is a bigint; RangeError unless lo <= v <= hi. */
export function abigint(v: unknown, name: string, lo?: bigint, hi?: bigint): bigint {
  if (typeof v !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if ((lo !== undefined && v < lo) || (hi !== undefined && v > hi)) {
    throw new RangeError(`${name} out of range [${lo ?? '-inf'}, ${hi ?? 'inf'}]: ${v}`);
  }
  return v;
}

/** Throws TypeError unless `v` is a safe integer; RangeError unless lo <= v <= hi. */
export function aint(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`${name} must be an integer`);
  if (v < lo || v > hi) throw new RangeError(`${name} out of range [${lo}, ${hi}]: ${v}`);
  return v;
}

export const U64_MAX = (1n << 64n) - 1n;

export function u8(v: number): Uint8Array {
  aint(v, 'u8', 0, 0xff);
  return Uint8Array.of(v);
}

export function u16(v: number): Uint8Array {
  aint(v, 'u16', 0, 0xffff);
  return Uint8Array.of(v >>> 8, v & 0xff);
}

export function u32(v: number): Uint8Array {
  aint(v, 'u32', 0, 0xffffffff);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}

export function u64(v: bigint): Uint8Array {
  abigint(v, 'u64', 0n, U64_MAX);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}

/** Concatenates byte strings into a fresh Uint8Array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** I2OSP: big-endian, exactly `len` bytes. @throws RangeError if x < 0 or x >= 256^len. */
export function i2osp(x: bigint, len: number): Uint8Array {
  if (x < 0n) throw new RangeError('i2osp: negative integer');
  const hex = x.toString(16);
  if (hex.length > len * 2) throw new RangeError(`i2osp: integer too large for ${len} bytes`);
  const out = new Uint8Array(len);
  if (x !== 0n) native.writeHex(out, len - Math.ceil(hex.length / 2), hex.length % 2 === 0 ? hex : '0' + hex);
  return out;
}

/** OS2IP: big-endian bytes to a non-negative bigint. */
export function os2ip(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt('0x' + toHex(b));
}

/** Lowercase hex without prefix. */
export function toHex(b: Uint8Array): string {
  return native.bytesToHex(b);
}

/** Strict lowercase-hex decoder. @throws RangeError on odd length or any non [0-9a-f] character. */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError('hex must be a string');
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) throw new RangeError('invalid lowercase hex');
  return native.hexToBytes(s);
}

/** Constant-time equality for equal-length byte strings; false (not throw) on length mismatch. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return native.timingSafeEqual(a, b);
}

/** Overwrites a buffer with zeros (best effort erasure of secrets held in memory). */
export function wipe(...bufs: Uint8Array[]): void {
  for (const b of bufs) b.fill(0);
}

/** Big-endian reader over a byte string that never reads past the end. */
export class ByteReader {
  private off = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  get offset(): number {
    return this.off;
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.off + n > this.buf.length) throw new RangeError('read past end');
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    const b = this.bytes(2);
    return (b[0]! << 8) | b[1]!;
  }

  u32(): number {
    const b = this.bytes(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  u64(): bigint {
    const b = this.bytes(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }
}

const enc = new TextEncoder();
/** ASCII/UTF-8 bytes of a tag string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
