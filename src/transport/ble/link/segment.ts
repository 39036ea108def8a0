/**
 * Segmentation of control PDUs that do not fit one characteristic value
 * (e.g. AUTH, 159 bytes, at ATT MTU 23): `u8 SEG | u8 flags (bit0 FIRST,
 * bit1 LAST) | chunk (≥ 1 byte)`, sent back to back on one channel and
 * reassembled up to {@link MAX_CONTROL_PDU_BYTES}. Pure.
 */
import { abytes, aint } from '../../../platform/bytes.js';
import { bleFail } from '../errors.js';
import { PduType } from './pdu.js';

/** Largest control PDU after reassembly. */
export const MAX_CONTROL_PDU_BYTES = 512;
const FIRST = 1;
const LAST = 2;

/**
 * Splits a control PDU into values of at most `payloadMax` bytes (the PDU
 * itself when it fits).
 * @throws RangeError if payloadMax < 3 or the PDU exceeds {@link MAX_CONTROL_PDU_BYTES}.
 */
export function segmentPdu(pdu: Uint8Array, payloadMax: number): Uint8Array[] {
  abytes(pdu, 'pdu');
  aint(payloadMax, 'payloadMax', 3, 0xffff);
  aint(pdu.length, 'pdu.length', 1, MAX_CONTROL_PDU_BYTES);
  if (pdu.length <= payloadMax) return [pdu];
  const out: Uint8Array[] = [];
  const step = payloadMax - 2;
  for (let o = 0; o < pdu.length; o += step) {
    const chunk = pdu.subarray(o, Math.min(pdu.length, o + step));
    const v = new Uint8Array(2 + chunk.length);
    v[0] = PduType.SEG;
    v[1] = (o === 0 ? FIRST : 0) | (o + step >= pdu.length ? LAST : 0);
    v.set(chunk, 2);
    out.push(v);
  }
  return out;
}

/** Reassembles SEG values of one channel. */
export class Desegmenter {
  private parts: Uint8Array[] | undefined;
  private size = 0;

  /**
   * Consumes one SEG value; returns the PDU when its last segment arrived.
   * @throws BleError BLE_PDU_MALFORMED (bad flags, order, empty chunk, oversize).
   */
  push(value: Uint8Array): Uint8Array | undefined {
    if (value.length < 3 || value[0] !== PduType.SEG) bleFail('BLE_PDU_MALFORMED', 'SEG value shorter than 3 bytes');
    const flags = value[1]!;
    if (flags & ~(FIRST | LAST)) bleFail('BLE_PDU_MALFORMED', `SEG reserved flags 0x${flags.toString(16)}`);
    if (flags & FIRST) {
      if (this.parts) bleFail('BLE_PDU_MALFORMED', 'SEG FIRST while a control PDU is being reassembled');
      this.parts = [];
      this.size = 0;
    } else if (!this.parts) bleFail('BLE_PDU_MALFORMED', 'SEG continuation without FIRST');
    this.size += value.length - 2;
    if (this.size > MAX_CONTROL_PDU_BYTES) bleFail('BLE_PDU_MALFORMED', `control PDU exceeds ${MAX_CONTROL_PDU_BYTES} bytes`);
    this.parts.push(value.slice(2));
    if (!(flags & LAST)) return undefined;
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.parts = undefined;
    this.size = 0;
    return out;
  }

  /** Drops a partial PDU (new link). */
  reset(): void {
    this.parts = undefined;
    this.size = 0;
  }
}
