/** FsSignature verification (SCHEME.md §4, Algorithm 5 corrected). */
import { modexp } from '../crypto/modexp/index.js';
import { equalBytes, os2ip } from '../platform/bytes.js';
import type { VerifyReason } from './errors.js';
import { keyContext } from './key-context.js';
import { periodOf } from './period.js';
import { FS_SIG_VERSION } from './tags.js';
import type { FsPublicKey } from './types.js';

/**
 * Verifies signature bytes over the 32-byte digest d under a VALIDATED key
 * (from decodeFsPublicKey), with the checks in the order of SCHEME.md §4.
 * Returns null when valid, else the first failing reason. Never throws for
 * malformed d or signature bytes (non-Uint8Array inputs count as wrong length).
 * @throws only if pk is not a validated FsPublicKey
 */
export function fsVerify(pk: FsPublicKey, d: Uint8Array, signature: Uint8Array): VerifyReason | null {
  if (!(d instanceof Uint8Array) || d.length !== 32) return 'DIGEST_LENGTH';
  const ctx = keyContext(pk);
  const K = ctx.K;
  if (!(signature instanceof Uint8Array) || signature.length !== 39 + K) return 'SIG_LENGTH';
  if (signature[0] !== FS_SIG_VERSION) return 'SIG_VERSION';
  const b = new DataView(signature.buffer, signature.byteOffset, signature.length);
  const i = b.getUint16(1);
  const m = b.getUint32(3);
  const ts = b.getBigUint64(7);
  const seq = b.getBigUint64(15);
  const omega = signature.subarray(23, 39);
  if (i < 1 || i > pk.n) return 'BLOCK_INDEX_RANGE';
  if (m < 1 || m > pk.T) return 'PERIOD_RANGE';
  if (periodOf(pk, ts) !== m) return 'PERIOD_TS_MISMATCH';
  const y = os2ip(signature.subarray(39));
  if (y === 0n || y >= pk.N) return 'Y_RANGE';
  const be = modexp();
  const e = ctx.exponent(i, m);
  const x = (be.powPublic(y, e, pk.N) * be.powPublic(pk.V, os2ip(omega), pk.N)) % pk.N;
  const want = ctx.omega(i, m, ts, seq, d, x);
  return equalBytes(want, omega) ? null : 'OMEGA_MISMATCH';
}

