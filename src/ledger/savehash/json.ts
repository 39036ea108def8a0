/**
 * Strict JSON forms of SaveHash inclusion proofs and chains (docs/LEDGER.md),
 * embedded in capture bundles as the optional `"saveHash"` field and checked
 * by `sealcam verify`. Byte strings are lowercase hex of exact length; k and
 * first are numbers below 2^53, else minimal hex strings (SCHEME.md appendix).
 * Readers reject unknown or missing keys (SAVEHASH_FORMAT); the chain reader
 * also checks every link (SAVEHASH_CHAIN). Pure.
 */
import { fromHex, toHex } from '../../platform/bytes.js';
import { SealcamError } from '../../platform/errors.js';
import { duplicateKeyOf } from '../../platform/strict-json.js';
import { MAX_BATCH_SIZE, type ProofStep } from './merkle.js';
import {
  verifySaveHashChain, type SaveHashBatchInfo, type SaveHashChainData, type SaveHashInclusion, type SaveHashReason,
} from './savehash.js';

/** JSON chain format version. */
export const SAVEHASH_JSON_VERSION = 1;
/** Most batches accepted in one JSON chain. */
export const MAX_JSON_BATCHES = 1 << 20;

function bad(msg: string, code: SaveHashReason = 'SAVEHASH_FORMAT'): never {
  throw new SealcamError(code, msg);
}

function u64ToJson(v: bigint): number | string {
  return v < 2n ** 53n ? Number(v) : v.toString(16);
}

function u64FromJson(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return BigInt(v);
  if (typeof v === 'string' && /^[1-9a-f][0-9a-f]{0,15}$/.test(v)) {
    const x = BigInt('0x' + v);
    if (x >= 2n ** 53n) return x;
  }
  return bad(`${name} must be a positive number below 2^53 or a minimal hex string ≥ 2^53`);
}

function intFromJson(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`${name} must be an integer in [${lo}, ${hi}]`);
  return v;
}

function hex32(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || v.length !== 64 || !/^[0-9a-f]*$/.test(v)) bad(`${name} must be 32 bytes of lowercase hex`);
  return fromHex(v);
}

function object(v: unknown, name: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${name} must be an object`);
  const o = v as Record<string, unknown>;
  if (duplicateKeyOf(o) !== undefined) bad(`${name} repeats a field`);
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${name} has unexpected field ${JSON.stringify(k)}`);
  for (const k of keys) if (!Object.hasOwn(o, k)) bad(`${name} is missing ${k}`);
  return o;
}

/** JSON object of an inclusion proof. */
export function inclusionToJson(inc: SaveHashInclusion): Record<string, unknown> {
  return {
    k: u64ToJson(inc.k), index: inc.index, size: inc.size, root: toHex(inc.root), prevHash: toHex(inc.prevHash), hash: toHex(inc.hash),
    proof: inc.proof.map((s) => (s.side === 'left' ? { left: toHex(s.hash) } : { right: toHex(s.hash) })),
  };
}

/**
 * Strictly parses an inclusion proof (shape only; verify with verifyInclusion).
 * @throws SealcamError SAVEHASH_FORMAT.
 */
export function inclusionFromJson(v: unknown): SaveHashInclusion {
  const o = object(v, 'saveHash inclusion', ['k', 'index', 'size', 'root', 'prevHash', 'hash', 'proof']);
  const size = intFromJson(o.size, 'size', 1, MAX_BATCH_SIZE);
  const index = intFromJson(o.index, 'index', 0, size - 1);
  if (!Array.isArray(o.proof) || o.proof.length > 16) bad('proof must be an array of at most 16 steps');
  const proof: ProofStep[] = o.proof.map((s: unknown, i: number) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s) || Object.keys(s).length !== 1) bad(`proof[${i}] must be {"left"|"right": hex}`);
    const [side, h] = Object.entries(s)[0]!;
    if (side !== 'left' && side !== 'right') bad(`proof[${i}] must be {"left"|"right": hex}`);
    return { side, hash: hex32(h, `proof[${i}].${side}`) };
  });
  return {
    k: u64FromJson(o.k, 'k'), index, size, root: hex32(o.root, 'root'), prevHash: hex32(o.prevHash, 'prevHash'), hash: hex32(o.hash, 'hash'), proof,
  };
}

/** JSON object of a chain segment. */
export function chainToJson(chain: SaveHashChainData): Record<string, unknown> {
  return {
    version: SAVEHASH_JSON_VERSION, omega: chain.omega, first: u64ToJson(chain.first), prevHash: toHex(chain.prevHash),
    batches: chain.batches.map((b) => ({ k: u64ToJson(b.k), size: b.size, root: toHex(b.root), hash: toHex(b.hash) })),
  };
}

/**
 * Strictly parses a chain segment and verifies every link.
 * @throws SealcamError SAVEHASH_FORMAT | SAVEHASH_CHAIN.
 */
export function chainFromJson(v: unknown): SaveHashChainData {
  const o = object(v, 'saveHash chain', ['version', 'omega', 'first', 'prevHash', 'batches']);
  if (o.version !== SAVEHASH_JSON_VERSION) bad(`unsupported saveHash chain version ${JSON.stringify(o.version) ?? 'undefined'}`);
  const omega = intFromJson(o.omega, 'omega', 1, MAX_BATCH_SIZE);
  if (!Array.isArray(o.batches) || o.batches.length > MAX_JSON_BATCHES) bad(`batches must be an array of at most ${MAX_JSON_BATCHES}`);
  const batches: SaveHashBatchInfo[] = o.batches.map((b: unknown, i: number) => {
    const x = object(b, `batches[${i}]`, ['k', 'size', 'root', 'hash']);
    return { k: u64FromJson(x.k, `batches[${i}].k`), size: intFromJson(x.size, `batches[${i}].size`, 1, omega), root: hex32(x.root, `batches[${i}].root`), hash: hex32(x.hash, `batches[${i}].hash`) };
  });
  const chain: SaveHashChainData = { omega, first: u64FromJson(o.first, 'first'), prevHash: hex32(o.prevHash, 'prevHash'), batches };
  const reason = verifySaveHashChain(chain);
  if (reason !== null) bad('saveHash chain links do not verify', reason);
  return chain;
}

/**
 * Parses a bundle's `saveHash` field: `{ inclusion, chain? }` (closed key set).
 * @throws SealcamError SAVEHASH_FORMAT | SAVEHASH_CHAIN
 */
export function parseSaveHashField(v: unknown): { inclusion: SaveHashInclusion; chain: SaveHashChainData | null } {
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(o, 'inclusion') || duplicateKeyOf(v) !== undefined
    || Object.keys(o).some((k) => k !== 'inclusion' && k !== 'chain')) {
    throw new SealcamError('SAVEHASH_FORMAT', 'saveHash must be {"inclusion": …, "chain"?: …}');
  }
  return { inclusion: inclusionFromJson(o.inclusion), chain: o.chain === undefined ? null : chainFromJson(o.chain) };
}
