/**
 * Key cycles registered with this receiver (SCHEME.md §7 from the receiver's
 * side): decodes a REG payload, validates the FsPublicKey (src/scheme), checks
 * the leave-factory record (against the trusted manufacturers when configured,
 * else the manufacturer of the device's first registration), the device's
 * registration signature, FsPublicKey.deviceAddr = address(device key), the
 * prevKeyId chain against the cycles already held, and expiry. Pure: the caller
 * persists accepted registrations before applying them.
 */
import { addressOf, type Suite } from '../crypto/ecdsa.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { decodeKeyRegistration, keyIdOf, verifyKeyRegistration, ZERO_KEY_ID, type KeyRegistration, type TrustedKey } from '../ledger/index.js';
import { decodeFsPublicKey, type FsPublicKey } from '../scheme/index.js';
import type { RejectReason } from './errors.js';

/** One accepted key cycle of a device. */
export interface RegisteredCycle {
  readonly keyId: Uint8Array;
  readonly keyIdHex: string;
  readonly prevKeyId: Uint8Array;
  readonly fsPublicKey: FsPublicKey;
  /** The REG payload as received (persisted verbatim). */
  readonly registration: Uint8Array;
  /** Position in the device's chain, from 0. */
  readonly order: number;
}

/** A device known through its registrations. */
export interface RegisteredDevice {
  readonly addr: Uint8Array;
  readonly addrHex: string;
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly manufacturer: TrustedKey;
  readonly cycles: Map<string, RegisteredCycle>;
  last: RegisteredCycle | null;
}

/** Outcome of {@link KeyRegistry.check}. `fresh` is false for a re-sent registration already held. */
export type RegVerdict =
  | { readonly ok: true; readonly fresh: boolean; readonly deviceAddr: Uint8Array; readonly cycle: RegisteredCycle; readonly msg: KeyRegistration }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string; readonly deviceAddr?: Uint8Array; readonly keyId?: Uint8Array };

/** Options of the registry. */
export interface KeyRegistryOptions {
  /** When non-empty, the leave-factory record must be signed by one of these. */
  readonly trustedManufacturers?: readonly TrustedKey[];
  /** Only this device address may register. */
  readonly expectedDevice?: Uint8Array;
  /** Accept a device's first registration with a non-zero prevKeyId (receiver joined late). Default false. */
  readonly allowLateJoin?: boolean;
  /** Most devices registered (default 64): bounds what self-certified devices can make the receiver store. */
  readonly maxDevices?: number;
}

/** The registered devices and their key cycles. */
export class KeyRegistry {
  private readonly devices = new Map<string, RegisteredDevice>();

  /** Only assigns. */
  constructor(private readonly opts: KeyRegistryOptions = {}) {}

  /** The device with address hex `addrHex`, if it registered. */
  device(addrHex: string): RegisteredDevice | undefined {
    return this.devices.get(addrHex);
  }

  /** Every registered device. */
  all(): RegisteredDevice[] {
    return [...this.devices.values()];
  }

  /**
   * Judges a REG payload at time `now` (Unix ms; null skips the expiry check, for
   * replays from the store). Never throws for hostile bytes; does not change state.
   */
  check(payload: Uint8Array, now: bigint | null): RegVerdict {
    let msg: KeyRegistration;
    try {
      msg = decodeKeyRegistration(payload);
    } catch (e) {
      if (isSealcamError(e, 'REG_FORMAT', 'REG_VERSION')) return { ok: false, reason: e.code as RejectReason, message: e.message };
      throw e;
    }
    const keyId = keyIdOf(msg.fsPublicKey);
    let deviceAddr: Uint8Array;
    try {
      deviceAddr = Uint8Array.from(addressOf(msg.suite, msg.devicePublicKey));
    } catch {
      return { ok: false, reason: 'REG_DEVICE_KEY', message: 'device public key is not a valid point', keyId };
    }
    const bad = (reason: RejectReason, message: string): RegVerdict => ({ ok: false, reason, message, deviceAddr, keyId });
    const pin = this.opts.expectedDevice;
    if (pin !== undefined && !equalBytes(pin, deviceAddr)) return bad('DEVICE_PIN_MISMATCH', 'registration from a device other than the pinned one');
    let fsPublicKey: FsPublicKey;
    try {
      fsPublicKey = decodeFsPublicKey(msg.fsPublicKey);
    } catch (e) {
      if (isSealcamError(e) && e.code.startsWith('KEY_')) return bad(`FS${e.code}` as RejectReason, e.message);
      throw e;
    }
    const dev = this.devices.get(toHex(deviceAddr));
    if (dev === undefined && this.devices.size >= (this.opts.maxDevices ?? 64)) return bad('DEVICE_LIMIT', 'too many devices registered');
    if (dev !== undefined && (dev.suite !== msg.suite || !equalBytes(dev.devicePublicKey, msg.devicePublicKey))) {
      return bad('REG_DEVICE_MISMATCH', 'device key differs from the one registered before');
    }
    const held = dev?.cycles.get(toHex(keyId));
    const trusted = this.opts.trustedManufacturers !== undefined && this.opts.trustedManufacturers.length > 0
      ? this.opts.trustedManufacturers
      : [dev?.manufacturer ?? { suite: msg.factory.manufacturerSuite, publicKey: msg.factory.manufacturerPublicKey }];
    let lastKeyId: Uint8Array | null = held !== undefined ? nullIfZero(held.prevKeyId) : (dev?.last?.keyId ?? null);
    if (lastKeyId === null && dev === undefined && this.opts.allowLateJoin === true) lastKeyId = nullIfZero(msg.prevKeyId);
    const cycleEnd = fsPublicKey.t0 + BigInt(fsPublicKey.T) * BigInt(fsPublicKey.delta);
    const f = verifyKeyRegistration(msg, {
      trustedManufacturers: trusted, lastKeyId,
      fsKey: { deviceAddr: fsPublicKey.deviceAddr, keyId, cycleEnd },
      now: now ?? 0n,
    });
    if (f !== null) return bad(f.code, f.detail === undefined ? f.message : `${f.message} (${f.detail})`);
    const cycle: RegisteredCycle = held ?? {
      keyId, keyIdHex: toHex(keyId), prevKeyId: msg.prevKeyId, fsPublicKey, registration: Uint8Array.from(payload),
      order: dev?.cycles.size ?? 0,
    };
    return { ok: true, fresh: held === undefined, deviceAddr, cycle, msg };
  }

  /**
   * Records an accepted (fresh) registration.
   * @throws RangeError when `v` is not an accepted verdict of this registry.
   */
  apply(v: RegVerdict): RegisteredDevice {
    if (!v.ok) throw new RangeError('cannot apply a rejected registration');
    const hex = toHex(v.deviceAddr);
    let dev = this.devices.get(hex);
    if (dev === undefined) {
      dev = {
        addr: v.deviceAddr, addrHex: hex, suite: v.msg.suite, devicePublicKey: v.msg.devicePublicKey,
        manufacturer: { suite: v.msg.factory.manufacturerSuite, publicKey: v.msg.factory.manufacturerPublicKey },
        cycles: new Map(), last: null,
      };
      this.devices.set(hex, dev);
    }
    if (!dev.cycles.has(v.cycle.keyIdHex)) {
      dev.cycles.set(v.cycle.keyIdHex, v.cycle);
      dev.last = v.cycle;
    }
    return dev;
  }
}

function nullIfZero(id: Uint8Array): Uint8Array | null {
  return equalBytes(id, ZERO_KEY_ID) ? null : id;
}
