/**
 * JUMBF boxes (ISO/IEC 19566-5, as profiled by C2PA 2.x §11.1): plain boxes
 * (LBox u32 | TBox 4 chars | payload), description boxes (`jumd`: UUID,
 * toggles, NUL-terminated label, optional ID / signature / private box) and
 * superboxes (`jumb`: a description box followed by content boxes). Encoding
 * and strict parsing: every length exact, no LBox 0 ("to end") or 1 (XLBox),
 * no trailing bytes, bounded counts; failures are C2PA_JUMBF_MALFORMED.
 * Pure: no I/O.
 */
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { c2paError } from './reasons.js';

/** Most boxes accepted inside one superbox. */
export const JUMBF_MAX_CHILDREN = 4096;
/** Longest description-box label accepted (bytes). */
export const JUMBF_MAX_LABEL = 1024;

const TOGGLE_REQUESTABLE = 0x01;
const TOGGLE_LABEL = 0x02;
const TOGGLE_ID = 0x04;
const TOGGLE_SIGNATURE = 0x08;
const TOGGLE_PRIVATE = 0x10;

/** One parsed box: its 4-character type and payload (a view into the input). */
export interface JumbfBox {
  type: string;
  payload: Uint8Array;
}

/** A parsed superbox. `payload` is everything after its own LBox/TBox (what C2PA hashes). */
export interface JumbfSuperbox {
  /** Content-type UUID, 32 lowercase hex digits. */
  uuid: string;
  toggles: number;
  label: string | undefined;
  /** The description box's private box (C2PA: the `c2sh` salt box), if any. */
  privateBox: JumbfBox | undefined;
  /** The boxes after the description box. */
  children: JumbfBox[];
  payload: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Encodes a plain box. @throws RangeError on a type that is not 4 ASCII characters. */
export function jumbfBox(type: string, payload: Uint8Array): Uint8Array {
  if (!/^[\x20-\x7e]{4}$/.test(type)) throw new RangeError(`box type must be 4 ASCII characters, got ${JSON.stringify(type)}`);
  if (payload.length > 0xffffffff - 8) throw new RangeError('box larger than 4 GiB');
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(enc.encode(type), 4);
  out.set(payload, 8);
  return out;
}

/**
 * Encodes a superbox: a requestable, labelled description box (with `privateBox`,
 * already encoded, when given) followed by `children` (already encoded boxes).
 * @throws RangeError on a bad UUID or label.
 */
export function jumbfSuperbox(uuid: string, label: string, children: readonly Uint8Array[], privateBox?: Uint8Array): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(uuid)) throw new RangeError('uuid must be 32 lowercase hex digits');
  const labelBytes = enc.encode(label);
  if (labelBytes.length === 0 || labelBytes.length > JUMBF_MAX_LABEL || labelBytes.includes(0)) {
    throw new RangeError('label must be 1..1024 bytes of UTF-8 without NUL');
  }
  const toggles = TOGGLE_REQUESTABLE | TOGGLE_LABEL | (privateBox ? TOGGLE_PRIVATE : 0);
  const jumd = jumbfBox('jumd', concatBytes(hexToBytes(uuid), Uint8Array.of(toggles), labelBytes, Uint8Array.of(0), privateBox ?? new Uint8Array(0)));
  return jumbfBox('jumb', concatBytes(jumd, ...children));
}

/**
 * Splits `bytes` into consecutive boxes that fill it exactly.
 * @throws SealcamError C2PA_JUMBF_MALFORMED.
 */
export function parseBoxes(bytes: Uint8Array, what: string, max = JUMBF_MAX_CHILDREN): JumbfBox[] {
  const out: JumbfBox[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.length) {
    if (out.length >= max) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: more than ${max} boxes`);
    if (bytes.length - o < 8) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: truncated box header at ${o}`);
    const len = dv.getUint32(o);
    if (len < 8) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: box length ${len} (0, 1 and < 8 are not accepted)`);
    if (len > bytes.length - o) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: box at ${o} claims ${len} bytes, ${bytes.length - o} left`);
    const typeBytes = bytes.subarray(o + 4, o + 8);
    for (const c of typeBytes) {
      if (c < 0x20 || c > 0x7e) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: box type is not printable ASCII`);
    }
    out.push({ type: String.fromCharCode(...typeBytes), payload: bytes.subarray(o + 8, o + len) });
    o += len;
  }
  return out;
}

/**
 * Parses one `jumb` box's payload: its description box and content boxes.
 * @throws SealcamError C2PA_JUMBF_MALFORMED.
 */
export function parseSuperbox(box: JumbfBox, what: string): JumbfSuperbox {
  if (box.type !== 'jumb') throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: expected a jumb superbox, found ${JSON.stringify(box.type)}`);
  const boxes = parseBoxes(box.payload, what);
  const jumd = boxes[0];
  if (!jumd || jumd.type !== 'jumd') throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: superbox does not start with a description box`);
  const d = jumd.payload;
  if (d.length < 17) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: description box shorter than 17 bytes`);
  const uuid = bytesToHex(d.subarray(0, 16));
  const toggles = d[16]!;
  if ((toggles & ~0x1f) !== 0) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: reserved toggle bits set (${toggles})`);
  let o = 17;
  let label: string | undefined;
  if (toggles & TOGGLE_LABEL) {
    const end = d.indexOf(0, o);
    if (end < 0) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: label not NUL-terminated`);
    if (end - o > JUMBF_MAX_LABEL) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: label longer than ${JUMBF_MAX_LABEL} bytes`);
    try {
      label = dec.decode(d.subarray(o, end));
    } catch (e) {
      throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: label is not UTF-8`, e);
    }
    o = end + 1;
  }
  if (toggles & TOGGLE_ID) o += 4;
  if (toggles & TOGGLE_SIGNATURE) o += 32;
  if (o > d.length) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: description box truncated`);
  let privateBox: JumbfBox | undefined;
  if (toggles & TOGGLE_PRIVATE) {
    const priv = parseBoxes(d.subarray(o), `${what} private box`, 1);
    if (priv.length !== 1) throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: private-box toggle without a box`);
    privateBox = priv[0];
  } else if (o !== d.length) {
    throw c2paError('C2PA_JUMBF_MALFORMED', `${what}: ${d.length - o} trailing bytes in the description box`);
  }
  return { uuid, toggles, label, privateBox, children: boxes.slice(1), payload: box.payload };
}
