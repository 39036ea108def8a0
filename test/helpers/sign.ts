/**
 * Tests and vectors sign through the shipping signer (src/device/pipeline/capture-signer.ts)
 * with one key cycle's state instead of a key manager: {@link signCapture} takes
 * the device secret, the cycle's signer and either Algorithm 1's servers or
 * explicit byte ranges.
 */
import { ecdsaPublicKey, type Suite } from '../../src/crypto/ecdsa.js';
import type { ContentType, DstpMode } from '../../src/dstp/header.js';
import { dstpAddress } from '../../src/dstp/header-sign.js';
import type { ServerSpace } from '../../src/dstp/split.js';
import { fsSignerKeys, signCaptureForOutbox, type FsSigner, type SignedCapture } from '../../src/device/pipeline/capture-signer.js';

export type { FsSigner, SignedBlock, SignedCapture } from '../../src/device/pipeline/capture-signer.js';

/** One capture to sign with one key cycle. */
export interface TestSignParams {
  readonly capture: Uint8Array;
  readonly ts: bigint;
  readonly seq: bigint;
  readonly mode: DstpMode;
  readonly contentType: ContentType;
  readonly manufacturerAddr: Uint8Array;
  readonly ownerAddr: Uint8Array;
  readonly suite: Suite;
  readonly deviceSecret: Uint8Array;
  readonly prevHeaderDigest: Uint8Array;
  /** Explicit byte ranges, or Algorithm 1 over `servers`. */
  readonly split: { readonly blocks: readonly { readonly off: number; readonly len: number }[] } | { readonly servers: readonly ServerSpace[] };
  readonly fsKey: FsSigner;
}

/** Signs through signCaptureForOutbox (no re-stamp: `now` is the capture time). */
export async function signCapture(p: TestSignParams): Promise<SignedCapture> {
  const publicKey = ecdsaPublicKey(p.suite, p.deviceSecret);
  const id = { suite: p.suite, publicKey, address: dstpAddress(p.suite, publicKey), secret: p.deviceSecret, manufacturerAddr: p.manufacturerAddr, ownerAddr: p.ownerAddr };
  const layout = p.split;
  const s = await signCaptureForOutbox(
    { bytes: p.capture, ts: p.ts, seq: p.seq, mode: p.mode, contentType: p.contentType, prevHeaderDigest: p.prevHeaderDigest },
    id, fsSignerKeys(p.fsKey), () => ('servers' in layout ? layout.servers : []), () => p.ts,
    'blocks' in layout ? { split: () => layout.blocks } : {},
  );
  const { suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey: fsPublicKey, frameRoot, blocks } = s;
  return { suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey: fsPublicKey, frameRoot, blocks };
}
