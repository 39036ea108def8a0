/**
 * The bundle model (SCHEME.md Appendix) of a capture held as signed blocks —
 * a receiver's store, a device's outbox, the device's own pipeline — with
 * every claim recomputed (deviceAddr, headerDigest, frameRoot, leaf, d).
 * Pure; verification is src/verify's.
 */
import type { CaptureBundle } from './bundle.js';
import { blockDigest } from './digest.js';
import { decodeHeader, headerDigest } from './header.js';
import { dstpAddress } from './header-sign.js';
import { merkleLeaf, type ProofStep } from './merkle.js';
import type { Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';

/** One signed block as held: layout, proof, FsSignature and its bytes. */
export interface HeldBlock {
  readonly i: number;
  readonly off: bigint;
  readonly len: number;
  readonly proof: readonly ProofStep[];
  readonly fsSignature: Uint8Array;
  readonly data: Uint8Array;
}

/** What the store holds for one capture, plus its registered keys. */
export interface StoredCaptureParts {
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  /** FsPublicKey bytes of the key cycle named by the header's keyId. */
  readonly fsPublicKey: Uint8Array;
  readonly header: Uint8Array;
  readonly headerSignature: Uint8Array;
  readonly blocks: readonly HeldBlock[];
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

