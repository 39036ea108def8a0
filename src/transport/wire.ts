/**
 * Hostile-input readers and writers for the message codec (STYLE.md §3): every
 * read is bounds-checked and turns into a coded error (MSG_TRUNCATED,
 * MSG_TRAILING, MSG_RANGE, MSG_ENCODING); text fields are strictly validated.
 * Pure: no I/O.
 */
import { transportError, type TransportErrorCode } from './errors.js';
import { SealcamError } from '../platform/errors.js';

/** Destination / node ids and error codes on the wire: 1..64 chars of `[A-Za-z0-9._:@-]`. */
export const WIRE_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Enc = new TextEncoder();

/** Throws a coded message error. */
export function fail(code: TransportErrorCode, message: string): never {
  throw transportError(code, message);
}

/** Bounds-checked big-endian reader producing coded errors. */
export class WireReader {
  private off = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number, what: string): number {
    if (this.buf.length - this.off < n) fail('MSG_TRUNCATED', `${what}: need ${n} bytes, ${this.remaining} left`);
    const o = this.off;
    this.off += n;
    return o;
  }

  /** Exactly n bytes (a view). */
  bytes(n: number, what: string): Uint8Array {
    const o = this.need(n, what);
    return this.buf.subarray(o, o + n);
  }

  /** All remaining bytes (a view). */
  rest(): Uint8Array {
    const o = this.off;
    this.off = this.buf.length;
    return this.buf.subarray(o);
  }

  u8(what: string): number {
    return this.buf[this.need(1, what)]!;
  }

  u16(what: string): number {
    return this.view.getUint16(this.need(2, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.need(4, what));
  }

  u64(what: string): bigint {
    return this.view.getBigUint64(this.need(8, what));
  }

  /** An integer field that must lie in [lo, hi] (MSG_RANGE otherwise). */
  range(v: number, lo: number, hi: number, what: string): number {
    if (v < lo || v > hi) fail('MSG_RANGE', `${what} ${v} outside [${lo}, ${hi}]`);
    return v;
  }

  /** A u8-length-prefixed id matching {@link WIRE_ID_RE}; empty allowed only if `allowEmpty`. */
  id(what: string, allowEmpty = false): string {
    const n = this.u8(`${what} length`);
    if (n === 0) {
      if (allowEmpty) return '';
      fail('MSG_RANGE', `${what} is empty`);
    }
    const b = this.bytes(n, what);
    let s = '';
    for (const c of b) s += String.fromCharCode(c);
    if (!WIRE_ID_RE.test(s)) fail('MSG_ENCODING', `${what} has characters outside [A-Za-z0-9._:@-]`);
    return s;
  }

  /** Strict UTF-8 text of exactly n bytes. */
  text(n: number, what: string): string {
    const b = this.bytes(n, what);
    try {
      return utf8Strict.decode(b);
    } catch (e) {
      throw new SealcamError<TransportErrorCode>('MSG_ENCODING', `${what} is not valid UTF-8`, { cause: e });
    }
  }

  /** Requires that every byte was consumed. */
  end(what: string): void {
    if (this.remaining !== 0) fail('MSG_TRAILING', `${this.remaining} trailing bytes after ${what}`);
  }
}

/** Big-endian writer: collects fields, then {@link WireWriter.finish} copies them into one buffer. */
export class WireWriter {
  private parts: Uint8Array[] = [];
  private len = 0;
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length) {
      this.parts.push(Uint8Array.from(this.scratch));
      this.len += this.scratch.length;
      this.scratch = [];
    }
  }

  u8(v: number): this {
    this.scratch.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    this.scratch.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  u32(v: number): this {
    this.scratch.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  u64(v: bigint): this {
    for (let s = 56n; s >= 0n; s -= 8n) this.scratch.push(Number((v >> s) & 0xffn));
    return this;
  }

  bytes(b: Uint8Array): this {
    this.flushScratch();
    this.parts.push(b);
    this.len += b.length;
    return this;
  }

  /** u8 length + ASCII id (caller validated it). */
  id(s: string): this {
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.scratch.push(s.charCodeAt(i));
    return this;
  }

  /** The concatenated bytes. */
  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return utf8Enc.encode(s);
}
