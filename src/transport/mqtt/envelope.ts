/**
 * The envelope every MQTT publish of a session carries (docs/MQTT.md):
 *
 * ```
 * u8 version (1) | u8 type | from session (8) | to session (8) | u32 seq | body
 *   DATA     1: u8 kind | payload                                     seq ≥ 1
 *   CHUNK    2: u8 kind | u32 totalLen | u32 chunkBytes | u32 index | u32 count
 *               | frameSha256 (32) | chunkSha256 (32) | data             seq ≥ 1
 *   CREDIT   3: u32 consumed (highest peer seq the reader has taken)  seq = 0
 *   OPEN     4: u32 maxFrameBytes | u32 windowFrames | u32 windowBytes seq = 0
 *   OPEN_ACK 5: same as OPEN                                          seq = 0
 *   CLOSE    6: u8 graceful (1) or error (0) | u8 len | code (ASCII)  seq ≥ 1 if graceful, else 0
 * ```
 * A session id is 8 random bytes chosen by each side per connection; `to` is
 * zeros in OPEN. Decoding is strict (exact lengths, no trailing bytes) and every
 * failure is MQTT_ENVELOPE. Byte fields are views into the input. Pure.
 */
import { mqttError } from './errors.js';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_BYTES = 22;
export const CHUNK_HEADER_BYTES = 1 + 4 * 4 + 32 + 32;
export const SESSION_BYTES = 8;
const CODE_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

export const EnvelopeType = { DATA: 1, CHUNK: 2, CREDIT: 3, OPEN: 4, OPEN_ACK: 5, CLOSE: 6 } as const;

interface Base {
  readonly from: Uint8Array;
  readonly to: Uint8Array;
  readonly seq: number;
}
export interface DataEnvelope extends Base {
  readonly type: 'data';
  readonly kind: number;
  readonly payload: Uint8Array;
}
export interface ChunkEnvelope extends Base {
  readonly type: 'chunk';
  readonly kind: number;
  readonly totalLen: number;
  readonly chunkBytes: number;
  readonly index: number;
  readonly count: number;
  readonly frameDigest: Uint8Array;
  readonly chunkDigest: Uint8Array;
  readonly data: Uint8Array;
}
export interface CreditEnvelope extends Base {
  readonly type: 'credit';
  readonly consumed: number;
}
export interface OpenEnvelope extends Base {
  readonly type: 'open' | 'open-ack';
  readonly maxFrameBytes: number;
  readonly windowFrames: number;
  readonly windowBytes: number;
}
export interface CloseEnvelope extends Base {
  readonly type: 'close';
  readonly graceful: boolean;
  readonly code: string;
}
export type Envelope = DataEnvelope | ChunkEnvelope | CreditEnvelope | OpenEnvelope | CloseEnvelope;

function header(type: number, e: Base, bodyLen: number): { buf: Buffer; off: number } {
  if (!(e.from instanceof Uint8Array) || e.from.length !== SESSION_BYTES) throw new RangeError('from must be 8 bytes');
  if (!(e.to instanceof Uint8Array) || e.to.length !== SESSION_BYTES) throw new RangeError('to must be 8 bytes');
  if (!Number.isInteger(e.seq) || e.seq < 0 || e.seq > 0xffffffff) throw new RangeError('seq must be a u32');
  const buf = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + bodyLen);
  buf[0] = ENVELOPE_VERSION;
  buf[1] = type;
  buf.set(e.from, 2);
  buf.set(e.to, 10);
  buf.writeUInt32BE(e.seq, 18);
  return { buf, off: ENVELOPE_HEADER_BYTES };
}

function checkKind(kind: number): void {
  if (!Number.isInteger(kind) || kind < 1 || kind > 255) throw new RangeError('kind must be 1..255');
}

/**
 * Encodes an envelope as one MQTT payload.
 * @throws TypeError/RangeError naming a bad field.
 */
export function encodeEnvelope(e: Envelope): Buffer {
  switch (e.type) {
    case 'data': {
      checkKind(e.kind);
      const { buf, off } = header(EnvelopeType.DATA, e, 1 + e.payload.length);
      buf[off] = e.kind;
      buf.set(e.payload, off + 1);
      return buf;
    }
    case 'chunk': {
      checkKind(e.kind);
      if (e.frameDigest.length !== 32 || e.chunkDigest.length !== 32) throw new RangeError('digests must be 32 bytes');
      const { buf, off } = header(EnvelopeType.CHUNK, e, CHUNK_HEADER_BYTES + e.data.length);
      buf[off] = e.kind;
      buf.writeUInt32BE(e.totalLen, off + 1);
      buf.writeUInt32BE(e.chunkBytes, off + 5);
      buf.writeUInt32BE(e.index, off + 9);
      buf.writeUInt32BE(e.count, off + 13);
      buf.set(e.frameDigest, off + 17);
      buf.set(e.chunkDigest, off + 49);
      buf.set(e.data, off + CHUNK_HEADER_BYTES);
      return buf;
    }
    case 'credit': {
      const { buf, off } = header(EnvelopeType.CREDIT, e, 4);
      buf.writeUInt32BE(e.consumed, off);
      return buf;
    }
    case 'open':
    case 'open-ack': {
      const { buf, off } = header(e.type === 'open' ? EnvelopeType.OPEN : EnvelopeType.OPEN_ACK, e, 12);
      buf.writeUInt32BE(e.maxFrameBytes, off);
      buf.writeUInt32BE(e.windowFrames, off + 4);
      buf.writeUInt32BE(e.windowBytes, off + 8);
      return buf;
    }
    case 'close': {
      if (!CODE_RE.test(e.code)) throw new RangeError(`code must match ${CODE_RE}`);
      const { buf, off } = header(EnvelopeType.CLOSE, e, 2 + e.code.length);
      buf[off] = e.graceful ? 1 : 0;
      buf[off + 1] = e.code.length;
      buf.write(e.code, off + 2, 'latin1');
      return buf;
    }
    default:
      throw new TypeError(`unknown envelope type ${String((e as { type?: unknown }).type)}`);
  }
}

function bad(msg: string): never {
  throw mqttError('MQTT_ENVELOPE', msg);
}

/**
 * Decodes one MQTT payload.
 * @throws SealcamError MQTT_ENVELOPE for anything malformed.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array) || bytes.length < ENVELOPE_HEADER_BYTES) bad('shorter than the envelope header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== ENVELOPE_VERSION) bad(`envelope version ${bytes[0]}`);
  const type = bytes[1]!;
  const base = { from: bytes.subarray(2, 10), to: bytes.subarray(10, 18), seq: v.getUint32(18) };
  const o = ENVELOPE_HEADER_BYTES;
  const body = bytes.length - o;
  const exact = (n: number): void => {
    if (body !== n) bad(`type ${type} body must be ${n} bytes, got ${body}`);
  };
  const kindAt = (): number => {
    const k = bytes[o]!;
    if (k < 1) bad('kind 0 is reserved');
    return k;
  };
  switch (type) {
    case EnvelopeType.DATA:
      if (body < 1) bad('data without kind');
      if (base.seq < 1) bad('data with seq 0');
      return { type: 'data', ...base, kind: kindAt(), payload: bytes.subarray(o + 1) };
    case EnvelopeType.CHUNK: {
      if (body < CHUNK_HEADER_BYTES) bad('chunk header truncated');
      if (base.seq < 1) bad('chunk with seq 0');
      return {
        type: 'chunk', ...base, kind: kindAt(), totalLen: v.getUint32(o + 1), chunkBytes: v.getUint32(o + 5),
        index: v.getUint32(o + 9), count: v.getUint32(o + 13), frameDigest: bytes.subarray(o + 17, o + 49),
        chunkDigest: bytes.subarray(o + 49, o + 81), data: bytes.subarray(o + CHUNK_HEADER_BYTES),
      };
    }
    case EnvelopeType.CREDIT:
      exact(4);
      return { type: 'credit', ...base, consumed: v.getUint32(o) };
    case EnvelopeType.OPEN:
    case EnvelopeType.OPEN_ACK:
      exact(12);
      return {
        type: type === EnvelopeType.OPEN ? 'open' : 'open-ack', ...base,
        maxFrameBytes: v.getUint32(o), windowFrames: v.getUint32(o + 4), windowBytes: v.getUint32(o + 8),
      };
    case EnvelopeType.CLOSE: {
      if (body < 2) bad('close truncated');
      const graceful = bytes[o]!;
      if (graceful > 1) bad('close flag must be 0 or 1');
      exact(2 + bytes[o + 1]!);
      const code = Buffer.from(bytes.subarray(o + 2)).toString('latin1');
      if (!CODE_RE.test(code)) bad('close code outside [A-Za-z0-9._:@-]{1,64}');
      if ((graceful === 1) !== base.seq > 0) bad('graceful close needs seq ≥ 1, error close seq 0');
      return { type: 'close', ...base, graceful: graceful === 1, code };
    }
    default:
      return bad(`unknown envelope type ${type}`);
  }
}
