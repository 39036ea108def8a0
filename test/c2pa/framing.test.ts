/**
 * Framing on raw bytes: the JPEG marker walk, the APP11 segment sequence that
 * carries the manifest store (sizes at chunk boundaries, Z order, repeated
 * LBox/TBox, truncation, extra or second stores) and the JUMBF box codec. Every
 * fault is a SealcamError with its C2PA code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  C2PA_MAX_STORE, C2PA_SEGMENT_CHUNK, c2paSegments, c2paSegmentsLength, findC2paSegments, jpegHeaderSegments, stripC2pa,
} from '../../src/c2pa/jpeg.js';
import { jumbfBox, jumbfSuperbox, parseBoxes, parseSuperbox } from '../../src/c2pa/jumbf.js';
import { UUID } from '../../src/c2pa/manifest-store.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeJpeg } from './helpers.js';

const photo = makeJpeg();
const app0End = 4 + ((photo[4]! << 8) | photo[5]!);

/** A c2pa store superbox of exactly `n` bytes (n >= 46). */
function store(n: number): Uint8Array {
  const head = jumbfSuperbox(UUID.store, 'c2pa', [jumbfBox('free', new Uint8Array(0))]);
  const fill = n - head.length;
  const s = jumbfSuperbox(UUID.store, 'c2pa', [jumbfBox('free', new Uint8Array(fill).map((_, i) => i & 0xff))]);
  assert.equal(s.length, n);
  return s;
}

function withSegments(segs: Uint8Array, jpg = photo): Uint8Array {
  return new Uint8Array(Buffer.concat([jpg.subarray(0, app0End), segs, jpg.subarray(app0End)]));
}

function code(fn: () => unknown, c: string): void {
  assert.throws(fn, (e: unknown) => isSealcamError(e, c) || assert.fail(`expected ${c}, got ${String(e)}`));
}

/** Offsets of each APP11 segment inside `segs` (as laid out by c2paSegments). */
function segmentOffsets(segs: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 0; o < segs.length; o += 2 + ((segs[o + 2]! << 8) | segs[o + 3]!)) out.push(o);
  return out;
}

test('segment layout: length formula, chunking at the 64000-byte boundary, reassembly and strip', () => {
  for (const n of [46, 1000, C2PA_SEGMENT_CHUNK - 1, C2PA_SEGMENT_CHUNK, C2PA_SEGMENT_CHUNK + 1, 2 * C2PA_SEGMENT_CHUNK, 2 * C2PA_SEGMENT_CHUNK + 7]) {
    const s = store(n);
    const segs = c2paSegments(s);
    assert.equal(segs.length, c2paSegmentsLength(n));
    const offs = segmentOffsets(segs);
    assert.equal(offs.length, Math.ceil(n / C2PA_SEGMENT_CHUNK));
    offs.forEach((o, i) => {
      assert.deepEqual([...segs.subarray(o, o + 2)], [0xff, 0xeb]);
      assert.deepEqual([...segs.subarray(o + 4, o + 8)], [0x4a, 0x50, 0x02, 0x11]); // CI "JP", En
      assert.equal(new DataView(segs.buffer, o + 8, 4).getUint32(0), i + 1); // Z
      if (i > 0) assert.deepEqual(segs.subarray(o + 12, o + 20), s.subarray(0, 8)); // repeated LBox/TBox
      assert.ok(((segs[o + 2]! << 8) | segs[o + 3]!) <= 0xffff);
    });
    const jpg = withSegments(segs);
    const found = findC2paSegments(jpg)!;
    assert.deepEqual(found.store, s);
    assert.deepEqual([found.start, found.end], [app0End, app0End + segs.length]);
    assert.deepEqual(stripC2pa(jpg), photo);
  }
  assert.throws(() => c2paSegmentsLength(C2PA_MAX_STORE + 1), RangeError);
  assert.throws(() => c2paSegments(new Uint8Array(8)), RangeError);
});

test('segment faults: Z order, missing or extra continuation, LBox/TBox not repeated, length mismatch, two stores, oversize', () => {
  const s = store(2 * C2PA_SEGMENT_CHUNK + 100);
  const segs = c2paSegments(s);
  const [a, b, c] = segmentOffsets(segs) as [number, number, number];
  const cut = (x: number, y: number): Uint8Array => new Uint8Array(Buffer.concat([segs.subarray(0, x), segs.subarray(y)]));
  // second segment removed / last segment removed
  code(() => findC2paSegments(withSegments(cut(b, c))), 'C2PA_SEGMENTS_MALFORMED');
  code(() => findC2paSegments(withSegments(segs.subarray(0, c))), 'C2PA_SEGMENTS_MALFORMED');
  // segments 2 and 3 swapped
  const swapped = new Uint8Array(Buffer.concat([segs.subarray(a, b), segs.subarray(c), segs.subarray(b, c)]));
  code(() => findC2paSegments(withSegments(swapped)), 'C2PA_SEGMENTS_MALFORMED');
  // first segment with Z = 2
  const z2 = Uint8Array.from(segs);
  z2[a + 11] = 2;
  code(() => findC2paSegments(withSegments(z2)), 'C2PA_SEGMENTS_MALFORMED');
  // continuation whose repeated LBox differs
  const lbox = Uint8Array.from(segs);
  lbox[b + 15] = lbox[b + 15]! ^ 1;
  code(() => findC2paSegments(withSegments(lbox)), 'C2PA_SEGMENTS_MALFORMED');
  // an extra continuation after the store is complete
  const extra = new Uint8Array(Buffer.concat([segs, segs.subarray(c)]));
  extra[segs.length + 11] = 4;
  code(() => findC2paSegments(withSegments(extra)), 'C2PA_SEGMENTS_MALFORMED');
  // store's LBox larger than what the segments carry
  const short = c2paSegments(store(500));
  short[15] = short[15]! + 1; // LBox + 1 in the single segment
  code(() => findC2paSegments(withSegments(short)), 'C2PA_SEGMENTS_MALFORMED');
  // two stores
  const one = c2paSegments(store(300));
  code(() => findC2paSegments(withSegments(new Uint8Array(Buffer.concat([one, photo.subarray(2, app0End), one])))), 'C2PA_SEGMENTS_MALFORMED');
  // a claimed 4 GiB store
  const huge = Uint8Array.from(one);
  huge.set([0xff, 0xff, 0xff, 0xff], 12);
  code(() => findC2paSegments(withSegments(huge)), 'C2PA_TOO_LARGE');
  // a non-C2PA APP11 (JPEG XT box of another kind) is left alone
  const other = Uint8Array.from(one);
  other[4 + 24] = 0x41; // content byte 24: not "c2pa"
  assert.equal(findC2paSegments(withSegments(other)), null);
});

test('JPEG marker walk: SOI required, lengths checked, markers before SOS, fill bytes', () => {
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd9, 0, 0])), 'C2PA_JPEG_MALFORMED');
  code(() => jpegHeaderSegments(photo.subarray(0, 3)), 'C2PA_JPEG_MALFORMED');
  code(() => jpegHeaderSegments(photo.subarray(0, app0End - 3)), 'C2PA_JPEG_MALFORMED');
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xda])), 'C2PA_JPEG_MALFORMED'); // length 1
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), 'C2PA_JPEG_MALFORMED'); // EOI before SOS
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd8, 0x00, 0xd9, 0xff, 0xda])), 'C2PA_JPEG_MALFORMED'); // not a marker
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd8, 0xff, 0xff, 0xff])), 'C2PA_JPEG_MALFORMED');
  code(() => jpegHeaderSegments(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00])), 'C2PA_JPEG_MALFORMED'); // no SOS
  const fill = new Uint8Array([0xff, 0xd8, 0xff, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda]);
  assert.deepEqual(jpegHeaderSegments(fill), [{ marker: 0xe0, start: 2, contentStart: 7, end: 9 }]);
  assert.throws(() => jpegHeaderSegments('x' as unknown as Uint8Array), TypeError);
});

test('JUMBF boxes: round trip, and every malformed length, type, label and toggle is C2PA_JUMBF_MALFORMED', () => {
  const salt = jumbfBox('c2sh', new Uint8Array(16).fill(9));
  const sb = jumbfSuperbox(UUID.cborAssertion, 'org.sealcam.capture', [jumbfBox('cbor', new Uint8Array([0xa0]))], salt);
  const [box] = parseBoxes(sb, 't');
  const p = parseSuperbox(box!, 't');
  assert.equal(p.uuid, UUID.cborAssertion);
  assert.equal(p.toggles, 0x13);
  assert.equal(p.label, 'org.sealcam.capture');
  assert.deepEqual(p.privateBox, { type: 'c2sh', payload: new Uint8Array(16).fill(9) });
  assert.deepEqual(p.children, [{ type: 'cbor', payload: new Uint8Array([0xa0]) }]);
  assert.deepEqual(p.payload, sb.subarray(8));

  const len = (b: Uint8Array, v: number): Uint8Array => {
    const o = Uint8Array.from(b);
    new DataView(o.buffer).setUint32(0, v);
    return o;
  };
  for (const bad of [len(sb, 0), len(sb, 1), len(sb, 7), len(sb, sb.length + 1), sb.subarray(0, 5), new Uint8Array([0, 0, 0, 8, 0x6a, 0x75, 0x6d, 0x01])]) {
    code(() => parseBoxes(bad, 't'), 'C2PA_JUMBF_MALFORMED');
  }
  code(() => parseBoxes(new Uint8Array(Buffer.concat([sb, sb])), 't', 1), 'C2PA_JUMBF_MALFORMED');
  const jumd = (body: Uint8Array): Uint8Array => jumbfBox('jumb', jumbfBox('jumd', body));
  const uuid = Buffer.from(UUID.cborAssertion, 'hex');
  const sup = (b: Uint8Array): void => code(() => parseSuperbox(parseBoxes(b, 't')[0]!, 't'), 'C2PA_JUMBF_MALFORMED');
  sup(jumd(new Uint8Array(16))); // shorter than 17
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x23]), Buffer.from('x\0')])))); // reserved toggle bit 5
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x03]), Buffer.from('no-nul')])))); // label not terminated
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x03]), Buffer.from([0xc3, 0x28, 0])])))); // not UTF-8
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x03]), Buffer.from('a\0junk')])))); // trailing bytes
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x13]), Buffer.from('a\0')])))); // private toggle, no box
  sup(jumd(new Uint8Array(Buffer.concat([uuid, Buffer.from([0x07]), Buffer.from('a\0\0\0')])))); // ID toggle, truncated ID
  sup(jumbfBox('jumb', jumbfBox('cbor', new Uint8Array(20)))); // no description box first
  code(() => parseSuperbox({ type: 'cbor', payload: new Uint8Array(0) }, 't'), 'C2PA_JUMBF_MALFORMED');
  assert.throws(() => jumbfBox('toolong', new Uint8Array(0)), RangeError);
  assert.throws(() => jumbfSuperbox('zz', 'a', []), RangeError);
  assert.throws(() => jumbfSuperbox(UUID.store, '', []), RangeError);
  assert.throws(() => jumbfSuperbox(UUID.store, 'a\0b', []), RangeError);
});
