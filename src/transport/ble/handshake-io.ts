/**
 * Control-PDU I/O used during the handshake, before a link belongs to a
 * session: sending one (segmented to the link's MTU) and reading one from
 * raw values (reassembling SEG values; FRAG/ACK are not allowed yet).
 */
import { bleFail } from './errors.js';
import type { Channel } from './link/gatt.js';
import type { BleLink } from './link/link.js';
import { decodePdu, encodePdu, PduType, type ControlPdu } from './link/pdu.js';
import { Desegmenter, segmentPdu } from './link/segment.js';

/** Sends a control PDU on `channel`, segmented to the link's current MTU. */
export function sendControl(link: BleLink, channel: Channel, pdu: ControlPdu): void {
  for (const v of segmentPdu(encodePdu(pdu), link.mtu - 3)) link.send(channel, v);
}

/** Turns handshake values into control PDUs. */
export class ControlReader {
  private readonly deseg = new Desegmenter();

  /**
   * Consumes one value; returns the control PDU it completes, if any.
   * @throws BleError BLE_PDU_MALFORMED, BLE_PDU_STATE (fragments or acks before the session exists).
   */
  read(value: Uint8Array): ControlPdu | undefined {
    if (value.length === 0) bleFail('BLE_PDU_MALFORMED', 'empty value');
    if (value[0] === PduType.FRAG || value[0] === PduType.ACK) bleFail('BLE_PDU_STATE', 'data before the session was established');
    const raw = value[0] === PduType.SEG ? this.deseg.push(value) : value;
    if (!raw) return undefined;
    const p = decodePdu(raw);
    if (p.type === 'ack') bleFail('BLE_PDU_STATE', 'ack before the session was established');
    return p;
  }
}
