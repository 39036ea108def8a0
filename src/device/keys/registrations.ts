/**
 * The device's key registrations (SCHEME.md §7 v1.1 "Registration"), built
 * for each destination from the factory record and the key chain: the
 * chain's keys and links after the last keyId that destination acknowledged
 * (from C₁ when none), at most MAX_REGISTRATION_KEYS per message (a longer
 * tail goes in several, each continuing the last). Holds no files of its own:
 * the chain lives in the keystore (device/keys/chain.ts). Emits 'changed' when the
 * chain grows or a restart gets a witness, so sessions register again.
 */
import { EventEmitter } from 'node:events';
import { encodeKeyRegistration, MAX_REGISTRATION_KEYS } from '../../chain/registration.js';
import type { KeyChainEntry } from '../../keystore/keystore.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import type { DeviceIdentity } from '../identity/identity.js';
import { entryKeyId, entrySpan } from './chain.js';

/** One registration message for a destination. */
export interface RegistrationMessage {
  /** The REG payload. */
  readonly bytes: Uint8Array;
  /** keyIds (hex) it carries, in chain order; the last is the one the peer acknowledges. */
  readonly keyIds: readonly string[];
  /** The last one's chain entry (its link tells whether the ack is a witness of a restart). */
  readonly last: KeyChainEntry;
}

/** Registration messages of this device. */
export class Registrations extends EventEmitter<{ changed: [] }> {
  /** Only assigns. `chain` reads the current key chain (C₁ first); `now` is the device clock (ms). */
  constructor(
    private readonly identity: DeviceIdentity,
    private readonly chain: () => readonly KeyChainEntry[],
    private readonly now: () => bigint,
  ) {
    super();
  }

  /** Tells sessions that the chain changed. */
  changed(): void {
    this.emit('changed');
  }

  /** keyIds (hex) of the chain, C₁ first. */
  keyIds(): string[] {
    return this.chain().map((e) => toHex(entryKeyId(e)));
  }

  /** True when keyId (hex) is in the chain. */
  has(keyIdHex: string): boolean {
    return this.keyIds().includes(keyIdHex);
  }

  /**
   * The message for a destination whose newest acknowledged keyId is `after`
   * (null: none, or start over from C₁), or null when it has everything —
   * or when the message's newest cycle has ended: a peer refuses that
   * (REG_EXPIRED, for good), and the chain is about to restart anyway.
   */
  next(after: string | null): RegistrationMessage | null {
    const chain = this.chain();
    const ids = chain.map((e) => toHex(entryKeyId(e)));
    const start = after === null ? 0 : ids.indexOf(after) + 1;
    if (after !== null && start === 0) return this.next(null);
    if (start >= chain.length) return null;
    const keys = chain.slice(start, start + MAX_REGISTRATION_KEYS);
    if (this.now() >= entrySpan(keys[keys.length - 1]!).end) return null;
    const f = this.identity.factory;
    const bytes = encodeKeyRegistration({
      suite: this.identity.suite, devicePublicKey: this.identity.publicKey,
      manufacturer: { suite: f.manufacturerSuite, publicKey: f.manufacturerPublicKey },
      factory: { firstKeyId: f.firstKeyId, issuedAt: f.issuedAt, signature: f.signature },
      after: after === null ? new Uint8Array(32) : fromHex(after),
      keys: keys.map((e) => ({ publicKey: e.publicKey, link: e.link })),
    });
    return { bytes, keyIds: ids.slice(start, start + keys.length), last: keys[keys.length - 1]! };
  }
}
