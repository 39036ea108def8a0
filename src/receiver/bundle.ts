/**
 * Capture bundles from the receiver store (SCHEME.md Appendix) with the
 * optional `"saveHash": { "inclusion", "chain" }` field (docs/LEDGER.md §7),
 * and their verification: the bundle proper with src/dstp `verifyBundle`
 * (which does not know the field), the field with `verifyInclusion`. Pure.
 */
import { bundleToJson, verifyBundle, type BundleVerdict, type CaptureBundle } from '../dstp/bundle.js';
import { blockDigest } from '../dstp/digest.js';
import { headerDigest } from '../dstp/header.js';
import { dstpAddress } from '../dstp/header-sign.js';
import { decodeHeader } from '../dstp/header.js';
import { merkleLeaf } from '../dstp/merkle.js';
import type { Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { fromHex } from '../platform/bytes.js';
import { isSealcamError, SealcamError } from '../platform/errors.js';
import type { DstpReason } from '../dstp/reasons.js';
import { verifyInclusion, type SaveHashChainData, type SaveHashReason } from './savehash.js';
import { chainFromJson, inclusionFromJson } from './savehash-json.js';
import type { StoredBlock } from './store-codec.js';

/** What the store holds for one capture, plus its registered keys. */
export interface StoredCaptureParts {
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  /** FsPublicKey bytes of the key cycle named by the header's keyId. */
  readonly fsPublicKey: Uint8Array;
  readonly header: Uint8Array;
  readonly headerSignature: Uint8Array;
  readonly blocks: readonly StoredBlock[];
}

/**
 * Builds the bundle model (claims recomputed: deviceAddr, headerDigest, frameRoot, leaf, d).
 * @throws SealcamError HEADER_* when the header does not decode; errors of dstpAddress on a bad key.
 */
export function storedBundle(p: StoredCaptureParts): CaptureBundle {
  const h = decodeHeader(p.header);
  const digest = headerDigest(p.header);
  return {
    suite: p.suite, devicePublicKey: p.devicePublicKey, deviceAddr: dstpAddress(p.suite, p.devicePublicKey), header: p.header,
    headerDigest: digest, headerSignature: p.headerSignature, publicKey: p.fsPublicKey, frameRoot: h.frameRoot,
    blocks: [...p.blocks].sort((a, b) => a.i - b.i).map((b) => {
      const blockHash = sha256(b.data);
      return {
        i: b.i, off: b.off, len: b.len, blockHash, leaf: merkleLeaf(b.i, b.off, b.len, blockHash), proof: b.proof,
        d: blockDigest(digest, b.i, blockHash), fsSignature: b.fsSignature, data: b.data,
      };
    }),
  };
}

/** The bundle JSON object, with the `saveHash` field appended when given. */
export function bundleJson(b: CaptureBundle, saveHash: unknown): Record<string, unknown> {
  const out = bundleToJson(b);
  if (saveHash !== null && saveHash !== undefined) out.saveHash = saveHash;
  return out;
}

/** Result of {@link verifyReceiverBundle}: `reason` is the bundle's, else the saveHash field's. */
export interface ReceiverBundleVerdict extends Omit<BundleVerdict, 'reason'> {
  readonly reason: DstpReason | SaveHashReason | null;
  /** Outcome of the saveHash field: absent, valid (null reason) or its SaveHash reason. */
  readonly saveHash: { readonly present: boolean; readonly reason: SaveHashReason | null };
}

/** Parses the `saveHash` field: `{ inclusion, chain? }` (closed key set). @throws SealcamError SAVEHASH_FORMAT | SAVEHASH_CHAIN. */
export function parseSaveHashField(v: unknown): { inclusion: ReturnType<typeof inclusionFromJson>; chain: SaveHashChainData | null } {
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(o, 'inclusion')
    || Object.keys(o).some((k) => k !== 'inclusion' && k !== 'chain')) {
    throw new SealcamError('SAVEHASH_FORMAT', 'saveHash must be {"inclusion": …, "chain"?: …}');
  }
  return { inclusion: inclusionFromJson(o.inclusion), chain: o.chain === undefined ? null : chainFromJson(o.chain) };
}

/**
 * Verifies a bundle JSON value that may carry a `saveHash` field: the bundle
 * without the field by `verifyBundle` (SCHEME.md Appendix), then the field:
 * the inclusion of the bundle's headerDigest, against the embedded chain
 * segment when present. `valid` requires both. Never throws for hostile input.
 */
export function verifyReceiverBundle(json: unknown): ReceiverBundleVerdict {
  let rest: unknown = json;
  let field: unknown;
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && Object.hasOwn(json, 'saveHash')) {
    const { saveHash, ...others } = json as Record<string, unknown>;
    rest = others;
    field = saveHash;
  }
  const v = verifyBundle(rest);
  if (field === undefined) return { ...v, saveHash: { present: false, reason: null } };
  let reason: SaveHashReason | null;
  try {
    const { inclusion, chain } = parseSaveHashField(field);
    const digest = fromHex((rest as { headerDigest: string }).headerDigest);
    reason = v.valid ? verifyInclusion(digest, inclusion, chain) : null;
  } catch (e) {
    reason = isSealcamError(e, 'SAVEHASH_FORMAT', 'SAVEHASH_CHAIN') ? (e.code as SaveHashReason) : 'SAVEHASH_FORMAT';
  }
  const checks = [...v.checks, reason === null ? { name: 'savehash', ok: true } : { name: 'savehash', ok: false, detail: reason }];
  if (!v.valid) return { ...v, checks, saveHash: { present: true, reason } };
  return reason === null
    ? { ...v, checks, saveHash: { present: true, reason } }
    : { valid: false, reason, checks, saveHash: { present: true, reason } };
}
