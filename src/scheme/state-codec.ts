/**
 * Versioned binary encoding of an FsKeyState (secret!):
 *   "SCFS" || u8(1) || u16(pkLen) || FsPublicKey || u32(m) || K_m(32) || I2OSP(W_m, K) || I2OSP(S_i, K) × n
 *   || u16(#pebbles) || (u32 lo || u32 hi || I2OSP(value, K)) × #pebbles        (ascending lo)
 *   || u16(#splits)  || (u32 lo || u8 phase || u32 next || [acc K] || [left K, phase 1]) × #splits  (ascending lo)
 * A split's acc is present iff next is past its phase's first index (canonical).
 * The decoder checks structure and ranges (pebbles are tree nodes covering
 * exactly [m+1, T], values in [1, N−1], splits on pebbles of size ≥ 2 with
 * in-range progress, no trailing bytes); FsKeyState.decode adds the
 * algebraic check of W_m and the S_i against V.
 */
import { ByteReader, concat, equalBytes, os2ip, u16, u32, u8 } from '../platform/bytes.js';
import { schemeError } from './errors.js';
import type { Pebble, Split } from './pebble-engine.js';
import { isTreeNode, midOf, treeDepth } from './pebble-tree.js';
import { decodeFsPublicKey } from './public-key.js';
import { STATE_MAGIC } from './tags.js';
import type { FsPublicKey } from './types.js';

/** Current state encoding version. */
export const STATE_VERSION = 1;

/** Raw content of a state encoding. */
export interface StateFields {
  pk: FsPublicKey;
  m: number;
  K: Uint8Array;
  W: Uint8Array;
  S: Uint8Array[];
  pebbles: Pebble[];
  splits: Map<number, Split>;
}

/** Serialises state fields (values already I2OSP'd to K bytes). */
export function encodeStateFields(f: StateFields): Uint8Array {
  const parts: Uint8Array[] = [STATE_MAGIC, u8(STATE_VERSION), u16(f.pk.bytes.length), f.pk.bytes, u32(f.m), f.K, f.W, ...f.S];
  const peb = [...f.pebbles].sort((a, b) => a.lo - b.lo);
  parts.push(u16(peb.length));
  for (const p of peb) parts.push(u32(p.lo), u32(p.hi), p.value);
  const sp = [...f.splits.entries()].sort((a, b) => a[0] - b[0]);
  parts.push(u16(sp.length));
  for (const [lo, s] of sp) {
    parts.push(u32(lo), u8(s.phase), u32(s.next));
    if (s.acc) parts.push(s.acc);
    if (s.phase === 1) parts.push(s.left!);
  }
  return concat(...parts);
}

function bad(msg: string, cause?: unknown): never {
  throw schemeError('STATE_FORMAT', msg, cause);
}

/**
 * Parses and structurally validates a state encoding.
 * @throws TypeError if bytes is not a Uint8Array; SealcamError 'STATE_FORMAT' | 'STATE_VERSION'
 */
export function decodeStateFields(bytes: Uint8Array): StateFields {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const r = new ByteReader(bytes);
  const copies: Uint8Array[] = [];
  try {
    if (bytes.length < 5 || !equalBytes(r.bytes(4), STATE_MAGIC)) bad('not an FsKeyState encoding');
    const v = r.u8();
    if (v !== STATE_VERSION) throw schemeError('STATE_VERSION', `unknown state version ${v}`);
    let pk: FsPublicKey;
    try {
      pk = decodeFsPublicKey(r.bytes(r.u16()));
    } catch (e) {
      return bad('embedded public key is invalid', e);
    }
    const K = pk.k / 8;
    const value = (what: string): Uint8Array => {
      const b = Uint8Array.from(r.bytes(K));
      copies.push(b);
      const x = os2ip(b);
      if (x === 0n || x >= pk.N) bad(`${what} out of range`);
      return b;
    };
    const m = r.u32();
    if (m < 1 || m > pk.T) bad(`period ${m} outside [1, ${pk.T}]`);
    const Km = Uint8Array.from(r.bytes(32));
    copies.push(Km);
    const W = value('W');
    const S: Uint8Array[] = [];
    for (let i = 1; i <= pk.n; i++) S.push(value(`S_${i}`));
    const maxPebbles = 8 * treeDepth(pk.T) + 16;
    const count = r.u16();
    if (count > maxPebbles) bad(`${count} pebbles exceed ${maxPebbles}`);
    const pebbles: Pebble[] = [];
    let expect = m + 1;
    for (let c = 0; c < count; c++) {
      const lo = r.u32();
      const hi = r.u32();
      if (lo !== expect || hi < lo || hi > pk.T || !isTreeNode(lo, hi, pk.T)) bad(`pebble [${lo}, ${hi}] is not the next tree node`);
      pebbles.push({ lo, hi, value: value(`pebble ${lo}`) });
      expect = hi + 1;
    }
    if (expect !== pk.T + 1) bad('pebbles do not cover the future periods');
    const splits = new Map<number, Split>();
    const sc = r.u16();
    let prev = 0;
    for (let c = 0; c < sc; c++) {
      const lo = r.u32();
      const p = pebbles.find((q) => q.lo === lo);
      if (lo <= prev || !p || p.hi === p.lo) bad(`split at ${lo} has no splittable pebble`);
      prev = lo;
      const mid = midOf(p.lo, p.hi);
      const phase = r.u8();
      const next = r.u32();
      if (phase === 0) {
        if (next < mid + 2 || next > p.hi) bad(`split at ${lo}: phase-0 progress out of range`);
        splits.set(lo, { phase: 0, next, acc: value(`split ${lo} acc`) });
      } else if (phase === 1) {
        if (next < p.lo || next > mid) bad(`split at ${lo}: phase-1 progress out of range`);
        const acc = next > p.lo ? value(`split ${lo} acc`) : undefined;
        const s: Split = { phase: 1, next, left: value(`split ${lo} left`) };
        if (acc) s.acc = acc;
        splits.set(lo, s);
      } else {
        bad(`split at ${lo}: unknown phase ${phase}`);
      }
    }
    if (r.remaining !== 0) bad(`${r.remaining} trailing bytes`);
    return { pk, m, K: Km, W, S, pebbles, splits };
  } catch (e) {
    for (const c of copies) c.fill(0);
    if (e instanceof RangeError) bad('truncated', e);
    throw e;
  }
}
