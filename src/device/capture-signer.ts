/**
 * Signs one capture with the device key and the key manager (SCHEME.md §6):
 * Algorithm 1 split, block hashes, Merkle root, the DSTP header and its
 * ECDSA signature, then all FsSignatures in ONE key-manager step with the key
 * of the capture's own period. The result is encoded as one BLOCK message
 * payload per block (what the outbox stores and the sessions send unchanged).
 *
 * The hot path (docs/DAEMON.md "Performance"): built from the src/dstp
 * primitives (the same ones dstp signCapture uses; tests verify every block
 * with src/dstp verifyBlock). Hashing goes through a CaptureHasher
 * (pipeline-hasher.ts: block 1 hashed once, the passes of a large capture on
 * two worker threads), and each BLOCK payload is produced as two parts —
 * the encoded message up to the data, then a view of the block bytes — which
 * the outbox writes with writev: the block bytes are never copied, and with
 * `checksum` (Outbox.checksum) the outbox checksums them while they are hashed.
 *
 * A capture whose period's key was erased while it waited (it straddled a
 * period boundary) is re-stamped with the current time and signed again: the
 * header's ts then says when it was signed, a few ms after it was taken.
 */
import type { Suite } from '../crypto/ecdsa.js';
import { blockDigest } from '../dstp/digest.js';
import { encodeHeader, headerDigest, type ContentType, type DstpMode } from '../dstp/header.js';
import { signHeader } from '../dstp/header-sign.js';
import { merkleLeaf, merkleProofs } from '../dstp/merkle.js';
import { splitCapture, type ServerSpace } from '../dstp/split.js';
import { isSealcamError, SealcamError } from '../platform/errors.js';
import { periodOf, type FsPublicKey } from '../scheme/index.js';
import { encodeMessage, type BlockMessage } from '../transport/messages.js';
import type { ChecksummedPart, RecordData } from '../outbox/record.js';
import { defaultCaptureHasher, type CaptureHasher } from './pipeline-hasher.js';

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
  /** DSTP address of the device key (= the key cycles' deviceAddr). */
  readonly address: Uint8Array;
  readonly secret: Uint8Array;
  readonly manufacturerAddr: Uint8Array;
  readonly ownerAddr: Uint8Array;
}

/** Options of {@link signCaptureForOutbox}. */
export interface SignOptions {
  /** Capture hashing (default: the process-wide hasher). */
  readonly hasher?: CaptureHasher;
  /** The outbox's part checksum (Outbox.checksum): block bytes are checksummed while they are hashed. */
  readonly checksum?: (bytes: Uint8Array) => ChecksummedPart;
}

/** A signed capture ready for the outbox. */
export interface SignedForOutbox {
  readonly seq: bigint;
  readonly ts: bigint;
  readonly m: number;
  readonly keyId: Uint8Array;
  readonly headerDigest: Uint8Array;
  /**
   * BLOCK message payloads, block i at [i-1], each as parts whose concatenation
   * is the encoded payload: [message up to the data, block bytes]. The block
   * bytes are views of the capture or of a pooled copy: valid until {@link release}.
   */
  readonly payloads: Uint8Array[][];
  /** The same payloads as outbox record data: the block bytes as checksummed parts when a `checksum` was given. */
  readonly records: RecordData[];
  /** Total bytes of the payloads. */
  readonly bytes: number;
  /** True when ts was moved past the capture time (see the file comment). */
  readonly restamped: boolean;
  /**
   * Algorithm 1's destination of block i at [i-1]: an index into the `servers(n)`
   * list the split was sized from, or null (no server: every destination gets it).
   */
  readonly servers: readonly (number | null)[];
  /** Gives pooled memory back once the payloads are stored (idempotent); the payloads must not be used afterwards. */
  release(): void;
}

interface Unsigned {
  readonly header: Uint8Array;
  readonly digest: Uint8Array;
  readonly headerSignature: Uint8Array;
  readonly m: number;
  readonly blocks: { i: number; off: bigint; len: number; data: Uint8Array; proof: { side: 'left' | 'right'; hash: Uint8Array }[]; d: Uint8Array }[];
  /** Checksummed block bytes (block i at [i-1]) when a checksum was given. */
  readonly sums: ChecksummedPart[] | null;
  /** Algorithm 1's server index of each block (see SignedForOutbox.servers). */
  readonly servers: (number | null)[];
  release(): void;
}

/** Everything but the FsSignatures: split, hashes, Merkle proofs, header, ECDSA, block digests. */
async function prepare(
  input: SignInput, ts: bigint, id: SignIdentity, pk: FsPublicKey, servers: (n: number) => readonly ServerSpace[], o: SignOptions,
): Promise<Unsigned> {
  const m = periodOf(pk, ts);
  if (m === null) throw new SealcamError('CAPTURE_PERIOD', `ts ${ts} is outside the key cycle`);
  const split = splitCapture(input.bytes.length, pk.n, servers(pk.n));
  let sums: ChecksummedPart[] | null = null;
  const checksum = o.checksum;
  const h = await (o.hasher ?? defaultCaptureHasher()).hash(input.bytes, split.blocks, checksum && ((bytes) => {
    sums = split.blocks.map((b) => checksum(bytes.subarray(b.off, b.off + b.len)));
  }));
  try {
    const parts = split.blocks.map((b, k) => {
      const blockHash = h.blockHashes[k]!;
      return { i: b.i, off: BigInt(b.off), len: b.len, data: h.bytes.subarray(b.off, b.off + b.len), blockHash, leaf: merkleLeaf(b.i, BigInt(b.off), b.len, blockHash) };
    });
    const { root, proofs } = merkleProofs(parts.map((b) => b.leaf));
    const header = encodeHeader({
      mode: input.mode, suite: id.suite, contentType: input.contentType, ts, seq: input.seq, manufacturerAddr: id.manufacturerAddr,
      deviceAddr: id.address, ownerAddr: id.ownerAddr, keyId: pk.keyId, m, captureLen: BigInt(input.bytes.length), captureHash: h.captureHash,
      c: parts.length, frameRoot: root, prevHeaderDigest: input.prevHeaderDigest,
    });
    const digest = headerDigest(header);
    return {
      header, digest, m, headerSignature: signHeader(id.suite, id.secret, header, digest), sums, release: h.release,
      servers: split.blocks.map((b) => b.server),
      blocks: parts.map((b, k) => ({ i: b.i, off: b.off, len: b.len, data: b.data, proof: proofs[k]!.map((p) => ({ side: p.side, hash: p.hash })), d: blockDigest(digest, b.i, b.blockHash) })),
    };
  } catch (e) {
    h.release();
    throw e;
  }
}

const NO_DATA = new Uint8Array(0);

/**
 * A BLOCK payload as [prefix, data]: concatenated, exactly `encodeMessage(msg).payload`.
 * The encoding ends with `u32 dataLength || data`, so the message encoded without
 * data ends with that length field, which is then set to the data's length.
 */
export function blockPayloadParts(msg: BlockMessage): Uint8Array[] {
  const prefix = encodeMessage({ ...msg, data: NO_DATA }).payload;
  new DataView(prefix.buffer, prefix.byteOffset + prefix.length - 4, 4).setUint32(0, msg.data.length);
  return msg.data.length ? [prefix, msg.data] : [prefix];
}

/**
 * Signs a capture. `servers` is the Algorithm 1 input (see ServerSpaceBook.spaces).
 * @throws KeyManagerError (KEY_NO_CYCLE, KEY_NOT_STARTED, KEY_TS_FUTURE, or KEY_PERIOD_PASSED
 *   twice in a row); SealcamError CAPTURE_PERIOD; RangeError on a malformed input (e.g. from `servers`)
 */
export async function signCaptureForOutbox(
  input: SignInput, id: SignIdentity, keys: CaptureKeys, servers: (n: number) => readonly ServerSpace[], now: () => bigint, o: SignOptions = {},
): Promise<SignedForOutbox> {
  let ts = input.ts;
  let restamped = false;
  for (let attempt = 0; ; attempt++) {
    let release: (() => void) | undefined;
    try {
      const { publicKey } = await keys.keyFor(ts);
      const u = await prepare(input, ts, id, publicKey, servers, o);
      release = u.release;
      const sigs = await keys.signBlocks(ts, input.seq, u.blocks.map((b) => b.d), 1);
      const payloads = u.blocks.map((b, k) => blockPayloadParts({
        type: 'block', header: u.header, headerSignature: u.headerSignature, index: b.i, off: b.off, len: b.len, proof: b.proof, fsSignature: sigs[k]!, data: b.data,
      }));
      const records = u.sums ? payloads.map((p, k) => [p[0]!, u.sums![k]!]) : payloads;
      let bytes = 0;
      for (const p of payloads) for (const part of p) bytes += part.length;
      return { seq: input.seq, ts, m: u.m, keyId: publicKey.keyId, headerDigest: u.digest, payloads, records, bytes, restamped, servers: u.servers, release: u.release };
    } catch (e) {
      release?.();
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
