/**
 * The life-cycle record types (SCHEME.md §7) and one table describing each:
 * its type byte, its fields in wire order, which fields name the signer, the
 * derived address claims shown in JSON, its signature failure code and its
 * signed message. The codecs, verifiers and ledger are driven by this table.
 * Pure.
 */
import type { Suite } from '../crypto/ecdsa.js';
import type { LifecycleReason } from './errors.js';
import {
  ackMessage, bindMessage, bindRequestMessage, factoryMessage, rawAddress, restartMessage, saveHashMessage, unbindMessage,
} from './messages.js';

/** Leave factory (v2): the manufacturer certifies a device key and pins its first key cycle. */
export interface FactoryRecord {
  readonly kind: 'factory';
  readonly manufacturerSuite: Suite;
  readonly manufacturerPublicKey: Uint8Array;
  readonly deviceSuite: Suite;
  readonly devicePublicKey: Uint8Array;
  /** keyId of the device's first key cycle C1. */
  readonly firstKeyId: Uint8Array;
  /** The factory's clock when it signed (Unix ms): validFrom of C1. */
  readonly issuedAt: bigint;
  readonly signature: Uint8Array;
}

/** Bind: the device accepts `ownerAddr` as its owner for `nonce`. */
export interface BindRecord {
  readonly kind: 'bind';
  readonly deviceSuite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly ownerAddr: Uint8Array;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

/** Restart: the device starts key cycle keyId after its chain broke at prevKeyId. */
export interface RestartRecord {
  readonly kind: 'restart';
  readonly deviceSuite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly prevKeyId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

/** Registration acknowledgement (v2) by a storage server, the witness of keyId at seenAt. */
export interface AckRecord {
  readonly kind: 'ack';
  readonly serverSuite: Suite;
  readonly serverPublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  readonly keyId: Uint8Array;
  /** The server's clock when it first accepted keyId (Unix ms). */
  readonly seenAt: bigint;
  readonly signature: Uint8Array;
}

/** Owner-signed bind request (proves the request comes from the owner address). */
export interface BindRequestRecord {
  readonly kind: 'bind-request';
  readonly ownerSuite: Suite;
  readonly ownerPublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

/** Unbind: the current owner releases the device. */
export interface UnbindRecord {
  readonly kind: 'unbind';
  readonly ownerSuite: Suite;
  readonly ownerPublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

/** Save hash: a receiver publishes batch k of a device's SaveHash chain. */
export interface SaveHashRecord {
  readonly kind: 'savehash';
  readonly receiverSuite: Suite;
  readonly receiverPublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  readonly k: bigint;
  readonly size: number;
  readonly root: Uint8Array;
  readonly hash: Uint8Array;
  readonly signature: Uint8Array;
}

/** Any life-cycle record. */
export type LifecycleRecord =
  | FactoryRecord | BindRecord | RestartRecord | AckRecord | BindRequestRecord | UnbindRecord | SaveHashRecord;
/** The record kinds. */
export type RecordKind = LifecycleRecord['kind'];

/** Wire field kinds: suite u8, public key 65, address 20, 32 bytes, signature 64, u64 ≥ 1, u32 ≥ 1, time (u64, 0 allowed). */
export type FieldKind = 'suite' | 'pub' | 'addr' | 'b32' | 'sig' | 'u64' | 'u32' | 'time';
/** Byte length of each field kind. */
export const FIELD_LENGTH: Readonly<Record<FieldKind, number>> = { suite: 1, pub: 65, addr: 20, b32: 32, sig: 64, u64: 8, u32: 4, time: 8 };

/** Table row describing one record kind. */
export interface RecordSpec {
  readonly kind: RecordKind;
  /** Record type byte (binary encoding and ledger entry type). */
  readonly type: number;
  /** Fields in wire order; the signature is always last. */
  readonly fields: readonly (readonly [string, FieldKind])[];
  /** Names of the signer's suite and public key fields. */
  readonly signer: readonly [string, string];
  /** JSON-only claims: [claim name, public key field it is the address of]. */
  readonly claims: readonly (readonly [string, string])[];
  /** Failure code when the signature does not verify. */
  readonly sigCode: LifecycleReason;
  /** The signed message. @throws TypeError/RangeError on malformed fields. */
  message(r: LifecycleRecord): Uint8Array;
}

/** Field view used by the message builders (records reaching them are well formed). */
interface Bytes {
  readonly devicePublicKey: Uint8Array; readonly serverPublicKey: Uint8Array; readonly ownerPublicKey: Uint8Array;
  readonly ownerAddr: Uint8Array; readonly deviceAddr: Uint8Array; readonly nonce: Uint8Array;
  readonly keyId: Uint8Array; readonly prevKeyId: Uint8Array; readonly firstKeyId: Uint8Array;
  readonly deviceSuite: number; readonly issuedAt: bigint; readonly seenAt: bigint;
}
const f = (r: LifecycleRecord): Bytes => r as unknown as Bytes;

const SPECS: readonly RecordSpec[] = [
  {
    kind: 'factory', type: 1,
    fields: [['manufacturerSuite', 'suite'], ['manufacturerPublicKey', 'pub'], ['deviceSuite', 'suite'], ['devicePublicKey', 'pub'],
      ['firstKeyId', 'b32'], ['issuedAt', 'time'], ['signature', 'sig']],
    signer: ['manufacturerSuite', 'manufacturerPublicKey'], claims: [['deviceAddr', 'devicePublicKey']],
    sigCode: 'REG_FACTORY_SIGNATURE',
    message: (r) => factoryMessage(f(r).deviceSuite, rawAddress(f(r).devicePublicKey), f(r).devicePublicKey, f(r).firstKeyId, f(r).issuedAt),
  },
  {
    kind: 'bind', type: 2,
    fields: [['deviceSuite', 'suite'], ['devicePublicKey', 'pub'], ['ownerAddr', 'addr'], ['nonce', 'b32'], ['signature', 'sig']],
    signer: ['deviceSuite', 'devicePublicKey'], claims: [['deviceAddr', 'devicePublicKey']],
    sigCode: 'BIND_SIGNATURE',
    message: (r) => bindMessage(rawAddress(f(r).devicePublicKey), f(r).ownerAddr, f(r).nonce),
  },
  {
    kind: 'restart', type: 3,
    fields: [['deviceSuite', 'suite'], ['devicePublicKey', 'pub'], ['prevKeyId', 'b32'], ['keyId', 'b32'], ['signature', 'sig']],
    signer: ['deviceSuite', 'devicePublicKey'], claims: [['deviceAddr', 'devicePublicKey']],
    sigCode: 'REG_RESTART_SIGNATURE',
    message: (r) => restartMessage(rawAddress(f(r).devicePublicKey), f(r).prevKeyId, f(r).keyId),
  },
  {
    kind: 'ack', type: 4,
    fields: [['serverSuite', 'suite'], ['serverPublicKey', 'pub'], ['deviceAddr', 'addr'], ['keyId', 'b32'], ['seenAt', 'time'], ['signature', 'sig']],
    signer: ['serverSuite', 'serverPublicKey'], claims: [['serverAddr', 'serverPublicKey']],
    sigCode: 'REG_ACK_SIGNATURE',
    message: (r) => ackMessage(rawAddress(f(r).serverPublicKey), f(r).deviceAddr, f(r).keyId, f(r).seenAt),
  },
  {
    kind: 'bind-request', type: 5,
    fields: [['ownerSuite', 'suite'], ['ownerPublicKey', 'pub'], ['deviceAddr', 'addr'], ['nonce', 'b32'], ['signature', 'sig']],
    signer: ['ownerSuite', 'ownerPublicKey'], claims: [['ownerAddr', 'ownerPublicKey']],
    sigCode: 'BIND_OWNER_SIGNATURE',
    message: (r) => bindRequestMessage(f(r).deviceAddr, rawAddress(f(r).ownerPublicKey), f(r).nonce),
  },
  {
    kind: 'unbind', type: 6,
    fields: [['ownerSuite', 'suite'], ['ownerPublicKey', 'pub'], ['deviceAddr', 'addr'], ['nonce', 'b32'], ['signature', 'sig']],
    signer: ['ownerSuite', 'ownerPublicKey'], claims: [['ownerAddr', 'ownerPublicKey']],
    sigCode: 'UNBIND_SIGNATURE',
    message: (r) => unbindMessage(f(r).deviceAddr, rawAddress(f(r).ownerPublicKey), f(r).nonce),
  },
  {
    kind: 'savehash', type: 7,
    fields: [['receiverSuite', 'suite'], ['receiverPublicKey', 'pub'], ['deviceAddr', 'addr'], ['k', 'u64'], ['size', 'u32'],
      ['root', 'b32'], ['hash', 'b32'], ['signature', 'sig']],
    signer: ['receiverSuite', 'receiverPublicKey'], claims: [['receiverAddr', 'receiverPublicKey']],
    sigCode: 'SAVEHASH_SIGNATURE',
    message: (r) => {
      const s = r as SaveHashRecord;
      return saveHashMessage(s.deviceAddr, s.k, s.size, s.root, s.hash);
    },
  },
];

/** The spec of a record kind. @throws RangeError on an unknown kind. */
export function specOf(kind: RecordKind): RecordSpec {
  const s = SPECS.find((x) => x.kind === kind);
  if (s === undefined) throw new RangeError(`unknown record kind: ${String(kind)}`);
  return s;
}

/** The spec of a record type byte, or undefined. */
export function specOfType(type: number): RecordSpec | undefined {
  return SPECS.find((x) => x.type === type);
}

/** All record specs in type order. */
export function allSpecs(): readonly RecordSpec[] {
  return SPECS;
}
