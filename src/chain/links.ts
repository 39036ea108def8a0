/**
 * The key chain's model and its two links (SCHEME.md §7 v1.1). A device's
 * chain is its factory record followed by its key cycles C₁ … C_k; every Cⱼ
 * after C₁ is joined to Cⱼ₋₁ by an *endorse* link (an FsSignature of Cⱼ₋₁,
 * block 1, seq 0, over H("sealcam/endorse/v1" || keyId(Cⱼ₋₁) || keyId(Cⱼ)))
 * or a *restart* link (a device-signed restart record plus witness
 * acknowledgements). Each link yields validFrom(Cⱼ), which never decreases.
 * The bundle check (check.ts) and registration (book.ts) both judge links here.
 * Pure.
 */
import { addressOf, ecdsaVerify, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { ackMessage, restartMessage } from '../ledger/messages.js';
import { isTrusted, type TrustedKey } from '../ledger/trust.js';
import { abytes, concat, equalBytes, toHex, utf8 } from '../platform/bytes.js';
import type { FsKeyState } from '../scheme/key-state.js';
import type { FsPublicKey } from '../scheme/types.js';
import { fsVerify } from '../scheme/verify.js';

/** Domain tag of the endorsement digest. */
export const TAG_ENDORSE = 'sealcam/endorse/v1';
/** Most key cycles in a chain (SCHEME.md §7: more is CHAIN_LENGTH). */
export const MAX_CHAIN_KEYS = 4097;
/** Most blocks in all (Σ n over the chain's keys). */
export const MAX_CHAIN_BLOCKS = 16384;
/** Most acknowledgements carried by one restart link (more are not needed; bounds the work). */
export const MAX_RESTART_ACKS = 64;

/** A witness acknowledgement carried by a restart link (an ack v2 record without its kind). */
export interface ChainAck {
  readonly suite: Suite;
  readonly serverPublicKey: Uint8Array;
  readonly seenAt: bigint;
  readonly signature: Uint8Array;
}

/** How a key cycle joins its predecessor. */
export type ChainLink =
  | { readonly kind: 'endorse'; readonly signature: Uint8Array }
  | { readonly kind: 'restart'; readonly prevKeyId: Uint8Array; readonly signature: Uint8Array; readonly acks: readonly ChainAck[] };

/** One key cycle of the chain: its FsPublicKey bytes and (after C₁) its link. */
export interface ChainKey {
  readonly publicKey: Uint8Array;
  readonly link: ChainLink | null;
}

/** The factory record's part that a chain carries (device key and suite come from the capture). */
export interface FactoryProof {
  readonly firstKeyId: Uint8Array;
  readonly issuedAt: bigint;
  readonly signature: Uint8Array;
}

/** A device's key chain as a bundle carries it (SCHEME.md Appendix "chain"). */
export interface KeyChain {
  /** Which manufacturer key to look up among the verifier's trusted ones. */
  readonly manufacturer: TrustedKey;
  readonly factory: FactoryProof;
  /** C₁ … C_k, non-empty; keys[0].link is null, every later one has a link. */
  readonly keys: readonly ChainKey[];
}

/** The device a chain belongs to. */
export interface ChainDevice {
  readonly suite: Suite;
  readonly publicKey: Uint8Array;
  /** address(publicKey) (SCHEME.md §5). */
  readonly addr: Uint8Array;
}

/** End of a cycle, exclusive: t0 + T·Δ (its last ms is end − 1). */
export function cycleEnd(pk: Pick<FsPublicKey, 't0' | 'T' | 'delta'>): bigint {
  return pk.t0 + BigInt(pk.T) * BigInt(pk.delta);
}

/**
 * d = H("sealcam/endorse/v1" || keyId(prev) || keyId(next)).
 * @throws TypeError/RangeError unless both keyIds are 32 bytes
 */
export function endorseDigest(prevKeyId: Uint8Array, nextKeyId: Uint8Array): Uint8Array {
  abytes(prevKeyId, 'prevKeyId', 32);
  abytes(nextKeyId, 'nextKeyId', 32);
  return sha256(concat(utf8(TAG_ENDORSE), prevKeyId, nextKeyId));
}

/**
 * Device side: endorses the next cycle with the current state at ts (block 1,
 * seq 0). ts must be in the state's current period (the device signs at once,
 * when it generates the next cycle).
 * @throws errors of FsKeyState.sign (SIGN_PERIOD outside the current period)
 */
export function signEndorsement(state: FsKeyState, nextKeyId: Uint8Array, ts: bigint, rng?: Parameters<FsKeyState['sign']>[4]): Uint8Array {
  return state.sign(1, ts, 0n, endorseDigest(state.publicKey.keyId, nextKeyId), rng);
}

/**
 * Judges an endorse link (SCHEME.md §7): an FsSignature by `prev` with i = 1,
 * seq = 0 over endorseDigest(prev, next) that verifies (§4) and whose ts
 * satisfies prevValidFrom ≤ ts ≤ nextT0.
 * @returns validFrom(next) = ts, or null when the link does not hold
 */
export function judgeEndorse(prev: FsPublicKey, prevValidFrom: bigint, nextKeyId: Uint8Array, nextT0: bigint, signature: Uint8Array): bigint | null {
  if (!(signature instanceof Uint8Array) || signature.length !== 39 + prev.k / 8) return null;
  const v = new DataView(signature.buffer, signature.byteOffset, signature.byteLength);
  const i = v.getUint16(1);
  const ts = v.getBigUint64(7);
  const seq = v.getBigUint64(15);
  if (i !== 1 || seq !== 0n || ts < prevValidFrom || ts > nextT0) return null;
  return fsVerify(prev, endorseDigest(prev.keyId, nextKeyId), signature) === null ? ts : null;
}

/** Outcome of a restart link. */
export type RestartJudgement =
  | { readonly ok: true; readonly validFrom: bigint; readonly witnesses: number }
  | { readonly ok: false; readonly reason: 'RESTART_SIG' | 'WITNESS' | 'RESTART_EARLY' };

/** What a restart link is judged against. */
export interface RestartContext {
  readonly device: ChainDevice;
  readonly prev: FsPublicKey;
  readonly prevValidFrom: bigint;
  readonly nextKeyId: Uint8Array;
  /** The verifier's trusted witnesses (acknowledgements by others are ignored). */
  readonly witnesses: readonly TrustedKey[];
  /** Distinct trusted witnesses required (≥ 1). */
  readonly minWitnesses: number;
  /** A registering server's own sighting (it trusts itself): counts as one witness at this time. */
  readonly self?: { readonly suite: Suite; readonly publicKey: Uint8Array; readonly seenAt: bigint };
}

/**
 * Judges a restart link (SCHEME.md §7), in order: prevKeyId = keyId(prev) and
 * the device's restart signature (RESTART_SIG); at least `minWitnesses`
 * distinct trusted witnesses, every trusted acknowledgement verifying over
 * keyId(next) and the device address (WITNESS); S = the latest trusted seenAt
 * past the end of prev (RESTART_EARLY).
 * @returns validFrom(next) = max(prevValidFrom, S)
 */
export function judgeRestart(link: Extract<ChainLink, { kind: 'restart' }>, c: RestartContext): RestartJudgement {
  if (!equalBytes(link.prevKeyId, c.prev.keyId)) return { ok: false, reason: 'RESTART_SIG' };
  const msg = restartMessage(c.device.addr, link.prevKeyId, c.nextKeyId);
  if (ecdsaVerify(c.device.suite, c.device.publicKey, msg, link.signature) !== null) return { ok: false, reason: 'RESTART_SIG' };
  const seen = new Set<string>();
  let S: bigint | null = null;
  if (c.self) {
    seen.add(`${c.self.suite}:${toHex(c.self.publicKey)}`);
    S = c.self.seenAt;
  }
  for (const a of link.acks) {
    if (!isTrusted(c.witnesses, a.suite, a.serverPublicKey)) continue;
    const m = ackMessage(addressOf(a.suite, a.serverPublicKey), c.device.addr, c.nextKeyId, a.seenAt);
    if (ecdsaVerify(a.suite, a.serverPublicKey, m, a.signature) !== null) return { ok: false, reason: 'WITNESS' };
    seen.add(`${a.suite}:${toHex(a.serverPublicKey)}`);
    if (S === null || a.seenAt > S) S = a.seenAt;
  }
  if (S === null || seen.size < Math.max(1, c.minWitnesses)) return { ok: false, reason: 'WITNESS' };
  if (S < cycleEnd(c.prev)) return { ok: false, reason: 'RESTART_EARLY' };
  return { ok: true, validFrom: S > c.prevValidFrom ? S : c.prevValidFrom, witnesses: seen.size };
}

/** ts of an endorsement FsSignature (bytes 7–14), or null when too short to carry one. */
export function endorsementTs(signature: Uint8Array): bigint | null {
  return signature.length >= 15 ? new DataView(signature.buffer, signature.byteOffset, signature.byteLength).getBigUint64(7) : null;
}

/**
 * The chain a bundle of a capture at `ts` carries: C₁ … C_k as given, with
 * each restart's acknowledgements limited to those no later than what the
 * rest of the chain needs (every later endorsement's ts, and ts itself).
 * A verifier takes S as the LATEST trusted seenAt, so an acknowledgement
 * obtained after the capture (or after the next endorsement) would push
 * validFrom past it for a verifier that trusts that witness.
 */
export function chainForCapture(chain: KeyChain, ts: bigint): KeyChain {
  let limit = ts;
  const keys = [...chain.keys];
  for (let j = keys.length - 1; j >= 1; j--) {
    const link = keys[j]!.link;
    if (link === null) continue;
    if (link.kind === 'endorse') {
      const e = endorsementTs(link.signature);
      if (e !== null && e < limit) limit = e;
    } else {
      keys[j] = { publicKey: keys[j]!.publicKey, link: { ...link, acks: link.acks.filter((a) => a.seenAt <= limit) } };
    }
  }
  return { ...chain, keys };
}
