/**
 * Block signing core (SCHEME.md §4 steps 1–5, Algorithm 4 corrected). Pure:
 * the caller (FsKeyState) supplies the block key S_{i,m} and K_m and has
 * already checked that ts lies in period m.
 */
import { hkdfSha256 } from '../crypto/hash.js';
import type { ModExp } from '../crypto/modexp/types.js';
import { concat, os2ip, wipe } from '../platform/bytes.js';
import type { Rng } from '../platform/rng.js';
import { writeI2osp } from './fast-bytes.js';
import type { KeyContext } from './key-context.js';
import { FS_SIG_VERSION } from './tags.js';

/** Inputs of one signature. */
export interface SignInput {
  i: number;
  m: number;
  ts: bigint;
  seq: bigint;
  d: Uint8Array;
}

/**
 * Signs with block key S = S_{i,m} and nonce key Km = K_m; returns the FsSignature bytes.
 * No range checks here: FsKeyState.sign does them.
 */
export function signWithBlockKey(ctx: KeyContext, be: ModExp, S: bigint, Km: Uint8Array, inp: SignInput, rng: Rng): Uint8Array {
  const { N } = ctx.pk;
  const K = ctx.K;
  const info = ctx.nonceInfo(inp.i, inp.m, inp.ts, inp.seq);
  let r = 0n;
  while (r < 2n) {
    const rnd = rng.bytes(32);
    const ikm = concat(Km, rnd);
    const okm = hkdfSha256(ikm, inp.d, info, K + 16);
    r = os2ip(okm) % N;
    wipe(rnd, ikm, okm);
  }
  const x = be.powSecret(r, ctx.exponent(inp.i, inp.m), N);
  const omega = ctx.omega(inp.i, inp.m, inp.ts, inp.seq, inp.d, x);
  const y = (r * be.powSecret(S, os2ip(omega), N)) % N;
  const out = new Uint8Array(39 + K);
  const v = new DataView(out.buffer);
  out[0] = FS_SIG_VERSION;
  v.setUint16(1, inp.i);
  v.setUint32(3, inp.m);
  v.setBigUint64(7, inp.ts);
  v.setBigUint64(15, inp.seq);
  out.set(omega, 23);
  writeI2osp(out, 39, y, K);
  return out;
}
