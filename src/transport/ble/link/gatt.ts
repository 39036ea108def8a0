/**
 * The sealcam GATT service (docs/BLE.md "GATT service"): fixed 128-bit UUIDs
 * (a random base, generated once, with the characteristic number in bytes 2–3
 * like the Nordic UART service), the characteristic table, ATT MTU limits and
 * the read-only device-info value. Pure: no I/O.
 *
 * The Pi is the GATT server (peripheral); the phone is the client (central).
 */
import { abytes, aint } from '../../../platform/bytes.js';
import { bleFail } from '../errors.js';

/** Primary service UUID. */
export const SERVICE_UUID = '55f00000-02f9-4a2f-a08f-da6528bdea2f';

/**
 * Logical channels = characteristics of the service:
 * - `control` (write with response, central → device): SUBSCRIBE, RESUME, AUTH, REQUEST_BLOCK, CLOSE;
 * - `data` (notify, device → central): message fragments, the device's acks, CHALLENGE, SESSION, CLOSE, ERROR;
 * - `ack` (write without response, central → device): the central's acks and window updates;
 * - `uplink` (write without response, central → device): fragments of messages sent by the central;
 * - `info` (read): {@link DeviceInfo}.
 */
export type Channel = 'control' | 'data' | 'ack' | 'uplink' | 'info';

/** GATT properties of a characteristic (bleno/noble spelling). */
export type GattProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify';

/** One row of the service table. */
export interface CharacteristicSpec {
  readonly channel: Channel;
  readonly uuid: string;
  readonly properties: readonly GattProperty[];
}

/** The service table (also in docs/BLE.md). */
export const CHARACTERISTICS: readonly CharacteristicSpec[] = [
  { channel: 'control', uuid: '55f00001-02f9-4a2f-a08f-da6528bdea2f', properties: ['write'] },
  { channel: 'data', uuid: '55f00002-02f9-4a2f-a08f-da6528bdea2f', properties: ['notify'] },
  { channel: 'ack', uuid: '55f00003-02f9-4a2f-a08f-da6528bdea2f', properties: ['writeWithoutResponse'] },
  { channel: 'uplink', uuid: '55f00004-02f9-4a2f-a08f-da6528bdea2f', properties: ['writeWithoutResponse'] },
  { channel: 'info', uuid: '55f00005-02f9-4a2f-a08f-da6528bdea2f', properties: ['read'] },
];

/** The UUID of a channel's characteristic. */
export function uuidOf(channel: Channel): string {
  return CHARACTERISTICS.find((c) => c.channel === channel)!.uuid;
}

/** A UUID without dashes, lowercase (bleno and noble report UUIDs this way). */
export function compactUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

/** Smallest ATT MTU (Bluetooth Core, Vol 3 Part F 3.2.8): 20-byte values. */
export const MIN_ATT_MTU = 23;
/** Largest ATT MTU bleno negotiates. */
export const BLENO_MAX_ATT_MTU = 256;
/** Largest ATT MTU allowed by the specification. */
export const MAX_ATT_MTU = 517;
/** The MTU a central should request: 247 fills one LE Data Length Extension PDU (251 bytes) exactly. */
export const PREFERRED_ATT_MTU = 247;
/** ATT notification / write header: opcode (1) + handle (2). */
export const ATT_HEADER_BYTES = 3;

/**
 * Largest characteristic value for an ATT MTU: `mtu − 3`.
 * @throws RangeError if mtu is not in 23..517.
 */
export function payloadSize(mtu: number): number {
  return aint(mtu, 'mtu', MIN_ATT_MTU, MAX_ATT_MTU) - ATT_HEADER_BYTES;
}

/** Version of the BLE session protocol (this document). */
export const BLE_PROTOCOL_VERSION = 1;

/** Contents of the `info` characteristic. */
export interface DeviceInfo {
  /** Lowest and highest session protocol versions the device speaks. */
  protocolMin: number;
  protocolMax: number;
  /** DSTP address of the device (20 bytes). */
  deviceAddr: Uint8Array;
  /** The device's preferred ATT MTU (a hint for the central's MTU request). */
  mtuHint: number;
  /** Preferred connection interval range, in 1.25 ms units (6 = 7.5 ms). */
  connIntervalMin: number;
  connIntervalMax: number;
  /** Largest frame (kind + payload) the device accepts and sends. */
  maxFrameBytes: number;
  /** Fragments the device accepts beyond its cumulative ack. */
  window: number;
  /** True when an owner is bound (otherwise every AUTH fails with BLE_AUTH_UNBOUND). */
  ownerBound: boolean;
}

const INFO_MAGIC = [0x53, 0x43, 0x42, 0x4c]; // "SCBL"
/** Encoded length of {@link DeviceInfo}. */
export const DEVICE_INFO_BYTES = 4 + 1 + 1 + 1 + 20 + 2 + 2 + 2 + 4 + 2 + 1;

/**
 * Encodes the info value:
 * `"SCBL" | u8 1 | u8 protoMin | u8 protoMax | addr(20) | u16 mtuHint | u16 ciMin | u16 ciMax | u32 maxFrameBytes | u16 window | u8 flags(bit0 ownerBound)`.
 * @throws TypeError/RangeError naming the bad field.
 */
export function encodeDeviceInfo(i: DeviceInfo): Uint8Array {
  const out = new Uint8Array(DEVICE_INFO_BYTES);
  const v = new DataView(out.buffer);
  out.set(INFO_MAGIC, 0);
  out[4] = 1;
  out[5] = aint(i.protocolMin, 'protocolMin', 1, 255);
  out[6] = aint(i.protocolMax, 'protocolMax', i.protocolMin, 255);
  out.set(abytes(i.deviceAddr, 'deviceAddr', 20), 7);
  v.setUint16(27, aint(i.mtuHint, 'mtuHint', MIN_ATT_MTU, MAX_ATT_MTU));
  v.setUint16(29, aint(i.connIntervalMin, 'connIntervalMin', 6, 3200));
  v.setUint16(31, aint(i.connIntervalMax, 'connIntervalMax', i.connIntervalMin, 3200));
  v.setUint32(33, aint(i.maxFrameBytes, 'maxFrameBytes', 2, 0xffffffff));
  v.setUint16(37, aint(i.window, 'window', 1, 0xffff));
  out[39] = i.ownerBound ? 1 : 0;
  return out;
}

/**
 * Decodes the info value (hostile input: exact length, magic, version, ranges).
 * @throws BleError BLE_PDU_MALFORMED.
 */
export function decodeDeviceInfo(b: Uint8Array): DeviceInfo {
  abytes(b, 'info');
  if (b.length !== DEVICE_INFO_BYTES) bleFail('BLE_PDU_MALFORMED', `device info is ${b.length} bytes, expected ${DEVICE_INFO_BYTES}`);
  if (INFO_MAGIC.some((m, k) => b[k] !== m)) bleFail('BLE_PDU_MALFORMED', 'device info magic is not "SCBL"');
  if (b[4] !== 1) bleFail('BLE_PDU_MALFORMED', `device info version ${b[4]}`);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const i: DeviceInfo = {
    protocolMin: b[5]!,
    protocolMax: b[6]!,
    deviceAddr: b.slice(7, 27),
    mtuHint: v.getUint16(27),
    connIntervalMin: v.getUint16(29),
    connIntervalMax: v.getUint16(31),
    maxFrameBytes: v.getUint32(33),
    window: v.getUint16(37),
    ownerBound: b[39] === 1,
  };
  const bad =
    i.protocolMin < 1 || i.protocolMax < i.protocolMin ? 'protocol range'
    : i.mtuHint < MIN_ATT_MTU || i.mtuHint > MAX_ATT_MTU ? 'mtuHint'
    : i.connIntervalMin < 6 || i.connIntervalMax < i.connIntervalMin || i.connIntervalMax > 3200 ? 'connection interval'
    : i.maxFrameBytes < 2 ? 'maxFrameBytes'
    : i.window < 1 ? 'window'
    : b[39]! > 1 ? 'flags'
    : undefined;
  if (bad) bleFail('BLE_PDU_MALFORMED', `device info ${bad} out of range`);
  return i;
}
