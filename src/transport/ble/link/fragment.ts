/**
 * Message fragments (docs/BLE.md "Fragment format"): a frame (kind +
 * payload) is cut into characteristic values of at most ATT_MTU − 3 bytes:
 *
 * ```
 * u8 0x01 | u8 flags (bit0 FIRST, bit1 LAST) | u32 seq | u16 msgId
 *         | FIRST only: u8 kind (1..255) | u32 frameLen (payload bytes)
 *         | chunk
 * ```
 * `seq` numbers fragments per direction and session (0, 1, 2, …; acks and
 * retransmission refer to it); `msgId` numbers messages (mod 2^16) so a
 * fragment of the wrong message is detected. The {@link Reassembler} takes
 * fragments in seq order (flow.ts restores the order) and rebuilds frames
 * with bounds and coded errors. Pure: no I/O.
 */
import { aint, abytes } from '../../../platform/bytes.js';
import { bleFail } from '../errors.js';
import { PduType } from './pdu.js';
import type { Frame } from '../../transport.js';

export const FRAG_FIRST = 1;
export const FRAG_LAST = 2;
/** Header bytes of every fragment. */
export const FRAG_HEADER_BYTES = 8;
/** Extra header bytes of a FIRST fragment (kind + frameLen). */
export const FRAG_FIRST_EXTRA = 5;

/** One decoded fragment. */
export interface FragPdu {
  first: boolean;
  last: boolean;
  seq: number;
  msgId: number;
  /** Frame kind (FIRST only, else 0). */
  kind: number;
  /** Frame payload length (FIRST only, else 0). */
  frameLen: number;
  chunk: Uint8Array;
}

/**
 * Encodes a fragment value.
 * @throws TypeError/RangeError naming the bad field.
 */
export function encodeFrag(f: FragPdu): Uint8Array {
  aint(f.seq, 'seq', 0, 0xffffffff);
  aint(f.msgId, 'msgId', 0, 0xffff);
  abytes(f.chunk, 'chunk');
  const head = FRAG_HEADER_BYTES + (f.first ? FRAG_FIRST_EXTRA : 0);
  const out = new Uint8Array(head + f.chunk.length);
  const v = new DataView(out.buffer);
  out[0] = PduType.FRAG;
  out[1] = (f.first ? FRAG_FIRST : 0) | (f.last ? FRAG_LAST : 0);
  v.setUint32(2, f.seq);
  v.setUint16(6, f.msgId);
  if (f.first) {
    out[8] = aint(f.kind, 'kind', 1, 255);
    v.setUint32(9, aint(f.frameLen, 'frameLen', 0, 0xfffffffe));
  }
  out.set(f.chunk, head);
  return out;
}

/**
 * Decodes a fragment value (the chunk is a copy).
 * @throws BleError BLE_PDU_MALFORMED (short, reserved flags), BLE_FRAG_INVALID (kind 0, empty continuation).
 */
export function decodeFrag(b: Uint8Array): FragPdu {
  if (b.length < FRAG_HEADER_BYTES || b[0] !== PduType.FRAG) bleFail('BLE_PDU_MALFORMED', `FRAG value of ${b.length} bytes`);
  const flags = b[1]!;
  if (flags & ~(FRAG_FIRST | FRAG_LAST)) bleFail('BLE_PDU_MALFORMED', `FRAG reserved flags 0x${flags.toString(16)}`);
  const first = (flags & FRAG_FIRST) !== 0;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const head = FRAG_HEADER_BYTES + (first ? FRAG_FIRST_EXTRA : 0);
  if (b.length < head) bleFail('BLE_PDU_MALFORMED', `FIRST fragment of ${b.length} bytes`);
  const kind = first ? b[8]! : 0;
  if (first && kind === 0) bleFail('BLE_FRAG_INVALID', 'fragment kind 0 is reserved');
  const chunk = b.slice(head);
  if (!first && chunk.length === 0) bleFail('BLE_FRAG_INVALID', 'empty continuation fragment');
  return { first, last: (flags & FRAG_LAST) !== 0, seq: v.getUint32(2), msgId: v.getUint16(6), kind, frameLen: first ? v.getUint32(9) : 0, chunk };
}

/**
 * Cuts one frame into fragment values for `payloadMax` (= ATT_MTU − 3), with
 * seq numbers from `firstSeq` (a stateless helper; the flow sender cuts lazily).
 * @throws RangeError if payloadMax < 14 (one FIRST header + 1 byte).
 */
export function fragmentFrame(frame: Frame, msgId: number, firstSeq: number, payloadMax: number): Uint8Array[] {
  aint(payloadMax, 'payloadMax', FRAG_HEADER_BYTES + FRAG_FIRST_EXTRA + 1, 0xffff);
  const out: Uint8Array[] = [];
  const p = frame.payload;
  let off = 0;
  let seq = firstSeq;
  do {
    const first = off === 0;
    const room = payloadMax - FRAG_HEADER_BYTES - (first ? FRAG_FIRST_EXTRA : 0);
    const chunk = p.subarray(off, Math.min(p.length, off + room));
    off += chunk.length;
    out.push(encodeFrag({ first, last: off === p.length, seq: seq++, msgId, kind: frame.kind, frameLen: p.length, chunk }));
  } while (off < p.length);
  return out;
}

/**
 * Rebuilds frames from fragments delivered in seq order. Holds at most one
 * partial message of at most `maxFrameBytes` (checked on its FIRST fragment,
 * before anything is buffered).
 */
export class Reassembler {
  private cur: { msgId: number; kind: number; len: number; parts: Uint8Array[]; got: number } | undefined;
  private nextMsgId = 0;

  /** @throws RangeError if maxFrameBytes is not in 2..2^32−1. */
  constructor(readonly maxFrameBytes: number) {
    aint(maxFrameBytes, 'maxFrameBytes', 2, 0xffffffff);
  }

  /** Bytes held for the partial message. */
  get partialBytes(): number {
    return this.cur?.got ?? 0;
  }

  /**
   * Consumes the next in-order fragment; returns the frame it completes.
   * @throws BleError BLE_FRAG_TOO_LARGE (frame above maxFrameBytes), BLE_FRAG_INVALID
   *   (FIRST inside a message, continuation without FIRST, wrong msgId, length mismatch).
   */
  push(f: FragPdu): Frame | undefined {
    if (f.first) {
      if (this.cur) bleFail('BLE_FRAG_INVALID', `FIRST fragment (msg ${f.msgId}) inside message ${this.cur.msgId}`);
      if (f.msgId !== this.nextMsgId) {
        bleFail('BLE_FRAG_INVALID', `message id ${f.msgId}, expected ${this.nextMsgId}`);
      }
      if (1 + f.frameLen > this.maxFrameBytes) {
        bleFail('BLE_FRAG_TOO_LARGE', `frame of ${1 + f.frameLen} bytes exceeds ${this.maxFrameBytes}`);
      }
      this.cur = { msgId: f.msgId, kind: f.kind, len: f.frameLen, parts: [], got: 0 };
    } else if (!this.cur) {
      bleFail('BLE_FRAG_INVALID', `continuation fragment (msg ${f.msgId}) without FIRST`);
    } else if (f.msgId !== this.cur.msgId) {
      bleFail('BLE_FRAG_INVALID', `fragment of message ${f.msgId} inside message ${this.cur.msgId}`);
    }
    const c = this.cur;
    c.got += f.chunk.length;
    if (c.got > c.len) bleFail('BLE_FRAG_INVALID', `message ${c.msgId} longer than its ${c.len} bytes`);
    if (f.last !== (c.got === c.len)) {
      bleFail('BLE_FRAG_INVALID', `message ${c.msgId}: LAST flag ${f.last} at ${c.got} of ${c.len} bytes`);
    }
    if (f.chunk.length) c.parts.push(f.chunk);
    if (!f.last) return undefined;
    this.cur = undefined;
    this.nextMsgId = (c.msgId + 1) & 0xffff;
    let payload: Uint8Array;
    if (c.parts.length === 1) payload = c.parts[0]!;
    else {
      payload = new Uint8Array(c.len);
      let o = 0;
      for (const p of c.parts) {
        payload.set(p, o);
        o += p.length;
      }
    }
    return { kind: c.kind, payload };
  }
}
