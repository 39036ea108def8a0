/**
 * Capture bundles (SCHEME.md Appendix; `sealcam export` / `sealcam sign`): the
 * fields of a dstp-v1 case without valid/reason, all blocks 1..c each exactly once
 * with base64 `data`. Strict reader, canonical writer, full verification with the
 * reassembled capture. Pure: no I/O (the CLI writes the text atomically).
 */
import { SealcamError } from '../platform/errors.js';
import { caseToJson, readCase } from './case-json.js';
import type { DstpCase, DstpCaseBlock } from './case-json.js';
import { verifyCaseModel } from './case-verify.js';
import type { VerifyCheck } from './case-verify.js';
import { FormError } from './json-form.js';
import type { DstpReason } from './reasons.js';

/** A capture bundle: a case whose every block carries its data. */
export interface CaptureBundle extends Omit<DstpCase, 'blocks' | 'valid' | 'reason'> {
  readonly blocks: readonly (DstpCaseBlock & { readonly data: Uint8Array })[];
}

/** Result of verifyBundle. */
export interface BundleVerdict {
  readonly valid: boolean;
  readonly reason: DstpReason | null;
  /** Checks in the order they ran; the last one failed when !valid. */
  readonly checks: VerifyCheck[];
  /** The reassembled capture bytes, when valid. */
  readonly capture?: Uint8Array;
}

/**
 * Strict reader of a bundle JSON value.
 * @throws SealcamError<'BUNDLE_FORMAT'> on any form violation (JSON path in the message).
 */
export function parseBundle(json: unknown): CaptureBundle {
  try {
    return readCase(json, 'bundle') as CaptureBundle;
  } catch (e) {
    if (e instanceof FormError) throw new SealcamError('BUNDLE_FORMAT', e.message, { cause: e });
    throw new SealcamError('BUNDLE_FORMAT', 'malformed bundle', { cause: e });
  }
}

/**
 * Verifies a bundle JSON value: BUNDLE_FORMAT, then the stages documented in
 * case-verify.ts (incl. BLOCK_DATA_HASH, BUNDLE_INCOMPLETE, BLOCK_LAYOUT,
 * CAPTURE_LENGTH, CAPTURE_HASH, claims). Never throws for hostile input.
 */
export function verifyBundle(json: unknown): BundleVerdict {
  let b: CaptureBundle;
  try {
    b = parseBundle(json);
  } catch (e) {
    const detail = e instanceof Error ? e.message : 'malformed bundle';
    return { valid: false, reason: 'BUNDLE_FORMAT', checks: [{ name: 'format', ok: false, detail }] };
  }
  const out = verifyCaseModel(b, 'bundle');
  const checks: VerifyCheck[] = [{ name: 'format', ok: true }, ...out.checks];
  if (out.reason !== null) return { valid: false, reason: out.reason, checks };
  return out.capture === undefined ? { valid: true, reason: null, checks } : { valid: true, reason: null, checks, capture: out.capture };
}

/**
 * The bundle as a canonical JSON object (Appendix key order, blocks sorted by i).
 * Accepts a SignedCapture (device/pipeline/capture-signer.ts) or a parsed bundle.
 * @throws TypeError unless every block carries `data`; RangeError on negative integers.
 */
export function bundleToJson(b: CaptureBundle): Record<string, unknown> {
  if (!Array.isArray(b?.blocks) || b.blocks.some((x) => !(x?.data instanceof Uint8Array))) {
    throw new TypeError('bundle.blocks[*].data must be Uint8Arrays');
  }
  const { suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey, frameRoot, chain, saveHash } = b;
  return caseToJson({
    suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey, frameRoot,
    blocks: [...b.blocks].sort((x, y) => x.i - y.i),
    ...(saveHash !== undefined ? { saveHash } : {}),
    ...(chain !== undefined ? { chain } : {}),
  });
}

/**
 * The bundle file text: 2-space JSON with a trailing newline (see bundleToJson).
 * @throws TypeError / RangeError as bundleToJson.
 */
export function writeBundle(b: CaptureBundle): string {
  return JSON.stringify(bundleToJson(b), null, 2) + '\n';
}
