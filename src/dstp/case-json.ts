/**
 * The dstp-v1 case and capture-bundle JSON shapes (SCHEME.md Appendix): typed
 * model, strict reader (closed key sets, exact forms) and canonical writer.
 * Pure: no I/O.
 */
import type { Suite } from '../crypto/ecdsa.js';
import { SealcamError } from '../platform/errors.js';
import { U64_MAX } from '../platform/bytes.js';
import {
  FormError, readArray, readBase64, readBool, readHex, readObject, readSmallUint, readString, readUint,
  writeBase64, writeHex, writeUint,
} from './json-form.js';
import type { ProofStep } from './merkle.js';

/** One block of a case or bundle. `leaf` and `d` are claims; `data` only in bundles. */
export interface DstpCaseBlock {
  readonly i: number;
  readonly off: bigint;
  readonly len: number;
  readonly blockHash: Uint8Array;
  readonly leaf: Uint8Array;
  readonly proof: readonly ProofStep[];
  readonly d: Uint8Array;
  readonly fsSignature: Uint8Array;
  readonly data?: Uint8Array;
}

/**
 * A dstp-v1 case (or, with data and without valid/reason, a capture bundle).
 * `deviceAddr`, `headerDigest`, `frameRoot` and the blocks' `leaf`/`d` are claims.
 */
export interface DstpCase {
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  readonly header: Uint8Array;
  readonly headerDigest: Uint8Array;
  readonly headerSignature: Uint8Array;
  /** FsPublicKey bytes. */
  readonly publicKey: Uint8Array;
  readonly frameRoot: Uint8Array;
  readonly blocks: readonly DstpCaseBlock[];
  readonly valid?: boolean;
  readonly reason?: string;
  /** Bundles only: the key chain (SCHEME.md §7), as raw JSON: its form is part of the chain check (src/chain). */
  readonly chain?: unknown;
  /** Bundles only: the receiver's SaveHash inclusion proof (docs/PROTOCOL.md), as raw JSON. */
  readonly saveHash?: unknown;
}

/** Which shape is read: a vectors-file case or a capture bundle. */
export type CaseKind = 'case' | 'bundle';

const CASE_KEYS = [
  'suite', 'devicePublicKey', 'deviceAddr', 'header', 'headerDigest', 'headerSignature', 'publicKey', 'frameRoot', 'blocks',
] as const;
const BLOCK_KEYS = ['i', 'off', 'len', 'blockHash', 'leaf', 'proof', 'd', 'fsSignature'] as const;

function readProofStep(v: unknown, path: string): ProofStep {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormError(path, 'must be an object');
  const keys = Object.keys(v);
  if (keys.length !== 1 || (keys[0] !== 'left' && keys[0] !== 'right')) {
    throw new FormError(path, 'must be {"left": hex32} or {"right": hex32}');
  }
  const side = keys[0];
  const o = readObject(v, path, [side]);
  return { side, hash: readHex(o[side], `${path}.${side}`, 32) };
}

function readBlock(v: unknown, path: string, kind: CaseKind): DstpCaseBlock {
  const o = readObject(v, path, kind === 'bundle' ? [...BLOCK_KEYS, 'data'] : BLOCK_KEYS);
  const block: DstpCaseBlock = {
    i: readSmallUint(o.i, `${path}.i`, 0xffff),
    off: readUint(o.off, `${path}.off`, U64_MAX),
    len: readSmallUint(o.len, `${path}.len`, 0xffffffff),
    blockHash: readHex(o.blockHash, `${path}.blockHash`, 32),
    leaf: readHex(o.leaf, `${path}.leaf`, 32),
    proof: readArray(o.proof, `${path}.proof`).map((s, k) => readProofStep(s, `${path}.proof[${k}]`)),
    d: readHex(o.d, `${path}.d`, 32),
    fsSignature: readHex(o.fsSignature, `${path}.fsSignature`),
  };
  return kind === 'bundle' ? { ...block, data: readBase64(o.data, `${path}.data`) } : block;
}

/** Reads a case/bundle, throwing FormError on any form violation. */
export function readCase(v: unknown, kind: CaseKind, path = '$'): DstpCase {
  const o = readObject(v, path, CASE_KEYS, kind === 'case' ? ['valid', 'reason'] : ['chain', 'saveHash']);
  if (o.suite !== 1 && o.suite !== 2) throw new FormError(`${path}.suite`, 'must be 1 or 2');
  const c: DstpCase = {
    suite: o.suite,
    devicePublicKey: readHex(o.devicePublicKey, `${path}.devicePublicKey`),
    deviceAddr: readHex(o.deviceAddr, `${path}.deviceAddr`, 20),
    header: readHex(o.header, `${path}.header`),
    headerDigest: readHex(o.headerDigest, `${path}.headerDigest`, 32),
    headerSignature: readHex(o.headerSignature, `${path}.headerSignature`),
    publicKey: readHex(o.publicKey, `${path}.publicKey`),
    frameRoot: readHex(o.frameRoot, `${path}.frameRoot`, 32),
    blocks: readArray(o.blocks, `${path}.blocks`).map((b, k) => readBlock(b, `${path}.blocks[${k}]`, kind)),
  };
  if (kind === 'bundle') {
    return { ...c, ...(Object.hasOwn(o, 'chain') ? { chain: o.chain } : {}), ...(Object.hasOwn(o, 'saveHash') ? { saveHash: o.saveHash } : {}) };
  }
  return {
    ...c,
    ...(o.valid !== undefined ? { valid: readBool(o.valid, `${path}.valid`) } : {}),
    ...(o.reason !== undefined ? { reason: readString(o.reason, `${path}.reason`) } : {}),
  };
}

/**
 * Strict reader of one dstp-v1 case (SCHEME.md Appendix). `valid`/`reason` are
 * optional here (typed when present); no other key is allowed.
 * @throws SealcamError<'CASE_FORMAT'> on any other form, with the JSON path in the message.
 */
export function parseDstpCase(json: unknown): DstpCase {
  try {
    return readCase(json, 'case');
  } catch (e) {
    if (e instanceof FormError) throw new SealcamError('CASE_FORMAT', e.message, { cause: e });
    throw new SealcamError('CASE_FORMAT', 'malformed case', { cause: e });
  }
}

function proofToJson(p: readonly ProofStep[]): ({ left: string } | { right: string })[] {
  return p.map((s) => (s.side === 'left' ? { left: writeHex(s.hash) } : { right: writeHex(s.hash) }));
}

/**
 * Canonical JSON object of a case (key order as in the Appendix). Blocks carrying
 * `data` are written with it (bundle form); `valid`/`reason` when present.
 * @throws RangeError on a negative integer field.
 */
export function caseToJson(c: DstpCase): Record<string, unknown> {
  const out: Record<string, unknown> = {
    suite: c.suite,
    devicePublicKey: writeHex(c.devicePublicKey),
    deviceAddr: writeHex(c.deviceAddr),
    header: writeHex(c.header),
    headerDigest: writeHex(c.headerDigest),
    headerSignature: writeHex(c.headerSignature),
    publicKey: writeHex(c.publicKey),
    frameRoot: writeHex(c.frameRoot),
    blocks: c.blocks.map((b) => ({
      i: b.i,
      off: writeUint(b.off),
      len: writeUint(b.len),
      blockHash: writeHex(b.blockHash),
      leaf: writeHex(b.leaf),
      proof: proofToJson(b.proof),
      d: writeHex(b.d),
      fsSignature: writeHex(b.fsSignature),
      ...(b.data !== undefined ? { data: writeBase64(b.data) } : {}),
    })),
  };
  if (c.valid !== undefined) out.valid = c.valid;
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.saveHash !== undefined) out.saveHash = c.saveHash;
  if (c.chain !== undefined) out.chain = c.chain;
  return out;
}
