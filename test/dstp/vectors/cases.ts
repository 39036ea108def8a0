/**
 * The dstp-v1 vector cases (test/vectors/dstp-v1.json): positive captures of both
 * suites and negative cases, one fault each, covering every DSTP reason code that
 * a dstp-v1 case can express. Each entry has a label (documentation only: the
 * Appendix shape has no room for it) and its intended verdict.
 */
import { ecdsaOrder, ecdsaPublicKey } from '../../../src/crypto/ecdsa.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { i2osp, os2ip, u16, u32, u64, u8, utf8 } from '../../../src/platform/bytes.js';
import { decodeFsSignature, encodeFsPublicKey, encodeFsSignature } from '../../../src/scheme/index.js';
import { caseToJson, type DstpCase, type DstpCaseBlock } from '../../../src/dstp/case-json.js';
import { signCapture } from '../../helpers/sign.js';
import { blockDigest } from '../../../src/dstp/digest.js';
import { headerDigest } from '../../../src/dstp/header.js';
import { dstpAddress } from '../../../src/dstp/header-sign.js';
import { merkleLeaf } from '../../../src/dstp/merkle.js';
import type { DstpReason } from '../../../src/dstp/reasons.js';
import type { ServerSpace } from '../../../src/dstp/split.js';
import {
  captureBytes, caseOf, DELTA, fixedSecret, forge, makeDevice, mapBlock, patchHeader, pick, resign, T, T0, type Device,
} from './builder.js';

/** One vector: its label, its JSON object (with valid/reason) and intended verdict. */
export interface VectorEntry {
  readonly label: string;
  readonly json: Record<string, unknown>;
  readonly reason: DstpReason | null;
}

const flip = (b: Uint8Array, at = 0): Uint8Array => {
  const c = Uint8Array.from(b);
  c[at]! ^= 1;
  return c;
};
const TS1 = T0 + 12_345n;
const TS2 = T0 + 30_000n;
const MANUFACTURER = dstpAddress(1, ecdsaPublicKey(1, fixedSecret('manufacturer')));
const OWNER = dstpAddress(1, ecdsaPublicKey(1, fixedSecret('owner')));
const OTHER_SECRET = fixedSecret('other device');
const OTHER_ADDR = dstpAddress(1, ecdsaPublicKey(1, OTHER_SECRET));

async function honest(dev: Device, o: {
  label: string; length: number; servers: ServerSpace[]; ts: bigint; seq: bigint; video?: boolean; owner?: Uint8Array; prev?: Uint8Array;
}) {
  const capture = captureBytes(o.label, o.length);
  return signCapture({
    capture, ts: o.ts, seq: o.seq, mode: o.video === true ? 2 : 1, contentType: o.video === true ? 2 : 1,
    manufacturerAddr: MANUFACTURER, ownerAddr: o.owner ?? new Uint8Array(20), suite: dev.suite, deviceSecret: dev.secret,
    prevHeaderDigest: o.prev ?? new Uint8Array(32), split: { servers: o.servers },
    fsKey: { publicKey: dev.key, sign: (i, ts, seq, d) => dev.sign(i, ts, seq, d) },
  });
}

/** Builds every vector. Deterministic: same fixtures, same bytes. */
export async function buildDstpVectors(): Promise<VectorEntry[]> {
  const A = await makeDevice(1, 'device A (ES256K)', 0);
  const B = await makeDevice(2, 'device B (ES256)', 1);
  const C = await makeDevice(1, 'device C (ES256K, k = 3072)', 0, 3072);
  const out: VectorEntry[] = [];
  const add = (label: string, c: DstpCase, reason: DstpReason | null): void => {
    out.push({ label, reason, json: { ...caseToJson(c), valid: reason === null, ...(reason === null ? {} : { reason }) } });
  };
  const addJson = (label: string, c: DstpCase, edit: (j: Record<string, unknown>) => void): void => {
    const json = { ...caseToJson(c), valid: false, reason: 'CASE_FORMAT' };
    edit(json);
    out.push({ label, reason: 'CASE_FORMAT', json });
  };
  const blk = (j: Record<string, unknown>, k = 0) => (j.blocks as Record<string, unknown>[])[k]!;

  // ---- positive ------------------------------------------------------------
  const a1 = await honest(A, { label: 'a1', length: 37, servers: [{ free: 100 }], ts: TS1, seq: 1n });
  const a3 = await honest(A, { label: 'a3', length: 100, servers: [{ free: 1000 }, { free: 2000 }, { free: 1000 }], ts: TS1, seq: 2n, owner: OWNER, prev: a1.headerDigest });
  const a5 = await honest(A, { label: 'a5', length: 257, servers: [{}, {}, {}, {}, {}], ts: TS2, seq: 3n, video: true, owner: OWNER, prev: a3.headerDigest });
  const b3 = await honest(B, { label: 'b3', length: 64, servers: [{ free: 5 }, { free: 5 }, { free: 6 }], ts: TS1, seq: 1n });
  const b5 = await honest(B, { label: 'b5', length: 99, servers: [{ free: 9 }, { free: 1 }, { free: 4 }, { free: 0 }, { free: 2 }], ts: TS2, seq: 2n, video: true, prev: b3.headerDigest });
  const A3 = caseOf(a3);
  add('suite 1, c = 1, still JPEG', caseOf(a1), null);
  add('suite 1, c = 3, all blocks, owner bound, chained to the previous case', A3, null);
  add('suite 1, c = 5, MJPEG segment, blocks 4 and 2 only', pick(caseOf(a5), [4, 2]), null);
  add('suite 1, c = 5, all blocks out of order', pick(caseOf(a5), [5, 3, 1, 2, 4]), null);
  add('suite 2, c = 3, all blocks', caseOf(b3), null);
  add('suite 2, c = 5 (a server with 0 free bytes gets a 1-byte block 4), blocks 5 and 4', pick(caseOf(b5), [5, 4]), null);
  const c2 = caseOf(await honest(C, { label: 'c2', length: 48, servers: [{ free: 1 }, { free: 2 }], ts: TS1, seq: 1n }));
  add('suite 1, k = 3072 key, c = 2, all blocks', c2, null);
  const big = 1n << 53n;
  add('suite 1, offsets >= 2^53 as hex strings (block 2 of a sparse capture only)',
    pick(forge(A, { label: 'big', ts: TS1, seq: 9n, layout: [{ off: 0n, len: 5 }, { off: big, len: 7 }], captureLen: big + 7n, signed: [2] }), [2]), null);

  // ---- CASE_FORMAT ---------------------------------------------------------
  const A2 = pick(A3, [2]);
  addJson('uppercase hex', A2, (j) => { j.header = (j.header as string).toUpperCase(); });
  addJson('missing frameRoot', A2, (j) => { delete j.frameRoot; });
  addJson('unknown field', A2, (j) => { j.comment = 'x'; });
  addJson('small integer as hex string', A2, (j) => { blk(j).off = (blk(j).off as number).toString(16); });
  addJson('integer >= 2^53 with a leading zero', A2, (j) => { blk(j).off = '020000000000000'; });
  addJson('integer as a float', A2, (j) => { blk(j).len = 25.5; });
  addJson('negative integer', A2, (j) => { blk(j).i = -2; });
  addJson('blockHash of 31 bytes', A2, (j) => { blk(j).blockHash = (blk(j).blockHash as string).slice(2); });
  addJson('proof entry with both sides', A2, (j) => { (blk(j).proof as object[])[0] = { left: '00'.repeat(32), right: '00'.repeat(32) }; });
  addJson('proof entry with an unknown side', A2, (j) => { (blk(j).proof as object[])[0] = { up: '00'.repeat(32) }; });
  addJson('suite as a string', A2, (j) => { j.suite = '1'; });
  addJson('odd-length hex', A2, (j) => { j.devicePublicKey = (j.devicePublicKey as string).slice(1); });
  addJson('0x prefix', A2, (j) => { j.headerSignature = '0x' + (j.headerSignature as string); });
  addJson('blocks not an array', A2, (j) => { j.blocks = blk(j); });

  // ---- block list ----------------------------------------------------------
  add('no blocks', pick(A3, []), 'BLOCKS_EMPTY');
  add('block 2 twice', pick(A3, [2, 2]), 'BLOCK_DUPLICATE');
  add('blocks 1, 2, 3, 1', pick(A3, [1, 2, 3, 1]), 'BLOCK_DUPLICATE');

  // ---- registered keys -------------------------------------------------------
  const pubY1 = Uint8Array.from(A3.devicePublicKey);
  pubY1[64]! ^= 1;
  add('device key not on the curve', { ...A2, devicePublicKey: pubY1 }, 'DEVICE_KEY_INVALID');
  add('device key of 64 bytes (no 0x04)', { ...A2, devicePublicKey: A3.devicePublicKey.subarray(1) }, 'DEVICE_KEY_INVALID');
  add('device key compressed (33 bytes)', { ...A2, devicePublicKey: Uint8Array.of(2 + (A3.devicePublicKey[64]! & 1), ...A3.devicePublicKey.subarray(1, 33)) }, 'DEVICE_KEY_INVALID');
  const K = A.key.k / 8;
  const pkPatch = (at: number, v: Uint8Array) => { const p = Uint8Array.from(A.key.bytes); p.set(v, at); return p; };
  const fsk: [string, Uint8Array, DstpReason][] = [
    ['truncated by one byte', A.key.bytes.subarray(0, A.key.bytes.length - 1), 'FSKEY_LENGTH'],
    ['magic', pkPatch(0, utf8('SCFX')), 'FSKEY_MAGIC'],
    ['version 2', pkPatch(4, u8(2)), 'FSKEY_VERSION'],
    ['k = 4096', pkPatch(5, u16(4096)), 'FSKEY_MODULUS_SIZE'],
    ['n = 0', pkPatch(7, u16(0)), 'FSKEY_N_RANGE'],
    ['T = 1', pkPatch(9, u32(1)), 'FSKEY_T_RANGE'],
    ['delta = 0', pkPatch(21, u32(0)), 'FSKEY_DELTA_RANGE'],
    ['t0 + T*delta > 2^64 - 1', pkPatch(13, u64((1n << 64n) - 1n)), 'FSKEY_CYCLE_RANGE'],
    ['N even', pkPatch(77 + K - 1, u8(A.key.bytes[77 + K - 1]! ^ 1)), 'FSKEY_MODULUS'],
    ['V = 1', pkPatch(77 + K, i2osp(1n, K)), 'FSKEY_V_RANGE'],
    ['V = N - 1', pkPatch(77 + K, i2osp(A.key.N - 1n, K)), 'FSKEY_V_RANGE'],
  ];
  for (const [what, bytes, reason] of fsk) add(`FsPublicKey: ${what}`, { ...A2, publicKey: bytes }, reason);

  // ---- header decoding -------------------------------------------------------
  const H = A3.header;
  add('header of 225 bytes', resign(A, A2, H.subarray(0, 225)), 'HEADER_LENGTH');
  add('header of 227 bytes', resign(A, A2, Uint8Array.of(...H, 0)), 'HEADER_LENGTH');
  add('header magic "DSTQ"', resign(A, A2, patchHeader(H, 'magic', utf8('DSTQ'))), 'HEADER_MAGIC');
  add('header version 2', resign(A, A2, patchHeader(H, 'version', u8(2))), 'HEADER_VERSION');
  add('header suite 3', resign(A, A2, patchHeader(H, 'suite', u8(3))), 'HEADER_SUITE');
  const B3 = caseOf(b3);
  add('suite 2 device, header says suite 1 (re-signed with the P-256 key)', resign(B, pick(B3, [1]), patchHeader(B3.header, 'suite', u8(1))), 'HEADER_SUITE');
  add('header mode 0', resign(A, A2, patchHeader(H, 'mode', u8(0))), 'HEADER_MODE');
  add('header mode 3', resign(A, A2, patchHeader(H, 'mode', u8(3))), 'HEADER_MODE');
  add('header contentType 4', resign(A, A2, patchHeader(H, 'contentType', u8(4))), 'HEADER_CONTENT_TYPE');

  // ---- header signature ------------------------------------------------------
  const sig = A3.headerSignature;
  const n1 = ecdsaOrder(1);
  const rs = (r: bigint, s: bigint) => Uint8Array.of(...i2osp(r, 32), ...i2osp(s, 32));
  const r0 = os2ip(sig.subarray(0, 32));
  const s0 = os2ip(sig.subarray(32));
  add('header signature of 63 bytes', { ...A2, headerSignature: sig.subarray(0, 63) }, 'ECDSA_SIG_LENGTH');
  add('header signature of 65 bytes', { ...A2, headerSignature: Uint8Array.of(...sig, 0) }, 'ECDSA_SIG_LENGTH');
  add('header signature r = 0', { ...A2, headerSignature: rs(0n, s0) }, 'ECDSA_R_RANGE');
  add('header signature r = n', { ...A2, headerSignature: rs(n1, s0) }, 'ECDSA_R_RANGE');
  add('header signature s = 0', { ...A2, headerSignature: rs(r0, 0n) }, 'ECDSA_S_RANGE');
  add('header signature s = n', { ...A2, headerSignature: rs(r0, n1) }, 'ECDSA_S_RANGE');
  add('header signature high-S (s -> n - s)', { ...A2, headerSignature: rs(r0, n1 - s0) }, 'ECDSA_HIGH_S');
  const fields = ['ts', 'seq', 'manufacturerAddr', 'deviceAddr', 'ownerAddr', 'keyId', 'm', 'captureLen', 'captureHash', 'c', 'frameRoot', 'prevHeaderDigest'] as const;
  const offs = { ts: 15, seq: 23, manufacturerAddr: 30, deviceAddr: 50, ownerAddr: 70, keyId: 100, m: 119, captureLen: 127, captureHash: 140, c: 161, frameRoot: 170, prevHeaderDigest: 200 };
  for (const f of fields) {
    const t = flip(H, offs[f]);
    add(`header field ${f} tampered, not re-signed`, { ...A2, header: t, headerDigest: headerDigest(t), frameRoot: t.slice(162, 194), blocks: A2.blocks.map((b) => ({ ...b, d: blockDigest(headerDigest(t), b.i, b.blockHash) })) }, 'ECDSA_BAD_SIGNATURE');
  }
  const otherPub = ecdsaPublicKey(1, OTHER_SECRET);
  add('registered device key of another device', { ...A2, devicePublicKey: otherPub, deviceAddr: OTHER_ADDR }, 'ECDSA_BAD_SIGNATURE');
  add('suite 2 header signature over other bytes', { ...pick(B3, [2]), headerSignature: caseOf(b5).headerSignature }, 'ECDSA_BAD_SIGNATURE');

  // ---- header against the registered keys --------------------------------------
  add('header deviceAddr of another device (re-signed)', resign(A, A2, patchHeader(H, 'deviceAddr', OTHER_ADDR)), 'DEVICE_ADDR_MISMATCH');
  add('header keyId of another key (re-signed)', resign(A, A2, patchHeader(H, 'keyId', sha256(utf8('other key')))), 'KEYID_MISMATCH');
  add('registered FsPublicKey is device B\'s', { ...A2, publicKey: B.key.bytes }, 'KEYID_MISMATCH');
  const foreignKey = encodeFsPublicKey({ ...A.key, deviceAddr: OTHER_ADDR });
  add('FsPublicKey names another device (header keyId = its keyId, re-signed)', resign(A, { ...A2, publicKey: foreignKey }, patchHeader(H, 'keyId', sha256(foreignKey))), 'FSKEY_DEVICE_MISMATCH');
  add('c = 0 (re-signed)', resign(A, A2, patchHeader(H, 'c', u16(0))), 'HEADER_BLOCK_COUNT');
  const nine = Array.from({ length: 9 }, (_, k) => ({ off: BigInt(4 * k), len: 4 }));
  add('c = 9 > n = 8', pick(forge(A, { label: 'nine', ts: TS1, seq: 10n, layout: nine, captureLen: 36n, signed: [1] }), [1]), 'HEADER_BLOCK_COUNT');
  add('m = 2 for a ts in period 1 (re-signed)', resign(A, A2, patchHeader(H, 'm', u32(2))), 'HEADER_PERIOD');
  add('m = 0 (re-signed)', resign(A, A2, patchHeader(H, 'm', u32(0))), 'HEADER_PERIOD');
  add('m = T + 1 (re-signed)', resign(A, A2, patchHeader(H, 'm', u32(T + 1))), 'HEADER_PERIOD');
  add('ts before the cycle (re-signed)', resign(A, A2, patchHeader(H, 'ts', u64(T0 - 1n))), 'HEADER_PERIOD');
  add('ts after the cycle, m = T (re-signed)', resign(A, A2, patchHeader(patchHeader(H, 'ts', u64(T0 + BigInt(T * DELTA))), 'm', u32(T))), 'HEADER_PERIOD');

  // ---- block ranges ----------------------------------------------------------
  const relabel = (b: DstpCaseBlock, i: number): DstpCaseBlock => ({ ...b, i, leaf: merkleLeaf(i, b.off, b.len, b.blockHash), d: blockDigest(A3.headerDigest, i, b.blockHash) });
  const relen = (b: DstpCaseBlock, off: bigint, len: number): DstpCaseBlock => ({ ...b, off, len, leaf: merkleLeaf(b.i, off, len, b.blockHash) });
  const b2 = A2.blocks[0]!;
  add('block index 0', { ...A2, blocks: [relabel(b2, 0)] }, 'BLOCK_INDEX_RANGE');
  add('block index c + 1', { ...A2, blocks: [relabel(b2, 4)] }, 'BLOCK_INDEX_RANGE');
  add('block len 0', { ...A2, blocks: [relen(b2, b2.off, 0)] }, 'BLOCK_RANGE');
  const b3k = A3.blocks[2]!;
  add('block 3 one byte past captureLen', { ...A3, blocks: [relen(b3k, b3k.off, b3k.len + 1)] }, 'BLOCK_RANGE');
  add('block offset = captureLen', { ...A2, blocks: [relen(b2, 100n, 1)] }, 'BLOCK_RANGE');

  // ---- Merkle proofs ---------------------------------------------------------
  const withProof = (p: DstpCaseBlock['proof']): DstpCase => ({ ...A2, blocks: [{ ...b2, proof: p }] });
  const p2 = b2.proof;
  add('proof of 9 entries', withProof([...p2, ...Array.from({ length: 7 }, () => p2[0]!)]), 'MERKLE_PROOF_FORMAT');
  add('proof sides swapped', withProof(p2.map((s) => ({ side: s.side === 'left' ? 'right' : 'left', hash: s.hash }))), 'MERKLE_PROOF_SHAPE');
  add('proof missing its last entry', withProof(p2.slice(0, -1)), 'MERKLE_PROOF_SHAPE');
  add('proof with an extra entry', withProof([...p2, p2[0]!]), 'MERKLE_PROOF_SHAPE');
  add('proof of block 1 given for block 2', withProof(A3.blocks[0]!.proof), 'MERKLE_PROOF_SHAPE');
  add('proof sibling hash tampered', withProof([{ ...p2[0]!, hash: flip(p2[0]!.hash, 31) }, ...p2.slice(1)]), 'MERKLE_PROOF');
  add('blockHash of other data (leaf and d claims recomputed)', mapBlock(A2, 2, (b) => { const bh = sha256(utf8('other')); return { ...b, blockHash: bh, leaf: merkleLeaf(2, b.off, b.len, bh), d: blockDigest(A3.headerDigest, 2, bh) }; }), 'MERKLE_PROOF');
  add('block offset moved by one (leaf claim recomputed)', { ...A2, blocks: [relen(b2, b2.off - 1n, b2.len)] }, 'MERKLE_PROOF');

  // ---- FsSignature -----------------------------------------------------------
  const fs2 = b2.fsSignature;
  const withSig = (s: Uint8Array): DstpCase => ({ ...A2, blocks: [{ ...b2, fsSignature: s }] });
  const reenc = (patch: Partial<ReturnType<typeof decodeFsSignature>>) => encodeFsSignature({ ...decodeFsSignature(fs2, 2048), ...patch }, 2048);
  add('FsSignature one byte short', withSig(fs2.subarray(0, fs2.length - 1)), 'FS_SIG_LENGTH');
  add('FsSignature one byte long', withSig(Uint8Array.of(...fs2, 0)), 'FS_SIG_LENGTH');
  add('FsSignature version 2', withSig(Uint8Array.of(2, ...fs2.subarray(1))), 'FS_SIG_VERSION');
  add('FsSignature version 0', withSig(Uint8Array.of(0, ...fs2.subarray(1))), 'FS_SIG_VERSION');
  add('block 2 carries block 1\'s FsSignature', withSig(A3.blocks[0]!.fsSignature), 'FS_INDEX_MISMATCH');
  add('FsSignature with m = 3', withSig(reenc({ m: 3 })), 'FS_PERIOD_MISMATCH');
  add('FsSignature signed at another ts of the same period', withSig(A.sign(2, TS1 + 1n, 2n, b2.d)), 'FS_TS_MISMATCH');
  add('FsSignature signed for another seq', withSig(A.sign(2, TS1, 3n, b2.d)), 'FS_SEQ_MISMATCH');
  add('FsSignature y = 0', withSig(reenc({ y: 0n })), 'FS_Y_RANGE');
  add('FsSignature y = N', withSig(reenc({ y: A.key.N })), 'FS_Y_RANGE');
  add('FsSignature over another digest', withSig(A.sign(2, TS1, 2n, sha256(utf8('another digest')))), 'FS_OMEGA_MISMATCH');
  add('FsSignature y + 1', withSig(reenc({ y: decodeFsSignature(fs2, 2048).y + 1n })), 'FS_OMEGA_MISMATCH');
  add('FsSignature omega with its low bit flipped', withSig(reenc({ omega: decodeFsSignature(fs2, 2048).omega ^ 1n })), 'FS_OMEGA_MISMATCH');
  add('k = 3072: FsSignature y + 1', { ...pick(c2, [2]), blocks: [{ ...c2.blocks[1]!, fsSignature: encodeFsSignature({ ...decodeFsSignature(c2.blocks[1]!.fsSignature, 3072), y: decodeFsSignature(c2.blocks[1]!.fsSignature, 3072).y + 1n }, 3072) }] }, 'FS_OMEGA_MISMATCH');
  add('k = 3072: a 2048-bit-length FsSignature', { ...pick(c2, [1]), blocks: [{ ...c2.blocks[0]!, fsSignature: fs2 }] }, 'FS_SIG_LENGTH');
  add('suite 2: FsSignature over another capture\'s block digest', { ...pick(B3, [1]), blocks: [{ ...B3.blocks[0]!, fsSignature: B.sign(1, TS1, 1n, caseOf(b5).blocks[0]!.d) }] }, 'FS_OMEGA_MISMATCH');

  // ---- whole capture ---------------------------------------------------------
  const lay = (label: string, layout: { off: bigint; len: number }[], captureLen: bigint, seq: bigint) => forge(A, { label, ts: TS1, seq, layout, captureLen });
  add('all blocks listed, gap between blocks 1 and 2', lay('gap', [{ off: 0n, len: 3 }, { off: 4n, len: 4 }], 8n, 11n), 'BLOCK_LAYOUT');
  add('all blocks listed, overlapping blocks', lay('overlap', [{ off: 0n, len: 5 }, { off: 3n, len: 5 }], 8n, 12n), 'BLOCK_LAYOUT');
  add('all blocks listed, sum of lengths < captureLen', lay('short', [{ off: 0n, len: 3 }, { off: 3n, len: 3 }], 8n, 13n), 'BLOCK_LAYOUT');
  add('all blocks listed, block 1 not at offset 0', lay('shifted', [{ off: 1n, len: 3 }, { off: 4n, len: 4 }], 8n, 14n), 'BLOCK_LAYOUT');

  // ---- claims ----------------------------------------------------------------
  add('deviceAddr claim wrong', { ...A2, deviceAddr: flip(A2.deviceAddr) }, 'DEVICE_ADDR_FIELD');
  add('headerDigest claim wrong', { ...A2, headerDigest: flip(A2.headerDigest) }, 'HEADER_DIGEST_FIELD');
  add('frameRoot claim wrong', { ...A2, frameRoot: flip(A2.frameRoot) }, 'FRAME_ROOT_FIELD');
  add('leaf claim wrong', mapBlock(A2, 2, (b) => ({ ...b, leaf: flip(b.leaf) })), 'LEAF_FIELD');
  add('d claim wrong', mapBlock(A2, 2, (b) => ({ ...b, d: flip(b.d) })), 'D_FIELD');
  add('d claim wrong on the second listed block', mapBlock(pick(A3, [1, 3]), 3, (b) => ({ ...b, d: flip(b.d, 5) })), 'D_FIELD');

  // ---- last: a real period-2 signature (evolves the key) ----------------------------
  A.state.update();
  const ts3 = T0 + BigInt(DELTA) + 5n;
  add('FsSignature from period 2 (real, after update)', withSig(A.sign(2, ts3, 2n, b2.d)), 'FS_PERIOD_MISMATCH');
  return out;
}
