/**
 * Helpers that build dstp-v1 cases for the vector generator and the tests:
 * deterministic devices (fixture safe primes, SeededRng, fixed ECDSA secrets),
 * honest captures through the shipping signer (test/helpers/sign.ts), and a "forge" that builds captures with
 * arbitrary layouts and header fields through the same primitives.
 */
import { readFileSync } from 'node:fs';
import { ecdsaPublicKey, type Suite } from '../../../src/crypto/ecdsa.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { utf8 } from '../../../src/platform/bytes.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { generateKeyCycle, periodOf, type FsKeyState, type FsPublicKey } from '../../../src/scheme/index.js';
import type { DstpCase, DstpCaseBlock } from '../../../src/dstp/case-json.js';
import { blockDigest } from '../../../src/dstp/digest.js';
import { encodeHeader, headerDigest, HEADER_OFFSETS, type DstpHeader } from '../../../src/dstp/header.js';
import { dstpAddress, signHeader } from '../../../src/dstp/header-sign.js';
import { merkleLeaf, merkleProofs } from '../../../src/dstp/merkle.js';
import type { SignedCapture } from '../../helpers/sign.js';

export const T0 = 1_767_225_600_000n; // 2026-01-01T00:00:00Z
export const DELTA = 60_000;
export const T = 16;
export const N_BLOCKS = 8;

/** A deterministic test device: ECDSA identity plus one IR-n key cycle. */
export interface Device {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly addr: Uint8Array;
  readonly key: FsPublicKey;
  readonly state: FsKeyState;
  readonly rng: SeededRng;
  sign(i: number, ts: bigint, seq: bigint, d: Uint8Array): Uint8Array;
}

/** A fixed ECDSA secret derived from a label (valid for both curves with overwhelming probability). */
export function fixedSecret(label: string): Uint8Array {
  return sha256(utf8(`sealcam dstp-v1 vectors: ${label}`));
}

/** The fixture safe primes committed by the scheme (test/fixtures/safe-primes.json). */
export function fixturePrimes(k: 2048 | 3072, index: number): { P: bigint; Q: bigint } {
  const url = new URL('../../fixtures/safe-primes.json', import.meta.url);
  const j = JSON.parse(readFileSync(url, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> };
  const p = j.pairs[String(k)]?.[index];
  if (p === undefined) throw new Error(`no fixture primes ${k}/${index}`);
  return { P: BigInt('0x' + p.P), Q: BigInt('0x' + p.Q) };
}

/** Builds a deterministic device with a k-bit (default 2048), n = 8, T = 16 key cycle. */
export async function makeDevice(suite: Suite, label: string, primeIndex: number, k: 2048 | 3072 = 2048): Promise<Device> {
  const secret = fixedSecret(label);
  const publicKey = ecdsaPublicKey(suite, secret);
  const addr = dstpAddress(suite, publicKey);
  const { publicKey: key, state } = await generateKeyCycle(
    { k, n: N_BLOCKS, T, t0: T0, delta: DELTA, deviceAddr: addr },
    { primes: fixturePrimes(k, primeIndex), rng: new SeededRng(`${label}/keygen`), worker: false },
  );
  const rng = new SeededRng(`${label}/sign`);
  return { suite, secret, publicKey, addr, key, state, rng, sign: (i, ts, seq, d) => state.sign(i, ts, seq, d, rng) };
}

/** Deterministic capture bytes. */
export function captureBytes(label: string, length: number): Uint8Array {
  return new SeededRng(`capture/${label}`).bytes(length);
}

/** A signed capture as a case (all blocks, no data). */
export function caseOf(s: SignedCapture): DstpCase {
  return {
    suite: s.suite, devicePublicKey: s.devicePublicKey, deviceAddr: s.deviceAddr, header: s.header,
    headerDigest: s.headerDigest, headerSignature: s.headerSignature, publicKey: s.publicKey, frameRoot: s.frameRoot,
    blocks: s.blocks.map(({ data: _data, ...b }) => b),
  };
}

/** The case with only the blocks `order` (by index, in that order). */
export function pick(c: DstpCase, order: number[]): DstpCase {
  return { ...c, blocks: order.map((i) => c.blocks.find((b) => b.i === i)!) };
}

/** Replaces block i (by index) with fn(block). */
export function mapBlock(c: DstpCase, i: number, fn: (b: DstpCaseBlock) => DstpCaseBlock): DstpCase {
  return { ...c, blocks: c.blocks.map((b) => (b.i === i ? fn(b) : b)) };
}

/** Header bytes with `field` overwritten. */
export function patchHeader(header: Uint8Array, field: keyof typeof HEADER_OFFSETS, value: Uint8Array): Uint8Array {
  const h = Uint8Array.from(header);
  h.set(value, HEADER_OFFSETS[field]);
  return h;
}

/**
 * Swaps in new header bytes signed by `dev`, keeping every claim consistent
 * (headerDigest, frameRoot when readable, d of each block). FsSignatures are kept.
 */
export function resign(dev: Device, c: DstpCase, header: Uint8Array, signer: Device = dev): DstpCase {
  const digest = headerDigest(header);
  const o = HEADER_OFFSETS.frameRoot;
  return {
    ...c, header, headerDigest: digest, headerSignature: signHeader(signer.suite, signer.secret, header),
    frameRoot: header.length >= o + 32 ? header.slice(o, o + 32) : c.frameRoot,
    blocks: c.blocks.map((b) => ({ ...b, d: blockDigest(digest, b.i, b.blockHash) })),
  };
}

/** Layout entry of a forged capture. */
export interface ForgeBlock {
  readonly off: bigint;
  readonly len: number;
}

/** Options of a forged capture; header fields default to an honest capture's. */
export interface ForgeSpec {
  readonly label: string;
  readonly ts: bigint;
  readonly seq: bigint;
  readonly layout: readonly ForgeBlock[];
  readonly captureLen: bigint;
  readonly header?: Partial<DstpHeader>;
  /** Blocks to FS-sign (default all). */
  readonly signed?: readonly number[];
}

/**
 * Builds a capture with an arbitrary layout through the real primitives: blockHash
 * of deterministic bytes, leaves, Merkle root and proofs, header, ECDSA and FS signatures.
 */
export function forge(dev: Device, spec: ForgeSpec): DstpCase {
  const parts = spec.layout.map((b, k) => {
    const blockHash = sha256(captureBytes(`${spec.label}/${k + 1}`, Math.min(b.len, 4096)), utf8(String(b.len)));
    return { i: k + 1, off: b.off, len: b.len, blockHash, leaf: merkleLeaf(k + 1, b.off, b.len, blockHash) };
  });
  const { root, proofs } = merkleProofs(parts.map((p) => p.leaf));
  const m = periodOf(dev.key, spec.ts) ?? 1;
  const header = encodeHeader({
    mode: 1, suite: dev.suite, contentType: 3, ts: spec.ts, seq: spec.seq, manufacturerAddr: dstpAddress(1, ecdsaPublicKey(1, fixedSecret('manufacturer'))),
    deviceAddr: dev.addr, ownerAddr: new Uint8Array(20), keyId: dev.key.keyId, m, captureLen: spec.captureLen,
    captureHash: sha256(utf8(`capture ${spec.label}`)), c: parts.length, frameRoot: root, prevHeaderDigest: new Uint8Array(32),
    ...spec.header,
  });
  const digest = headerDigest(header);
  const signed = spec.signed ?? parts.map((p) => p.i);
  return {
    suite: dev.suite, devicePublicKey: dev.publicKey, deviceAddr: dev.addr, header, headerDigest: digest,
    headerSignature: signHeader(dev.suite, dev.secret, header, digest), publicKey: dev.key.bytes, frameRoot: root,
    blocks: parts.map((p, k) => {
      const d = blockDigest(digest, p.i, p.blockHash);
      return { ...p, proof: proofs[k]!, d, fsSignature: signed.includes(p.i) ? dev.sign(p.i, spec.ts, spec.seq, d) : new Uint8Array(0) };
    }),
  };
}
