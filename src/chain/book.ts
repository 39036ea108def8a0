/**
 * A receiving peer's view of one device's key chain and the §7 registration
 * rules (SCHEME.md §7 v1.1 "Registration"), shared by the storage server and
 * the owner's receiver. A registration continues the chain from a keyId the
 * peer holds (or from C₁); the peer checks every new link from its stored
 * cycle and validFrom (a restart it witnesses now counts with seenAt = now,
 * S = max(now, the trusted acknowledgements carried)), refuses a second
 * successor of a held keyId (REG_FORK, evidence for the caller to keep), a
 * restart before its predecessor ended (REG_RESTART_EARLY), and a newest cycle
 * that has ended (REG_EXPIRED). The judgement changes nothing; the caller
 * stores the new cycles durably and then applies them. Pure.
 */
import { addressOf, ecdsaCheckPublicKey, ecdsaVerify, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import type { RegReason } from '../ledger/errors.js';
import { factoryMessage } from '../ledger/messages.js';
import { isTrusted, type TrustedKey } from '../ledger/trust.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { FsPublicKey } from '../scheme/types.js';
import { cycleEnd, judgeEndorse, judgeRestart, MAX_CHAIN_BLOCKS, MAX_CHAIN_KEYS, type ChainDevice, type ChainLink, type FactoryProof } from './links.js';
import { isFromStart, type KeyRegistration } from './registration.js';

/** One key cycle a peer holds for a device. */
export interface HeldCycle {
  readonly keyIdHex: string;
  /** FsPublicKey bytes. */
  readonly publicKey: Uint8Array;
  readonly link: ChainLink | null;
  /** validFrom as this peer established it: blocks with ts < validFrom are BLOCK_BACKDATED. */
  readonly validFrom: bigint;
  /** This peer's clock when it first accepted the cycle (the ack's seenAt). */
  readonly seenAt: bigint;
  /** t0 + T·Δ. */
  readonly end: bigint;
  /** n of the key (Σ n is bounded). */
  readonly n: number;
}

/** What a peer holds for one device: identity, factory record and the cycles in chain order. */
export interface DeviceChain {
  readonly device: ChainDevice;
  readonly manufacturer: TrustedKey;
  readonly factory: FactoryProof;
  readonly cycles: readonly HeldCycle[];
}

/** The peer's side of a judgement. */
export interface BookContext {
  /** The peer's clock, Unix ms. */
  readonly now: bigint;
  readonly trustedManufacturers: readonly TrustedKey[];
  /** Witnesses whose acknowledgements carried in a restart count (besides the peer itself). */
  readonly trustedWitnesses: readonly TrustedKey[];
  /** The peer's own identity: it witnesses restarts it accepts, at `now`. */
  readonly self: { readonly suite: Suite; readonly publicKey: Uint8Array };
  /** Validates FsPublicKey bytes (cached by the caller: validation derives exponents). @throws SealcamError KEY_* */
  readonly decode: (bytes: Uint8Array) => FsPublicKey;
}

/** Outcome of {@link judgeRegistration}. */
export type BookVerdict =
  | {
    readonly ok: true;
    readonly chain: DeviceChain;
    /** The cycles this registration adds (empty when everything was held already). */
    readonly added: readonly HeldCycle[];
    /** The registration's newest cycle: the one to acknowledge. */
    readonly head: HeldCycle;
  }
  | { readonly ok: false; readonly reason: RegReason; readonly message: string; readonly deviceAddr?: Uint8Array; readonly fork?: boolean };

/**
 * Judges a decoded registration against what the peer holds for that device
 * (`held`, null for a device it does not know). Checks, in order:
 * REG_DEVICE_KEY, REG_DEVICE_MISMATCH (another key for a held device),
 * REG_MANUFACTURER_UNTRUSTED, REG_FACTORY_SIGNATURE, REG_FORK (another factory
 * record for a held device), the start (REG_FIRST_KEY from C₁; REG_CHAIN when
 * `after` is not held), then per entry: REG_KEY_INVALID (§2 validation, or a
 * repeated keyId), REG_DEVICE_MISMATCH, REG_FORK (a held position with another
 * keyId), the link (REG_ENDORSE_SIGNATURE, REG_RESTART_SIGNATURE, REG_WITNESS,
 * REG_RESTART_EARLY); then REG_LENGTH and REG_EXPIRED (now ≥ t0 + T·Δ of the newest).
 * Never throws for hostile content.
 */
export function judgeRegistration(held: DeviceChain | null, msg: KeyRegistration, ctx: BookContext): BookVerdict {
  if (ecdsaCheckPublicKey(msg.suite, msg.devicePublicKey) !== null) return { ok: false, reason: 'REG_DEVICE_KEY', message: 'device public key is not a valid point of its suite' };
  const device: ChainDevice = { suite: msg.suite, publicKey: msg.devicePublicKey, addr: addressOf(msg.suite, msg.devicePublicKey) };
  const no = (reason: RegReason, message: string, fork = false): BookVerdict => ({ ok: false, reason, message, deviceAddr: device.addr, ...(fork ? { fork } : {}) });
  if (held !== null && (held.device.suite !== device.suite || !equalBytes(held.device.publicKey, device.publicKey))) {
    return no('REG_DEVICE_MISMATCH', 'the device key differs from the one held for this address');
  }
  const maker = msg.manufacturer;
  if (!isTrusted(ctx.trustedManufacturers, maker.suite, maker.publicKey)) return no('REG_MANUFACTURER_UNTRUSTED', 'the manufacturer is not trusted');
  const f = msg.factory;
  if (ecdsaVerify(maker.suite, maker.publicKey, factoryMessage(device.suite, device.addr, device.publicKey, f.firstKeyId, f.issuedAt), f.signature) !== null) {
    return no('REG_FACTORY_SIGNATURE', 'the factory record does not verify');
  }
  if (held !== null && (!equalBytes(held.factory.firstKeyId, f.firstKeyId) || held.factory.issuedAt !== f.issuedAt)) {
    return no('REG_FORK', 'a second factory record for a device already held', true);
  }

  const cycles: HeldCycle[] = held === null ? [] : [...held.cycles];
  let pos: number;
  if (isFromStart(msg.after)) {
    if (!equalBytes(sha256(msg.keys[0]!.publicKey), f.firstKeyId)) return no('REG_FIRST_KEY', 'the first key is not the factory record\'s firstKeyId');
    pos = 0;
  } else {
    const at = cycles.findIndex((c) => c.keyIdHex === toHex(msg.after));
    if (at < 0) return no('REG_CHAIN', 'the registration continues a key cycle this peer does not hold');
    pos = at + 1;
  }

  const added: HeldCycle[] = [];
  let head: HeldCycle | null = null;
  for (let j = 0; j < msg.keys.length; j++, pos++) {
    const entry = msg.keys[j]!;
    const keyIdHex = toHex(sha256(entry.publicKey));
    const there = cycles[pos];
    if (there !== undefined) {
      if (there.keyIdHex !== keyIdHex) return no('REG_FORK', `a second successor of ${pos === 0 ? 'the factory record' : cycles[pos - 1]!.keyIdHex}`, true);
      head = there;
      continue;
    }
    let pk: FsPublicKey;
    try {
      pk = ctx.decode(entry.publicKey);
    } catch (e) {
      return no('REG_KEY_INVALID', `key ${keyIdHex} does not validate (${isSealcamError(e) ? e.code : 'KEY_LENGTH'})`);
    }
    if (cycles.some((c) => c.keyIdHex === keyIdHex)) return no('REG_KEY_INVALID', `key ${keyIdHex} repeats an earlier keyId`);
    if (!equalBytes(pk.deviceAddr, device.addr)) return no('REG_DEVICE_MISMATCH', 'FsPublicKey.deviceAddr is not the address of the device key');
    let validFrom: bigint;
    const prevHeld = cycles[pos - 1];
    if (prevHeld === undefined) {
      validFrom = f.issuedAt;
    } else {
      let prev: FsPublicKey;
      try {
        prev = ctx.decode(prevHeld.publicKey);
      } catch {
        return no('REG_KEY_INVALID', `held key ${prevHeld.keyIdHex} no longer validates`);
      }
      const link = entry.link!;
      if (link.kind === 'endorse') {
        const vf = judgeEndorse(prev, prevHeld.validFrom, pk.keyId, pk.t0, link.signature);
        if (vf === null) return no('REG_ENDORSE_SIGNATURE', `the endorsement of ${keyIdHex} does not hold`);
        validFrom = vf;
      } else {
        const r = judgeRestart(link, {
          device, prev, prevValidFrom: prevHeld.validFrom, nextKeyId: pk.keyId, witnesses: ctx.trustedWitnesses, minWitnesses: 1,
          self: { suite: ctx.self.suite, publicKey: ctx.self.publicKey, seenAt: ctx.now },
        });
        if (!r.ok) {
          if (r.reason === 'RESTART_EARLY') return no('REG_RESTART_EARLY', `the restart of ${keyIdHex} comes before ${prevHeld.keyIdHex} ended`);
          return no(r.reason === 'RESTART_SIG' ? 'REG_RESTART_SIGNATURE' : 'REG_WITNESS', `the restart of ${keyIdHex} does not hold`);
        }
        validFrom = r.validFrom;
      }
    }
    const c: HeldCycle = { keyIdHex, publicKey: pk.bytes, link: entry.link, validFrom, seenAt: ctx.now, end: cycleEnd(pk), n: pk.n };
    cycles.push(c);
    added.push(c);
    head = c;
  }
  if (cycles.length > MAX_CHAIN_KEYS || cycles.reduce((s, c) => s + c.n, 0) > MAX_CHAIN_BLOCKS) {
    return no('REG_LENGTH', `a chain holds at most ${MAX_CHAIN_KEYS} cycles and ${MAX_CHAIN_BLOCKS} blocks`);
  }
  if (ctx.now >= head!.end) return no('REG_EXPIRED', 'the newest key cycle has ended (now ≥ t0 + T·Δ)');
  const chain: DeviceChain = { device, manufacturer: maker, factory: f, cycles };
  return { ok: true, chain, added, head: head! };
}
