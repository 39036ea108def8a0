/**
 * The chain check of a capture bundle (SCHEME.md §7 v1.1, "Chain check"), run
 * after every §6 check passed, in the normative order:
 *   form (CHAIN_LENGTH, BUNDLE_FORMAT — with or without trust; json.ts), then,
 *   given trusted manufacturers: CHAIN_MAKER_UNTRUSTED, CHAIN_FACTORY_SIG,
 *   CHAIN_FIRST_KEY, then for j = 1..k: CHAIN_KEY_INVALID, CHAIN_DEVICE and
 *   (j ≥ 2) the link — CHAIN_ENDORSE_SIG, or CHAIN_RESTART_SIG,
 *   CHAIN_WITNESS, CHAIN_RESTART_EARLY — then CHAIN_KEYID, CHAIN_BACKDATED.
 * Without trusted manufacturers the bundle proves integrity only
 * (origin: false). Pure.
 */
import { addressOf, ecdsaVerify, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { factoryMessage } from '../ledger/messages.js';
import { isTrusted } from '../ledger/trust.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { decodeFsPublicKey } from '../scheme/public-key.js';
import type { FsPublicKey } from '../scheme/types.js';
import { readChain, type ChainTrust } from './json.js';
import { judgeEndorse, judgeRestart, type ChainDevice, type KeyChain } from './links.js';
import type { ChainReason } from './reasons.js';

/** What the chain is checked against: the capture, already verified by §6. */
export interface ChainSubject {
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  /** The bundle's FsPublicKey bytes (the capture's cycle). */
  readonly publicKey: Uint8Array;
  /** header.manufacturerAddr. */
  readonly manufacturerAddr: Uint8Array;
  /** header.ts. */
  readonly ts: bigint;
}

/** Options of the chain check. */
export interface ChainCheckOptions {
  /** Distinct trusted witnesses a restart needs (default 1; SCHEME.md §7 allows w ≥ 2). */
  readonly minWitnesses?: number;
}

/** One cycle of a checked chain. */
export interface CheckedCycle {
  readonly keyId: string;
  readonly link: 'factory' | 'endorse' | 'restart';
  readonly validFrom: bigint;
  readonly t0: bigint;
  readonly end: bigint;
  /** Δ, ms. */
  readonly delta: number;
}

/** Outcome of the chain check. */
export interface ChainVerdict {
  /** Null when the chain holds (or, without trust, when its form is valid). */
  readonly reason: ChainReason | 'BUNDLE_FORMAT' | null;
  /** True only when origin and time are established against the trust anchors. */
  readonly origin: boolean;
  /** validFrom of the capture's cycle, when the chain was walked to its end. */
  readonly validFrom: bigint | null;
  readonly message: string;
  /** The chain as read (when its form was valid). */
  readonly chain?: KeyChain;
  /** The cycles walked so far (all of them when the links held). */
  readonly cycles: readonly CheckedCycle[];
}

/** Decoded FsPublicKeys, reused across bundles of one verifier (validation derives exponents). */
export type KeyCache = Map<string, FsPublicKey>;

function decodeCached(bytes: Uint8Array, cache: KeyCache | undefined): FsPublicKey {
  if (cache === undefined) return decodeFsPublicKey(bytes);
  const id = toHex(sha256(bytes));
  let pk = cache.get(id);
  if (pk === undefined) {
    pk = decodeFsPublicKey(bytes);
    if (cache.size >= 4096) cache.delete(cache.keys().next().value!);
    cache.set(id, pk);
  }
  return pk;
}

/**
 * Checks a bundle's `chain` member (raw JSON) against `trust`.
 * `trust` null or without manufacturers: form only, then integrity only.
 * Never throws for hostile content.
 */
export function checkBundleChain(
  chainJson: unknown, subject: ChainSubject, trust: ChainTrust | null, opts: ChainCheckOptions = {}, cache?: KeyCache,
): ChainVerdict {
  const cycles: CheckedCycle[] = [];
  let chain: KeyChain;
  try {
    chain = readChain(chainJson);
  } catch (e) {
    const code = isSealcamError(e, 'CHAIN_LENGTH') ? 'CHAIN_LENGTH' : 'BUNDLE_FORMAT';
    return { reason: code, origin: false, validFrom: null, message: (e as Error).message, cycles };
  }
  const fail = (reason: ChainReason, message: string): ChainVerdict => ({ reason, origin: false, validFrom: null, message, chain, cycles });
  if (trust === null || trust.manufacturers.length === 0) {
    return { reason: null, origin: false, validFrom: null, message: 'no trusted manufacturers: integrity only', chain, cycles };
  }

  const maker = chain.manufacturer;
  if (!isTrusted(trust.manufacturers, maker.suite, maker.publicKey)) return fail('CHAIN_MAKER_UNTRUSTED', 'the chain\'s manufacturer is not trusted');
  if (!equalBytes(subject.manufacturerAddr, addressOf(maker.suite, maker.publicKey))) {
    return fail('CHAIN_MAKER_UNTRUSTED', 'header.manufacturerAddr is not the address of the chain\'s manufacturer');
  }
  const device: ChainDevice = { suite: subject.suite, publicKey: subject.devicePublicKey, addr: addressOf(subject.suite, subject.devicePublicKey) };
  const f = chain.factory;
  const fmsg = factoryMessage(device.suite, device.addr, device.publicKey, f.firstKeyId, f.issuedAt);
  if (ecdsaVerify(maker.suite, maker.publicKey, fmsg, f.signature) !== null) return fail('CHAIN_FACTORY_SIG', 'the factory record does not verify');
  if (!equalBytes(f.firstKeyId, sha256(chain.keys[0]!.publicKey))) return fail('CHAIN_FIRST_KEY', 'firstKeyId is not keyId(C1)');

  const seen = new Set<string>();
  let prev: FsPublicKey | null = null;
  let validFrom = f.issuedAt;
  for (let j = 0; j < chain.keys.length; j++) {
    const entry = chain.keys[j]!;
    const at = `C${j + 1}`;
    let pk: FsPublicKey;
    try {
      pk = decodeCached(entry.publicKey, cache);
    } catch (e) {
      return fail('CHAIN_KEY_INVALID', `${at} does not validate (${isSealcamError(e) ? e.code : 'KEY_LENGTH'})`);
    }
    const id = toHex(pk.keyId);
    if (seen.has(id)) return fail('CHAIN_KEY_INVALID', `${at} repeats an earlier keyId`);
    seen.add(id);
    if (!equalBytes(pk.deviceAddr, device.addr)) return fail('CHAIN_DEVICE', `${at} belongs to another device address`);
    const link = entry.link;
    if (prev !== null && link !== null) {
      if (link.kind === 'endorse') {
        const vf = judgeEndorse(prev, validFrom, pk.keyId, pk.t0, link.signature);
        if (vf === null) return fail('CHAIN_ENDORSE_SIG', `${at}: the endorsement by C${j} does not hold`);
        validFrom = vf;
      } else {
        const r = judgeRestart(link, {
          device, prev, prevValidFrom: validFrom, nextKeyId: pk.keyId, witnesses: trust.witnesses, minWitnesses: opts.minWitnesses ?? 1,
        });
        if (!r.ok) {
          const code = r.reason === 'RESTART_SIG' ? 'CHAIN_RESTART_SIG' : r.reason === 'WITNESS' ? 'CHAIN_WITNESS' : 'CHAIN_RESTART_EARLY';
          return fail(code, `${at}: the restart after C${j} does not hold`);
        }
        validFrom = r.validFrom;
      }
    }
    cycles.push({
      keyId: id, link: link === null ? 'factory' : link.kind, validFrom, t0: pk.t0, end: pk.t0 + BigInt(pk.T) * BigInt(pk.delta), delta: pk.delta,
    });
    prev = pk;
  }
  if (!equalBytes(chain.keys[chain.keys.length - 1]!.publicKey, subject.publicKey)) {
    return fail('CHAIN_KEYID', 'the chain does not end with the capture\'s key cycle');
  }
  if (subject.ts < validFrom) {
    return { reason: 'CHAIN_BACKDATED', origin: false, validFrom, message: `the capture's ts is before validFrom of its cycle`, chain, cycles };
  }
  return { reason: null, origin: true, validFrom, message: 'origin and time established', chain, cycles };
}
