/**
 * Signs one capture with the device key and the key manager (SCHEME.md §6):
 * Algorithm 1 split, block hashes, Merkle root, DSTP header + ECDSA
 * signature (src/dstp signCapture), then all FsSignatures in ONE key-manager
 * step with the key of the capture's own period. The result is encoded as
 * one BLOCK message payload per block (what the outbox stores and the
 * sessions send unchanged).
 *
 * A capture whose period's key was erased while it waited (it straddled a
 * period boundary) is re-stamped with the current time and signed again: the
 * header's ts then says when it was signed, a few ms after it was taken.
 */
import type { Suite } from '../crypto/ecdsa.js';
import { signCapture, type FsSigner, type SignedCapture } from '../dstp/capture.js';
import type { ContentType, DstpMode } from '../dstp/header.js';
import { splitCapture, type ServerSpace } from '../dstp/split.js';
import { isSealcamError } from '../platform/errors.js';
import type { FsPublicKey } from '../scheme/index.js';
import { encodeMessage } from '../transport/messages.js';

/** The key manager operations used here. */
export interface CaptureKeys {
  keyFor(ts: bigint): Promise<{ publicKey: FsPublicKey; m: number }>;
  signBlocks(ts: bigint, seq: bigint, digests: readonly Uint8Array[], first?: number): Promise<Uint8Array[]>;
}

/** One capture to sign. */
export interface SignInput {
  readonly bytes: Uint8Array;
  readonly ts: bigint;
  readonly seq: bigint;
  readonly mode: DstpMode;
  readonly contentType: ContentType;
  readonly prevHeaderDigest: Uint8Array;
}

/** The device identity fields used here. */
export interface SignIdentity {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly manufacturerAddr: Uint8Array;
  readonly ownerAddr: Uint8Array;
}

/** A signed capture ready for the outbox. */
export interface SignedForOutbox {
  readonly seq: bigint;
  readonly ts: bigint;
  readonly m: number;
  readonly keyId: Uint8Array;
  readonly headerDigest: Uint8Array;
  /** BLOCK message payloads, block i at [i-1]. */
  readonly payloads: Uint8Array[];
  /** True when ts was moved past the capture time (see the file comment). */
  readonly restamped: boolean;
}

const PLACEHOLDER = new Uint8Array(1);

/** BLOCK payloads of a signed capture (data are copied into each payload). */
export function blockPayloads(sc: SignedCapture): Uint8Array[] {
  return sc.blocks.map((b) => encodeMessage({
    type: 'block', header: sc.header, headerSignature: sc.headerSignature, index: b.i, off: b.off, len: b.len,
    proof: b.proof.map((s) => ({ side: s.side, hash: s.hash })), fsSignature: b.fsSignature, data: b.data,
  }).payload);
}

/**
 * Signs a capture. `servers` is the Algorithm 1 input (see ServerSpaceBook.spaces).
 * @throws KeyManagerError (KEY_NO_CYCLE, KEY_NOT_STARTED, KEY_TS_FUTURE, or KEY_PERIOD_PASSED
 *   twice in a row); SealcamError CAPTURE_PERIOD; RangeError on a malformed input
 */
export async function signCaptureForOutbox(
  input: SignInput, id: SignIdentity, keys: CaptureKeys, servers: (n: number) => readonly ServerSpace[], now: () => bigint,
): Promise<SignedForOutbox> {
  let ts = input.ts;
  let restamped = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const { publicKey } = await keys.keyFor(ts);
      const digests: Uint8Array[] = [];
      const collector: FsSigner = {
        publicKey,
        sign: (_i, _ts, _seq, d) => {
          digests.push(d);
          return PLACEHOLDER;
        },
      };
      const split = splitCapture(input.bytes.length, publicKey.n, servers(publicKey.n));
      const sc = signCapture({
        capture: input.bytes, ts, seq: input.seq, mode: input.mode, contentType: input.contentType,
        manufacturerAddr: id.manufacturerAddr, ownerAddr: id.ownerAddr, suite: id.suite, deviceSecret: id.secret,
        prevHeaderDigest: input.prevHeaderDigest, split, fsKey: collector,
      });
      const sigs = await keys.signBlocks(ts, input.seq, digests, 1);
      const signed: SignedCapture = { ...sc, blocks: sc.blocks.map((b, k) => ({ ...b, fsSignature: sigs[k]! })) };
      const m = new DataView(sc.header.buffer, sc.header.byteOffset + 116, 4).getUint32(0);
      return { seq: input.seq, ts, m, keyId: publicKey.keyId, headerDigest: sc.headerDigest, payloads: blockPayloads(signed), restamped };
    } catch (e) {
      if (attempt === 0 && isSealcamError(e, 'KEY_PERIOD_PASSED', 'SIGN_PERIOD', 'CAPTURE_PERIOD')) {
        const t = now();
        if (t > ts) {
          ts = t;
          restamped = true;
          continue;
        }
      }
      throw e;
    }
  }
}
