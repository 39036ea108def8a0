/**
 * BLE session PDUs (docs/BLE.md "PDUs"): every characteristic value starts
 * with a type byte. FRAG values are coded in fragment.ts; this file codes the
 * acknowledgement and the control PDUs. Control PDUs longer than one value
 * (e.g. AUTH at ATT MTU 23) travel as SEG values (see segment.ts).
 * Decoders treat input as hostile: exact lengths, known types, ranges
 * (BLE_PDU_MALFORMED). Pure: no I/O.
 */
import { abigint, abytes, aint, U64_MAX } from '../../../platform/bytes.js';
import { bleFail } from '../errors.js';

/** PDU type bytes. */
export const PduType = {
  FRAG: 0x01,
  ACK: 0x02,
  SEG: 0x03,
  SUBSCRIBE: 0x10,
  RESUME: 0x11,
  CHALLENGE: 0x12,
  AUTH: 0x13,
  SESSION: 0x14,
  REQUEST_BLOCK: 0x15,
  CLOSE: 0x16,
  CLOSE_ACK: 0x17,
  ERROR: 0x18,
} as const;

export const SESSION_ID_BYTES = 16;
export const RESUME_TOKEN_BYTES = 16;
export const CHALLENGE_BYTES = 32;
/** Fixed part of an ACK PDU: type, next, limit, bitmap length. */
export const ACK_FIXED_BYTES = 10;
/** Longest selective-ack bitmap (256 fragments after the first hole). */
export const MAX_SACK_BYTES = 32;
const CODE_RE = /^[A-Z0-9_]{1,64}$/;

/** Cumulative + selective acknowledgement and window update. */
export interface AckPdu {
  type: 'ack';
  /** Every fragment with seq < next was received. */
  next: number;
  /** The sender may send fragments with seq < limit (limit ≥ next, never decreases). */
  limit: number;
  /** Bit k (LSB first in byte k/8) set ⇔ fragment next + 1 + k was received. */
  sack: Uint8Array;
}

export type ControlPdu =
  | { type: 'subscribe'; version: number }
  | { type: 'resume'; version: number; sessionId: Uint8Array }
  | { type: 'challenge'; challenge: Uint8Array; sessionId: Uint8Array }
  | {
      type: 'auth';
      suite: number;
      publicKey: Uint8Array;
      signature: Uint8Array;
      /** Zeros for a new session. */
      resumeToken: Uint8Array;
      /** The central's receive state for the device's fragments. */
      rxNext: number;
      rxLimit: number;
      maxFrameBytes: number;
    }
  | {
      type: 'session';
      sessionId: Uint8Array;
      /** Fresh token for the next RESUME (each SESSION replaces the previous one). */
      resumeToken: Uint8Array;
      resumed: boolean;
      rxNext: number;
      rxLimit: number;
      maxFrameBytes: number;
    }
  | { type: 'request-block'; seq: bigint; index: number }
  | { type: 'close'; abort: boolean; code: string }
  | { type: 'close-ack' }
  | { type: 'error'; code: string };

export type Pdu = AckPdu | ControlPdu;

function acode(v: string, name: string, allowEmpty: boolean): string {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  if (!(allowEmpty && v === '') && !CODE_RE.test(v)) throw new RangeError(`${name} must match ${CODE_RE}`);
  return v;
}

class W {
  private b: number[] = [];
  u8(v: number): this {
    this.b.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.b.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u64(v: bigint): this {
    for (let s = 56n; s >= 0n; s -= 8n) this.b.push(Number((v >> s) & 0xffn));
    return this;
  }
  bytes(x: Uint8Array): this {
    for (const c of x) this.b.push(c);
    return this;
  }
  code(s: string): this {
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.b.push(s.charCodeAt(i));
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

/**
 * Encodes a PDU (not FRAG/SEG).
 * @throws TypeError/RangeError naming the bad field.
 */
export function encodePdu(p: Pdu): Uint8Array {
  const w = new W();
  switch (p.type) {
    case 'ack':
      aint(p.next, 'next', 0, 0xffffffff);
      aint(p.limit, 'limit', p.next, 0xffffffff);
      abytes(p.sack, 'sack');
      aint(p.sack.length, 'sack.length', 0, MAX_SACK_BYTES);
      return w.u8(PduType.ACK).u32(p.next).u32(p.limit).u8(p.sack.length).bytes(p.sack).done();
    case 'subscribe':
      return w.u8(PduType.SUBSCRIBE).u8(aint(p.version, 'version', 1, 255)).done();
    case 'resume':
      w.u8(PduType.RESUME).u8(aint(p.version, 'version', 1, 255));
      return w.bytes(abytes(p.sessionId, 'sessionId', SESSION_ID_BYTES)).done();
    case 'challenge':
      w.u8(PduType.CHALLENGE).bytes(abytes(p.challenge, 'challenge', CHALLENGE_BYTES));
      return w.bytes(abytes(p.sessionId, 'sessionId', SESSION_ID_BYTES)).done();
    case 'auth':
      w.u8(PduType.AUTH).u8(aint(p.suite, 'suite', 0, 255)).bytes(abytes(p.publicKey, 'publicKey', 65));
      w.bytes(abytes(p.signature, 'signature', 64)).bytes(abytes(p.resumeToken, 'resumeToken', RESUME_TOKEN_BYTES));
      w.u32(aint(p.rxNext, 'rxNext', 0, 0xffffffff)).u32(aint(p.rxLimit, 'rxLimit', p.rxNext, 0xffffffff));
      return w.u32(aint(p.maxFrameBytes, 'maxFrameBytes', 2, 0xffffffff)).done();
    case 'session':
      w.u8(PduType.SESSION).bytes(abytes(p.sessionId, 'sessionId', SESSION_ID_BYTES));
      w.bytes(abytes(p.resumeToken, 'resumeToken', RESUME_TOKEN_BYTES)).u8(p.resumed ? 1 : 0);
      w.u32(aint(p.rxNext, 'rxNext', 0, 0xffffffff)).u32(aint(p.rxLimit, 'rxLimit', p.rxNext, 0xffffffff));
      return w.u32(aint(p.maxFrameBytes, 'maxFrameBytes', 2, 0xffffffff)).done();
    case 'request-block':
      w.u8(PduType.REQUEST_BLOCK).u64(abigint(p.seq, 'seq', 0n, U64_MAX));
      return w.u8(aint(p.index, 'index', 1, 0xffff) >>> 8).u8(p.index).done();
    case 'close':
      return w.u8(PduType.CLOSE).u8(p.abort ? 1 : 0).code(acode(p.code, 'code', !p.abort)).done();
    case 'close-ack':
      return w.u8(PduType.CLOSE_ACK).done();
    case 'error':
      return w.u8(PduType.ERROR).code(acode(p.code, 'code', false)).done();
    default:
      throw new TypeError(`unknown PDU type ${String((p as { type?: unknown }).type)}`);
  }
}

/** Bounds-checked reader producing BLE_PDU_MALFORMED. */
class R {
  private o = 1;
  private readonly v: DataView;
  constructor(private readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.length);
  }
  private need(n: number): number {
    if (this.b.length - this.o < n) bleFail('BLE_PDU_MALFORMED', `PDU 0x${this.b[0]!.toString(16)} truncated`);
    const o = this.o;
    this.o += n;
    return o;
  }
  u8(): number {
    return this.b[this.need(1)]!;
  }
  u32(): number {
    return this.v.getUint32(this.need(4));
  }
  u64(): bigint {
    return this.v.getBigUint64(this.need(8));
  }
  bytes(n: number): Uint8Array {
    const o = this.need(n);
    return this.b.slice(o, o + n);
  }
  code(allowEmpty: boolean): string {
    const n = this.u8();
    const s = String.fromCharCode(...this.bytes(n));
    if (!(allowEmpty && n === 0) && !CODE_RE.test(s)) bleFail('BLE_PDU_MALFORMED', 'code is not [A-Z0-9_]{1,64}');
    return s;
  }
  end(): void {
    if (this.o !== this.b.length) bleFail('BLE_PDU_MALFORMED', `${this.b.length - this.o} trailing bytes in PDU 0x${this.b[0]!.toString(16)}`);
  }
}

function range(v: number, lo: number, hi: number, what: string): number {
  if (v < lo || v > hi) bleFail('BLE_PDU_MALFORMED', `${what} ${v} outside [${lo}, ${hi}]`);
  return v;
}

/**
 * Decodes one PDU other than FRAG/SEG (copies byte fields).
 * @throws BleError BLE_PDU_MALFORMED (unknown type, truncated, trailing bytes, range).
 */
export function decodePdu(b: Uint8Array): Pdu {
  abytes(b, 'pdu');
  if (b.length === 0) bleFail('BLE_PDU_MALFORMED', 'empty PDU');
  const r = new R(b);
  let p: Pdu;
  switch (b[0]) {
    case PduType.ACK: {
      const next = r.u32();
      const limit = r.u32();
      range(limit, next, 0xffffffff, 'ack limit');
      const n = range(r.u8(), 0, MAX_SACK_BYTES, 'sack length');
      p = { type: 'ack', next, limit, sack: r.bytes(n) };
      break;
    }
    case PduType.SUBSCRIBE:
      p = { type: 'subscribe', version: range(r.u8(), 1, 255, 'version') };
      break;
    case PduType.RESUME:
      p = { type: 'resume', version: range(r.u8(), 1, 255, 'version'), sessionId: r.bytes(SESSION_ID_BYTES) };
      break;
    case PduType.CHALLENGE:
      p = { type: 'challenge', challenge: r.bytes(CHALLENGE_BYTES), sessionId: r.bytes(SESSION_ID_BYTES) };
      break;
    case PduType.AUTH: {
      const suite = r.u8();
      const publicKey = r.bytes(65);
      const signature = r.bytes(64);
      const resumeToken = r.bytes(RESUME_TOKEN_BYTES);
      const rxNext = r.u32();
      const rxLimit = range(r.u32(), rxNext, 0xffffffff, 'rxLimit');
      const maxFrameBytes = range(r.u32(), 2, 0xffffffff, 'maxFrameBytes');
      p = { type: 'auth', suite, publicKey, signature, resumeToken, rxNext, rxLimit, maxFrameBytes };
      break;
    }
    case PduType.SESSION: {
      const sessionId = r.bytes(SESSION_ID_BYTES);
      const resumeToken = r.bytes(RESUME_TOKEN_BYTES);
      const resumed = range(r.u8(), 0, 1, 'resumed') === 1;
      const rxNext = r.u32();
      const rxLimit = range(r.u32(), rxNext, 0xffffffff, 'rxLimit');
      const maxFrameBytes = range(r.u32(), 2, 0xffffffff, 'maxFrameBytes');
      p = { type: 'session', sessionId, resumeToken, resumed, rxNext, rxLimit, maxFrameBytes };
      break;
    }
    case PduType.REQUEST_BLOCK: {
      const seq = r.u64();
      const index = range((r.u8() << 8) | r.u8(), 1, 0xffff, 'index');
      p = { type: 'request-block', seq, index };
      break;
    }
    case PduType.CLOSE: {
      const abort = range(r.u8(), 0, 1, 'abort') === 1;
      p = { type: 'close', abort, code: r.code(!abort) };
      break;
    }
    case PduType.CLOSE_ACK:
      p = { type: 'close-ack' };
      break;
    case PduType.ERROR:
      p = { type: 'error', code: r.code(false) };
      break;
    default:
      bleFail('BLE_PDU_MALFORMED', `unknown PDU type 0x${b[0]!.toString(16)}`);
  }
  r.end();
  return p;
}

const KNOWN = new Set<number>(Object.values(PduType));

/** True for a PDU type byte this version defines. */
export function isKnownPduType(t: number): boolean {
  return KNOWN.has(t);
}

/** The channels a PDU type may arrive on, per receiving side. */
export function allowedChannel(pduType: number, receiver: 'device' | 'central', channel: string): boolean {
  if (receiver === 'central') return channel === 'data' && pduType !== PduType.SUBSCRIBE && pduType !== PduType.RESUME && pduType !== PduType.AUTH && pduType !== PduType.REQUEST_BLOCK;
  switch (pduType) {
    case PduType.FRAG:
      return channel === 'uplink';
    case PduType.ACK:
      return channel === 'ack';
    case PduType.SUBSCRIBE:
    case PduType.RESUME:
    case PduType.AUTH:
    case PduType.REQUEST_BLOCK:
    case PduType.CLOSE:
    case PduType.CLOSE_ACK:
    case PduType.SEG:
      return channel === 'control';
    default:
      return false;
  }
}
