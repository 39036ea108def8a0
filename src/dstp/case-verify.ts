/**
 * Verification of a parsed dstp-v1 case or capture bundle (SCHEME.md §6 and
 * Appendix). The §6 order is normative inside the header and block stages; the
 * stages around them are our documented precedence (docs/PROTOCOL.md):
 *
 *   1. form (CASE_FORMAT / BUNDLE_FORMAT) — by the caller's parser
 *   2. block list: BLOCKS_EMPTY, BLOCK_DUPLICATE
 *   3. registered keys: DEVICE_KEY_INVALID, then FSKEY_* (FsPublicKey validation)
 *   4. header stage (verifyHeader): HEADER_LENGTH … HEADER_PERIOD
 *   5. each listed block, in listed order (verifyBlockWithHeader): BLOCK_INDEX_RANGE … FS_OMEGA_MISMATCH
 *   6. bundles only: BUNDLE_INCOMPLETE (fewer than c blocks)
 *   7. BLOCK_LAYOUT (cases listing all c blocks; always for bundles)
 *   8. bundles only: CAPTURE_LENGTH (Σ len(data) ≠ captureLen), CAPTURE_HASH
 *   9. claims, last: DEVICE_ADDR_FIELD, HEADER_DIGEST_FIELD, FRAME_ROOT_FIELD, then
 *      per listed block LEAF_FIELD, D_FIELD.
 *
 * Claims come last on purpose: they are redundant annotations, so a tampered case
 * reports the cryptographic failure (e.g. ECDSA_BAD_SIGNATURE), not a stale claim.
 * Pure: no I/O.
 */
import { ecdsaCheckPublicKey } from '../crypto/ecdsa.js';
import { equalBytes } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { sha256Stream } from '../crypto/hash.js';
import { decodeFsPublicKey } from '../scheme/public-key.js';
import type { FsPublicKey } from '../scheme/types.js';
import type { CaseKind, DstpCase } from './case-json.js';
import { blockDigest } from './digest.js';
import { headerDigest } from './header.js';
import { dstpAddress } from './header-sign.js';
import { merkleLeaf } from './merkle.js';
import type { DstpReason } from './reasons.js';
import { checkBlockLayout, verifyBlockWithHeader, verifyHeader } from './verify.js';
import type { DstpVerifyContext } from './verify.js';

/** One named check of a verification run (for `sealcam verify` output). */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  /** The reason code when the check failed; extra information otherwise. */
  readonly detail?: string;
}

/** Outcome of a case/bundle run: the first failing reason, the checks run, the capture. */
export interface CaseOutcome {
  readonly reason: DstpReason | null;
  readonly checks: VerifyCheck[];
  /** The reassembled capture (bundles that verified only). */
  readonly capture?: Uint8Array;
}

/**
 * Runs stages 2–9 above over a parsed case (`kind` 'case') or bundle ('bundle').
 * Stops at the first failure. Never throws for hostile content.
 */
export function verifyCaseModel(c: DstpCase, kind: CaseKind): CaseOutcome {
  const checks: VerifyCheck[] = [];
  const pass = (name: string, detail?: string): void => {
    checks.push(detail === undefined ? { name, ok: true } : { name, ok: true, detail });
  };
  const fail = (name: string, reason: DstpReason): CaseOutcome => {
    checks.push({ name, ok: false, detail: reason });
    return { reason, checks };
  };

  if (c.blocks.length === 0) return fail('blocks', 'BLOCKS_EMPTY');
  const seen = new Set<number>();
  for (const b of c.blocks) {
    if (seen.has(b.i)) return fail('blocks', 'BLOCK_DUPLICATE');
    seen.add(b.i);
  }
  pass('blocks', `${c.blocks.length} listed`);

  if (ecdsaCheckPublicKey(c.suite, c.devicePublicKey) !== null) return fail('device-key', 'DEVICE_KEY_INVALID');
  pass('device-key');
  let fsPublicKey: FsPublicKey;
  try {
    fsPublicKey = decodeFsPublicKey(c.publicKey);
  } catch (e) {
    if (isSealcamError(e) && e.code.startsWith('KEY_')) return fail('fs-key', `FS${e.code}` as DstpReason);
    throw e;
  }
  pass('fs-key');

  const ctx: DstpVerifyContext = { devicePublicKey: c.devicePublicKey, suite: c.suite, fsPublicKey };
  const hv = verifyHeader(ctx, c.header, c.headerSignature);
  if (!hv.ok) return fail('header', hv.reason);
  const h = hv.header.header;
  pass('header', `c=${h.c} m=${h.m} seq=${h.seq}`);

  for (const b of c.blocks) {
    const r = verifyBlockWithHeader(ctx, hv.header, b);
    if (r !== null) return fail(`block ${b.i}`, r);
    pass(`block ${b.i}`);
  }

  let capture: Uint8Array | undefined;
  if (kind === 'bundle') {
    if (c.blocks.length !== h.c) return fail('complete', 'BUNDLE_INCOMPLETE');
    pass('complete');
  }
  if (c.blocks.length === h.c) {
    const layout = checkBlockLayout(h, c.blocks);
    if (layout !== null) return fail('layout', layout);
    pass('layout');
  }
  if (kind === 'bundle') {
    const total = c.blocks.reduce((a, b) => a + (b.data?.length ?? 0), 0);
    if (BigInt(total) !== h.captureLen) return fail('capture-length', 'CAPTURE_LENGTH');
    pass('capture-length');
    capture = new Uint8Array(total);
    const hash = sha256Stream();
    for (const b of [...c.blocks].sort((x, y) => x.i - y.i)) {
      capture.set(b.data!, Number(b.off));
      hash.update(b.data!);
    }
    if (!equalBytes(hash.digest(), h.captureHash)) return fail('capture-hash', 'CAPTURE_HASH');
    pass('capture-hash');
  }

  if (!equalBytes(c.deviceAddr, dstpAddress(c.suite, c.devicePublicKey))) return fail('claims', 'DEVICE_ADDR_FIELD');
  if (!equalBytes(c.headerDigest, headerDigest(c.header))) return fail('claims', 'HEADER_DIGEST_FIELD');
  if (!equalBytes(c.frameRoot, h.frameRoot)) return fail('claims', 'FRAME_ROOT_FIELD');
  for (const b of c.blocks) {
    if (!equalBytes(b.leaf, merkleLeaf(b.i, b.off, b.len, b.blockHash))) return fail('claims', 'LEAF_FIELD');
    if (!equalBytes(b.d, blockDigest(hv.header.digest, b.i, b.blockHash))) return fail('claims', 'D_FIELD');
  }
  pass('claims');
  return capture === undefined ? { reason: null, checks } : { reason: null, checks, capture };
}
