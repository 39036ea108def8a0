/**
 * Verifying a capture bundle end to end, the way `sealcam verify` and the SDK
 * do (SCHEME.md §6, §7 v1.1, Appendix): the §6 checks (integrity: the bytes
 * are those the device signed), then the key chain against the verifier's
 * trust anchors (origin and time: which maker's device, from when), then the
 * receiver's SaveHash inclusion proof if the bundle carries one. The verdict
 * is `{valid, reason, origin, validFrom}`; integrity only (no chain, or no
 * trusted manufacturers) is `valid: true, origin: false` unless origin is
 * required (`CHAIN_MISSING`); an invalid bundle has `origin: false,
 * validFrom: null` (the checks say how far the chain held). Pure.
 */
import { checkBundleChain, type CheckedCycle, type KeyCache } from '../chain/check.js';
import type { ChainTrust } from '../chain/json.js';
import type { KeyChain } from '../chain/links.js';
import { parseBundle, verifyBundle, type CaptureBundle } from '../dstp/bundle.js';
import type { VerifyCheck } from '../dstp/case-verify.js';
import { decodeHeader, type DstpHeader } from '../dstp/header.js';
import { addressOf } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { isSealcamError } from '../platform/errors.js';
import { toHex } from '../platform/bytes.js';
import { verifyInclusion, type SaveHashChainData } from '../ledger/savehash/savehash.js';
import { parseSaveHashField } from '../ledger/savehash/json.js';

/** How a bundle is verified. */
export interface CaptureVerifyOptions {
  /** Trusted manufacturers and witnesses; null (default): integrity only. */
  readonly trust?: ChainTrust | null;
  /** Reject bundles that do not establish origin (CHAIN_MISSING). Default: true whenever `trust` is given (as `sealcam verify --trust`). */
  readonly requireOrigin?: boolean;
  /** Distinct trusted witnesses a restart needs (default 1). */
  readonly minWitnesses?: number;
  /** An anchored SaveHash chain (from the receiver's ledger) to check `saveHash` inclusion proofs against. */
  readonly saveHashChain?: SaveHashChainData | null;
  /** Decoded keys shared across the bundles of one run. */
  readonly keyCache?: KeyCache;
}

/** What a valid bundle shows (for people, not machines). */
export interface CaptureFacts {
  readonly deviceAddr: string;
  readonly manufacturerAddr: string;
  readonly ownerAddr: string;
  readonly ts: bigint;
  readonly seq: bigint;
  readonly m: number;
  readonly keyId: string;
  readonly captureLen: bigint;
  readonly captureHash: string;
  readonly c: number;
  /** The period's window [start, end] (ms), when the capture's key is in the chain. */
  readonly period?: { readonly start: bigint; readonly end: bigint };
  /** The chain walked (C₁ … C_k), when it was checked. */
  readonly cycles?: readonly CheckedCycle[];
  /** Whether the SaveHash proof was checked against an anchored chain or only the bundle's own. */
  readonly saveHash?: 'anchored' | 'bundle-only' | 'link-only';
}

/** Verdict of a bundle (SCHEME.md §7 JSON verdict plus the checks run). */
export interface CaptureVerdict {
  readonly valid: boolean;
  readonly reason: string | null;
  /** True only when origin and capture time are established against the trust anchors. */
  readonly origin: boolean;
  /** validFrom of the capture's key cycle (when the chain was checked). */
  readonly validFrom: bigint | null;
  readonly checks: VerifyCheck[];
  readonly facts?: CaptureFacts;
  /** The chain as read, for fork detection across bundles. */
  readonly chain?: KeyChain;
  /** The reassembled capture bytes (valid bundles). */
  readonly capture?: Uint8Array;
}

function checkSaveHash(field: unknown, headerDigest: Uint8Array, anchored: SaveHashChainData | null): { reason: string | null; kind: CaptureFacts['saveHash'] } {
  try {
    const { inclusion: inc, chain: own } = parseSaveHashField(field);
    // The bundle's own chain segment is the receiver's claim, not an anchor: it can only be checked for consistency.
    const r = verifyInclusion(headerDigest, inc, anchored ?? own);
    return { reason: r, kind: anchored !== null ? 'anchored' : own !== null ? 'bundle-only' : 'link-only' };
  } catch (e) {
    return { reason: isSealcamError(e) ? e.code : 'SAVEHASH_FORMAT', kind: undefined };
  }
}

/**
 * Verifies a capture bundle JSON value (from parseJsonStrict). Never throws for hostile input.
 */
export function verifyCaptureBundle(json: unknown, o: CaptureVerifyOptions = {}): CaptureVerdict {
  const trust = o.trust ?? null;
  const requireOrigin = o.requireOrigin ?? trust !== null;
  const v = verifyBundle(json);
  const checks = [...v.checks];
  const invalid = (reason: string, extra: Partial<CaptureVerdict> = {}): CaptureVerdict =>
    ({ valid: false, reason, origin: false, validFrom: null, checks, ...extra });
  if (!v.valid) return invalid(v.reason ?? 'BUNDLE_FORMAT');
  const b: CaptureBundle = parseBundle(json);
  const h: DstpHeader = decodeHeader(b.header);
  const facts: CaptureFacts = {
    deviceAddr: toHex(addressOf(b.suite, b.devicePublicKey)), manufacturerAddr: toHex(h.manufacturerAddr), ownerAddr: toHex(h.ownerAddr),
    ts: h.ts, seq: h.seq, m: h.m, keyId: toHex(h.keyId), captureLen: h.captureLen, captureHash: toHex(h.captureHash), c: h.c,
  };

  let origin = false;
  let validFrom: bigint | null = null;
  let chain: KeyChain | undefined;
  let cycles: readonly CheckedCycle[] | undefined;
  if (b.chain === undefined) {
    checks.push({ name: 'chain', ok: !requireOrigin, detail: requireOrigin ? 'CHAIN_MISSING' : 'no key chain: integrity only' });
    if (requireOrigin) return invalid('CHAIN_MISSING', { facts });
  } else {
    const cv = checkBundleChain(b.chain, {
      suite: b.suite, devicePublicKey: b.devicePublicKey, publicKey: b.publicKey, manufacturerAddr: h.manufacturerAddr, ts: h.ts,
    }, trust, o.minWitnesses !== undefined ? { minWitnesses: o.minWitnesses } : {}, o.keyCache);
    chain = cv.chain;
    cycles = cv.cycles;
    if (cv.reason !== null) {
      checks.push({ name: 'chain', ok: false, detail: `${cv.reason}: ${cv.message}` });
      return invalid(cv.reason, { facts: { ...facts, cycles }, ...(chain ? { chain } : {}) });
    }
    origin = cv.origin;
    validFrom = cv.validFrom;
    if (!origin && requireOrigin) {
      checks.push({ name: 'chain', ok: false, detail: 'CHAIN_MISSING: no trusted manufacturer to check the chain against' });
      return invalid('CHAIN_MISSING', { facts, ...(chain ? { chain } : {}) });
    }
    checks.push({ name: 'chain', ok: true, detail: origin ? `${cycles.length} cycle(s), validFrom ${validFrom}` : cv.message });
  }

  const last = cycles?.[cycles.length - 1];
  let f: CaptureFacts = facts;
  if (last !== undefined) {
    const start = last.t0 + BigInt(h.m - 1) * BigInt(last.delta);
    f = { ...facts, cycles, period: { start, end: start + BigInt(last.delta) - 1n } };
  }

  if (b.saveHash !== undefined) {
    // b.headerDigest is a claim §6 checked (HEADER_DIGEST_FIELD).
    const sh = checkSaveHash(b.saveHash, b.headerDigest, o.saveHashChain ?? null);
    const name = sh.kind === 'anchored' ? 'saveHash inclusion (anchored chain)'
      : sh.kind === 'bundle-only' ? 'saveHash inclusion (the bundle\'s own chain, not anchored)' : 'saveHash inclusion (link only)';
    checks.push(sh.reason === null ? { name, ok: true } : { name, ok: false, detail: sh.reason });
    if (sh.reason !== null) return invalid(sh.reason, { facts: f, ...(chain ? { chain } : {}) });
    f = { ...f, ...(sh.kind !== undefined ? { saveHash: sh.kind } : {}) };
  } else if (o.saveHashChain) {
    checks.push({ name: 'saveHash inclusion', ok: false, detail: 'SAVEHASH_FORMAT (the bundle has no saveHash field)' });
    return invalid('SAVEHASH_FORMAT', { facts: f });
  }
  return {
    valid: true, reason: null, origin, validFrom, checks, facts: f, ...(chain ? { chain } : {}), ...(v.capture ? { capture: v.capture } : {}),
  };
}

/**
 * CHAIN_FORK across bundles (SCHEME.md §7: a verifier given several bundles of
 * one device MUST report two successors of one keyId): the indices of the
 * bundles whose chains pass through a keyId that has two different successors
 * among the given chains.
 */
export function findForks(chains: readonly (KeyChain | undefined)[]): Set<number> {
  const next = new Map<string, Set<string>>();
  const ids = chains.map((c) => c?.keys.map((k) => toHex(sha256(k.publicKey))) ?? []);
  for (const list of ids) {
    for (let j = 0; j + 1 < list.length; j++) {
      let s = next.get(list[j]!);
      if (s === undefined) next.set(list[j]!, (s = new Set()));
      s.add(list[j + 1]!);
    }
  }
  const forked = new Set<number>();
  ids.forEach((list, n) => {
    for (let j = 0; j + 1 < list.length; j++) if ((next.get(list[j]!)?.size ?? 0) > 1) forked.add(n);
  });
  return forked;
}
