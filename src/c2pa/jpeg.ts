/**
 * The C2PA manifest store inside a JPEG (C2PA 2.x §A.3.2, ISO/IEC 19566-5
 * JPEG XT boxes): APP11 marker segments `FF EB | Le | CI "JP" | En | Z |
 * [LBox TBox] | chunk`, the JUMBF store split in order over Z = 1..n, every
 * continuation repeating the store's LBox/TBox. Finds them in the header
 * segments (before the first SOS), strips them, and lays them out for
 * insertion. Hostile bytes: strict marker walk, bounded sizes, coded errors.
 * Pure: no I/O.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { c2paError } from './reasons.js';

/** Largest manifest store accepted or written (bytes). */
export const C2PA_MAX_STORE = 16 * 1024 * 1024;
/** JUMBF bytes carried per APP11 segment (c2pa-rs uses the same). */
export const C2PA_SEGMENT_CHUNK = 64000;
/** Most header segments walked before the first SOS. */
export const JPEG_MAX_SEGMENTS = 65536;

const APP11 = 0xeb;
const SOS = 0xda;
const EN = Uint8Array.of(0x02, 0x11); // box instance number; c2pa-rs writes the same
const C2PA_UUID_PREFIX = [0x63, 0x32, 0x70, 0x61]; // "c2pa": first bytes of the store's description UUID

/** One marker segment before the first SOS: `[start, end)` spans any fill bytes, FF xx, the length and the content. */
export interface JpegSegment {
  marker: number;
  start: number;
  /** Offset of the content (after the 2 length bytes). */
  contentStart: number;
  end: number;
}

/** Where a JPEG's C2PA segments are and the store they carry. */
export interface C2paSegments {
  /** Offset of the first segment's FF EB. */
  start: number;
  /** Offset just after the last segment. */
  end: number;
  /** The reassembled JUMBF manifest store. */
  store: Uint8Array;
}

function ajpeg(jpeg: unknown): Uint8Array {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  return jpeg;
}

/**
 * Walks the marker segments from SOI to the first SOS.
 * @throws SealcamError C2PA_JPEG_MALFORMED.
 */
export function jpegHeaderSegments(jpeg: Uint8Array): JpegSegment[] {
  ajpeg(jpeg);
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw c2paError('C2PA_JPEG_MALFORMED', 'not a JPEG (no SOI)');
  const out: JpegSegment[] = [];
  let p = 2;
  for (;;) {
    if (out.length >= JPEG_MAX_SEGMENTS) throw c2paError('C2PA_JPEG_MALFORMED', `more than ${JPEG_MAX_SEGMENTS} header segments`);
    if (p + 1 >= jpeg.length || jpeg[p] !== 0xff) throw c2paError('C2PA_JPEG_MALFORMED', `expected a marker at ${p}`);
    let q = p + 1;
    while (q < jpeg.length && jpeg[q] === 0xff) q++; // fill bytes
    if (q >= jpeg.length) throw c2paError('C2PA_JPEG_MALFORMED', 'file ends inside fill bytes');
    const marker = jpeg[q]!;
    if (marker === SOS) return out;
    if (marker === 0x00 || marker === 0x01 || marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)) {
      throw c2paError('C2PA_JPEG_MALFORMED', `marker FF${marker.toString(16).toUpperCase()} before the first SOS`);
    }
    if (q + 3 > jpeg.length) throw c2paError('C2PA_JPEG_MALFORMED', `segment length missing at ${q + 1}`);
    const len = (jpeg[q + 1]! << 8) | jpeg[q + 2]!;
    if (len < 2 || q + 1 + len > jpeg.length) throw c2paError('C2PA_JPEG_MALFORMED', `segment at ${p} has bad length ${len}`);
    out.push({ marker, start: p, contentStart: q + 3, end: q + 1 + len });
    p = q + 1 + len;
  }
}

/** Content of a segment (after FF xx and the 2 length bytes). */
function content(jpeg: Uint8Array, s: JpegSegment): Uint8Array {
  return jpeg.subarray(s.contentStart, s.end);
}

function isJpegXt(c: Uint8Array): boolean {
  return c.length >= 8 && c[0] === 0x4a && c[1] === 0x50;
}

function isStoreStart(c: Uint8Array): boolean {
  return c.length >= 28 && C2PA_UUID_PREFIX.every((b, i) => c[24 + i] === b) && c[12] === 0x6a && c[13] === 0x75 && c[14] === 0x6d && c[15] === 0x62;
}

/**
 * Finds the C2PA manifest store's APP11 segments and reassembles the store.
 * Returns null when the JPEG has none. Requires: one store only, its segments
 * adjacent, Z = 1..n in order, the same En, each continuation repeating the
 * store's LBox/TBox, and the reassembled length equal to that LBox.
 * @throws SealcamError C2PA_JPEG_MALFORMED, C2PA_SEGMENTS_MALFORMED, C2PA_TOO_LARGE.
 */
export function findC2paSegments(jpeg: Uint8Array): C2paSegments | null {
  const segs = jpegHeaderSegments(jpeg);
  let first = -1;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.marker !== APP11) continue;
    const c = content(jpeg, s);
    if (!isJpegXt(c) || !isStoreStart(c)) continue;
    if (first >= 0) throw c2paError('C2PA_SEGMENTS_MALFORMED', 'more than one C2PA manifest store');
    first = i;
  }
  if (first < 0) return null;
  const head = content(jpeg, segs[first]!);
  const en = head.subarray(2, 4);
  const z0 = new DataView(head.buffer, head.byteOffset + 4, 4).getUint32(0);
  if (z0 !== 1) throw c2paError('C2PA_SEGMENTS_MALFORMED', `first C2PA segment has Z = ${z0}, expected 1`);
  const lboxTbox = head.subarray(8, 16);
  const total = new DataView(lboxTbox.buffer, lboxTbox.byteOffset, 4).getUint32(0);
  if (total > C2PA_MAX_STORE) throw c2paError('C2PA_TOO_LARGE', `manifest store of ${total} bytes (limit ${C2PA_MAX_STORE})`);
  const parts: Uint8Array[] = [head.subarray(8)];
  let have = head.length - 8;
  let last = first;
  for (let i = first + 1; i < segs.length && have < total; i++) {
    const s = segs[i]!;
    const c = content(jpeg, s);
    if (s.marker !== APP11 || !isJpegXt(c) || c[2] !== en[0] || c[3] !== en[1]) {
      throw c2paError('C2PA_SEGMENTS_MALFORMED', `C2PA store truncated: segment ${i - first + 1} missing (${have} of ${total} bytes)`);
    }
    const z = new DataView(c.buffer, c.byteOffset + 4, 4).getUint32(0);
    if (z !== i - first + 1) throw c2paError('C2PA_SEGMENTS_MALFORMED', `C2PA segment out of order: Z = ${z}, expected ${i - first + 1}`);
    if (c.length < 17) throw c2paError('C2PA_SEGMENTS_MALFORMED', `C2PA continuation segment ${z} is empty`);
    for (let k = 0; k < 8; k++) {
      if (c[8 + k] !== lboxTbox[k]) throw c2paError('C2PA_SEGMENTS_MALFORMED', `C2PA continuation segment ${z} does not repeat the store's LBox/TBox`);
    }
    parts.push(c.subarray(16));
    have += c.length - 16;
    last = i;
  }
  if (have !== total) throw c2paError('C2PA_SEGMENTS_MALFORMED', `C2PA store is ${have} bytes, its LBox says ${total}`);
  const next = segs[last + 1];
  if (next && next.marker === APP11) {
    const c = content(jpeg, next);
    if (isJpegXt(c) && c[2] === en[0] && c[3] === en[1]) throw c2paError('C2PA_SEGMENTS_MALFORMED', 'extra C2PA segment after the store');
  }
  return { start: segs[first]!.start, end: segs[last]!.end, store: parts.length === 1 ? parts[0]! : concatBytes(...parts) };
}

/**
 * The JPEG without its C2PA manifest store segments: byte for byte the JPEG
 * that was signed (docs/C2PA.md). A JPEG without them comes back as a copy.
 * @throws TypeError on a non-Uint8Array; SealcamError as findC2paSegments.
 */
export function stripC2pa(jpeg: Uint8Array): Uint8Array {
  const found = findC2paSegments(ajpeg(jpeg));
  if (!found) return Uint8Array.from(jpeg);
  return concatBytes(jpeg.subarray(0, found.start), jpeg.subarray(found.end));
}

/**
 * Where sealcam inserts the store: after SOI and any leading APP0 (JFIF) /
 * APP1 (Exif, XMP) segments, so readers that expect those first still find them.
 * @throws SealcamError C2PA_JPEG_MALFORMED.
 */
export function c2paInsertionOffset(jpeg: Uint8Array): number {
  let at = 2;
  for (const s of jpegHeaderSegments(jpeg)) {
    if (s.start !== at || (s.marker !== 0xe0 && s.marker !== 0xe1)) break;
    at = s.end;
  }
  return at;
}

/** Total bytes of the APP11 segments that carry a store of `storeLength` bytes. @throws RangeError. */
export function c2paSegmentsLength(storeLength: number): number {
  if (!Number.isSafeInteger(storeLength) || storeLength < 8 || storeLength > C2PA_MAX_STORE) {
    throw new RangeError(`store length must be 8..${C2PA_MAX_STORE}, got ${storeLength}`);
  }
  const n = Math.ceil(storeLength / C2PA_SEGMENT_CHUNK);
  return storeLength + n * 12 + (n - 1) * 8; // FF EB Le CI En Z per segment, + LBox/TBox per continuation
}

/**
 * The APP11 segments carrying `store` (a JUMBF superbox).
 * @throws RangeError on a store that is too short, too long or not a superbox.
 */
export function c2paSegments(store: Uint8Array): Uint8Array {
  const total = c2paSegmentsLength(store.length);
  if (new DataView(store.buffer, store.byteOffset, 4).getUint32(0) !== store.length) throw new RangeError('store LBox does not match its length');
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (let z = 1, from = 0; from < store.length; z++, from += C2PA_SEGMENT_CHUNK) {
    const chunk = store.subarray(from, Math.min(store.length, from + C2PA_SEGMENT_CHUNK));
    const cont = z > 1 ? 8 : 0;
    out[o] = 0xff;
    out[o + 1] = APP11;
    dv.setUint16(o + 2, 2 + 8 + cont + chunk.length);
    out[o + 4] = 0x4a;
    out[o + 5] = 0x50;
    out.set(EN, o + 6);
    dv.setUint32(o + 8, z);
    if (cont) out.set(store.subarray(0, 8), o + 12);
    out.set(chunk, o + 12 + cont);
    o += 12 + cont + chunk.length;
  }
  return out;
}
