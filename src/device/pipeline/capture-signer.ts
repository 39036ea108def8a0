/**
 * The capture signer (SCHEME.md §6), the only one: the daemon, `sealcam sign`,
 * the SDK (`sealcam/sign`), the test vectors and the tests all sign through
 * {@link signCaptureForOutbox}. It does the Algorithm 1 split (or takes the
 * caller's byte ranges), block hashes, the Merkle root, the DSTP header and its
 * ECDSA signature, then all FsSignatures in ONE key step with the key of the
 * capture's own period. The result is both the capture bundle's fields
 * (SignedCapture) and one BLOCK message payload per block (what the outbox
 * stores and the sessions send unchanged).
 *
 * The hot path (docs/DAEMON.md "Performance"): hashing goes through a
 * CaptureHasher (device/pipeline/hasher.ts: block 1 hashed once, the passes of a
 * large capture on two worker threads), and each BLOCK payload is produced as
 * two parts — the encoded message up to the data, then a view of the block
 * bytes — which the outbox writes with writev: the block bytes are never
 * copied, and with `checksum` (Outbox.checksum) the outbox checksums them
 * while they are hashed.
 *
 * A capture whose period's key was erased while it waited (it straddled a
 * period boundary) is re-stamped with the current time and signed again: the
 * header's ts then says when it was signed, a few ms after it was taken.
 */
import type { Suite } from '../../crypto/ecdsa.js';
import type { DstpCase, DstpCaseBlock } from '../../dstp/case-json.js';
import { blockDigest } from '../../dstp/digest.js';
import { encodeHeader, headerDigest, type ContentType, type DstpMode } from '../../dstp/header.js';
import { signHeader } from '../../dstp/header-sign.js';
import { merkleLeaf, merkleProofs, type ProofStep } from '../../dstp/merkle.js';
import { splitCapture, type ServerSpace } from '../../dstp/split.js';
import { equalBytes } from '../../platform/bytes.js';
import { isSealcamError, SealcamError } from '../../platform/errors.js';
import { periodOf, type FsPublicKey } from '../../scheme/index.js';
import { encodeMessage, type BlockMessage } from '../../transport/messages.js';
import type { ChecksummedPart, RecordData } from '../../outbox/record.js';
import { defaultCaptureHasher, type CaptureHasher } from './hasher.js';

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

/**
 * One key cycle's forward-secure signer (FsKeyState at the capture's period
 * satisfies it with `sign: (i, ts, seq, d) => state.sign(i, ts, seq, d, rng)`).
 */
export interface FsSigner {
  readonly publicKey: FsPublicKey;
  /** FsSignature bytes of digest d as block i at ts/seq; throws outside its current period. */
  sign(i: number, ts: bigint, seq: bigint, d: Uint8Array): Uint8Array;
}

/**
 * {@link CaptureKeys} over one key cycle without a key manager (the vectors,
 * tests, tools): keyFor(ts) is the cycle's key when ts falls in it.
 * @throws SealcamError 'CAPTURE_PERIOD' (from keyFor) when ts is outside the cycle
 */
export function fsSignerKeys(signer: FsSigner): CaptureKeys {
  if (typeof signer?.sign !== 'function') throw new TypeError('signer must have sign()');
  const pk = signer.publicKey;
  return {
    keyFor: (ts) => {
      const m = periodOf(pk, ts);
      return m === null ? Promise.reject(new SealcamError('CAPTURE_PERIOD', `ts ${ts} is outside the key cycle`)) : Promise.resolve({ publicKey: pk, m });
    },
    signBlocks: (ts, seq, digests, first = 1) => {
      try {
        return Promise.resolve(digests.map((d, k) => signer.sign(first + k, ts, seq, d)));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}

/** The device identity fields used here. */
export interface SignIdentity {
  readonly suite: Suite;
  /** The device's ECDSA public key (the bundle's devicePublicKey). */
  readonly publicKey: Uint8Array;
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
  /**
   * The byte ranges instead of Algorithm 1 (vectors, tests): contiguous from 0,
   * non-empty, covering the capture, 1..n of them. `servers` is then not asked.
   */
  readonly split?: (length: number, n: number) => readonly { readonly off: number; readonly len: number }[];
  /**
   * The capture's place in the chain, asked once, after the capture is hashed and before its
   * header is made: its seq and prevHeaderDigest replace the input's. The pipeline hashes a
   * capture while the one before it is still being signed, and links it once that one is done.
   */
  readonly link?: () => Promise<{ readonly seq: bigint; readonly prevHeaderDigest: Uint8Array }>;
}

/** One signed block (a bundle block); `data` is a view of the capture (or of a pooled copy: valid until release()). */
export interface SignedBlock extends DstpCaseBlock {
  readonly data: Uint8Array;
}

/**
 * A signed capture: every field of a capture bundle (SCHEME.md Appendix;
 * dstp bundleToJson takes it), `publicKey` being the signing cycle's FsPublicKey.
 */
export interface SignedCapture extends Omit<DstpCase, 'blocks' | 'valid' | 'reason'> {
  readonly blocks: readonly SignedBlock[];
}

/** A signed capture ready for the outbox (and, as a SignedCapture, for a bundle). */
export interface SignedForOutbox extends SignedCapture {
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
  readonly seq: bigint;
  readonly header: Uint8Array;
  readonly digest: Uint8Array;
  readonly headerSignature: Uint8Array;
  readonly m: number;
  readonly frameRoot: Uint8Array;
  readonly blocks: { i: number; off: bigint; len: number; data: Uint8Array; blockHash: Uint8Array; leaf: Uint8Array; proof: ProofStep[]; d: Uint8Array }[];
  /** Checksummed block bytes (block i at [i-1]) when a checksum was given. */
  readonly sums: ChecksummedPart[] | null;
  /** Algorithm 1's server index of each block (see SignedForOutbox.servers). */
  readonly servers: (number | null)[];
  release(): void;
}

/** Everything but the FsSignatures: split, hashes, Merkle proofs, header, ECDSA, block digests. */
async function prepare(
  input: SignInput, ts: bigint, id: SignIdentity, pk: FsPublicKey, servers: (n: number) => readonly ServerSpace[], o: SignOptions,
  chained: () => Promise<{ readonly seq: bigint; readonly prevHeaderDigest: Uint8Array }>,
): Promise<Unsigned> {
  const m = periodOf(pk, ts);
  if (m === null) throw new SealcamError('CAPTURE_PERIOD', `ts ${ts} is outside the key cycle`);
  if (!equalBytes(pk.deviceAddr, id.address)) throw new RangeError("the key cycle's deviceAddr differs from the device key's address");
  const split = o.split ? givenSplit(o.split(input.bytes.length, pk.n), input.bytes.length, pk.n) : splitCapture(input.bytes.length, pk.n, servers(pk.n));
  let sums: ChecksummedPart[] | null = null;
  const checksum = o.checksum;
  const h = await (o.hasher ?? defaultCaptureHasher()).hash(input.bytes, split.blocks, checksum && ((bytes) => {
    sums = split.blocks.map((b) => checksum(bytes.subarray(b.off, b.off + b.len)));
  }));
  try {
    const { seq, prevHeaderDigest } = await chained();
    const parts = split.blocks.map((b, k) => {
      const blockHash = h.blockHashes[k]!;
      return { i: b.i, off: BigInt(b.off), len: b.len, data: h.bytes.subarray(b.off, b.off + b.len), blockHash, leaf: merkleLeaf(b.i, BigInt(b.off), b.len, blockHash) };
    });
    const { root, proofs } = merkleProofs(parts.map((b) => b.leaf));
    const header = encodeHeader({
      mode: input.mode, suite: id.suite, contentType: input.contentType, ts, seq, manufacturerAddr: id.manufacturerAddr,
      deviceAddr: id.address, ownerAddr: id.ownerAddr, keyId: pk.keyId, m, captureLen: BigInt(input.bytes.length), captureHash: h.captureHash,
      c: parts.length, frameRoot: root, prevHeaderDigest,
    });
    const digest = headerDigest(header);
    return {
      seq, header, digest, m, headerSignature: signHeader(id.suite, id.secret, header, digest), sums, release: h.release, frameRoot: root,
      servers: split.blocks.map((b) => b.server),
      blocks: parts.map((b, k) => ({ ...b, proof: proofs[k]!, d: blockDigest(digest, b.i, b.blockHash) })),
    };
  } catch (e) {
    h.release();
    throw e;
  }
}

/** The caller's byte ranges as a split (server: null), checked. */
function givenSplit(blocks: readonly { readonly off: number; readonly len: number }[], length: number, n: number): { blocks: { i: number; off: number; len: number; server: null }[] } {
  if (!Array.isArray(blocks)) throw new TypeError('split must return an array');
  if (blocks.length < 1 || blocks.length > n) throw new RangeError(`split must have 1..${n} blocks (key n), got ${blocks.length}`);
  let next = 0;
  const out = blocks.map((b, k) => {
    if (b?.off !== next || !Number.isSafeInteger(b.len) || b.len < 1 || b.len > 0xffffffff) {
      throw new RangeError(`split[${k}] must start at ${next} and have 1..2^32-1 bytes`);
    }
    next += b.len;
    return { i: k + 1, off: b.off, len: b.len, server: null };
  });
  if (next !== length) throw new RangeError(`split covers ${next} bytes, capture has ${length}`);
  return { blocks: out };
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
 * Signs a capture (SCHEME.md §6). `servers` is the Algorithm 1 input (see
 * ServerSpaceBook.spaces; not asked when `o.split` is given); `now` the clock
 * a re-stamp takes its time from.
 * @throws KeyManagerError (KEY_NO_CYCLE, KEY_NOT_STARTED, KEY_TS_FUTURE, or KEY_PERIOD_PASSED
 *   twice in a row); SealcamError CAPTURE_PERIOD; errors of `keys.signBlocks` (e.g. SIGN_PERIOD);
 *   TypeError / RangeError naming a malformed input (mode, contentType, address or digest
 *   lengths, seq outside u64, a split that is not an exact cover with 1..n blocks, a key
 *   cycle of another device)
 */
export async function signCaptureForOutbox(
  input: SignInput, id: SignIdentity, keys: CaptureKeys, servers: (n: number) => readonly ServerSpace[], now: () => bigint, o: SignOptions = {},
): Promise<SignedForOutbox> {
  let ts = input.ts;
  let restamped = false;
  let linked: Promise<{ readonly seq: bigint; readonly prevHeaderDigest: Uint8Array }> | undefined;
  const chained = (): Promise<{ readonly seq: bigint; readonly prevHeaderDigest: Uint8Array }> =>
    (linked ??= o.link ? o.link() : Promise.resolve({ seq: input.seq, prevHeaderDigest: input.prevHeaderDigest }));
  for (let attempt = 0; ; attempt++) {
    let release: (() => void) | undefined;
    try {
      const { publicKey } = await keys.keyFor(ts);
      const u = await prepare(input, ts, id, publicKey, servers, o, chained);
      release = u.release;
      const sigs = await keys.signBlocks(ts, u.seq, u.blocks.map((b) => b.d), 1);
      const payloads = u.blocks.map((b, k) => blockPayloadParts({
        type: 'block', header: u.header, headerSignature: u.headerSignature, index: b.i, off: b.off, len: b.len, proof: b.proof, fsSignature: sigs[k]!, data: b.data,
      }));
      const records = u.sums ? payloads.map((p, k) => [p[0]!, u.sums![k]!]) : payloads;
      let bytes = 0;
      for (const p of payloads) for (const part of p) bytes += part.length;
      return {
        suite: id.suite, devicePublicKey: id.publicKey, deviceAddr: id.address, header: u.header, headerSignature: u.headerSignature,
        publicKey: publicKey.bytes, frameRoot: u.frameRoot, blocks: u.blocks.map((b, k) => ({ ...b, fsSignature: sigs[k]! })),
        seq: u.seq, ts, m: u.m, keyId: publicKey.keyId, headerDigest: u.digest, payloads, records, bytes, restamped, servers: u.servers, release: u.release,
      };
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
