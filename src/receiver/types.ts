/**
 * Public types of the receiver (docs/RECEIVER.md): options, events and
 * counters. Byte strings in events are lowercase hex; u64 values are bigint.
 */
import type { ContentType, DstpMode } from '../dstp/header.js';
import type { TrustedKey } from '../ledger/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { BatchInfo, LedgerSink } from './savehash/batcher.js';
import type { ChainEvent } from './chain-tracker.js';
import type { RejectReason } from './errors.js';
import type { ReceiverIdentity } from './identity.js';
import type { ReceiverStore } from './store/store.js';

/** Options of {@link Receiver}. Only `identity` and `store` are required. */
export interface ReceiverOptions {
  /** The receiver's ECDSA identity and destination id (see identity.ts). */
  readonly identity: ReceiverIdentity;
  /** Store directory, or an opened store. */
  readonly store: string | ReceiverStore;
  /**
   * When non-empty, registrations must carry a leave-factory record by one of
   * these; when empty, a device's first registration names its manufacturer
   * (trust on first use) and later ones must carry the same factory record.
   */
  readonly trustedManufacturers?: readonly TrustedKey[];
  /** Witnesses (storage servers) whose acknowledgements carried in a restarted chain count (SCHEME.md §7). */
  readonly trustedWitnesses?: readonly TrustedKey[];
  /** Pin: only this device address (20 bytes) may talk to the receiver. */
  readonly expectedDevice?: Uint8Array;
  /** Most devices that may register (default 64; further ones get DEVICE_LIMIT). */
  readonly maxDevices?: number;
  /** SaveHash batch size ω (default 16). */
  readonly batchSize?: number;
  /** Where signed save-hash records are appended (e.g. a src/ledger `Ledger`); none by default. */
  readonly ledger?: LedgerSink | null;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Incomplete captures held per device before the oldest is evicted (default 32). */
  readonly maxPendingCaptures?: number;
  /** Bytes of incomplete captures held per device (default 256 MiB). */
  readonly maxPendingBytes?: number;
  /** An incomplete capture with no new block for this long is evicted (default 600 000 ms). */
  readonly evictAfterMs?: number;
  /** Period of the eviction sweep timer started by start() (default 30 000 ms; 0 = none). */
  readonly sweepIntervalMs?: number;
  /** Deadline for the device's HELLO (default 10 000 ms). */
  readonly helloTimeoutMs?: number;
  /** Finished captures remembered in memory per device for duplicate checks (default 4096; older ones are looked up on disk). */
  readonly maxCapturesInMemory?: number;
}

/** Header fields of a capture, as reported in events. */
export interface CaptureHeaderInfo {
  readonly deviceAddr: string;
  readonly seq: bigint;
  readonly ts: bigint;
  /** Period m of the key cycle. */
  readonly m: number;
  readonly keyId: string;
  readonly mode: DstpMode;
  readonly contentType: ContentType;
  readonly captureLen: bigint;
  readonly c: number;
  readonly headerDigest: string;
  readonly prevHeaderDigest: string;
  readonly manufacturerAddr: string;
  readonly ownerAddr: string;
}

/** A capture that arrived complete and verified. */
export interface CaptureEvent extends CaptureHeaderInfo {
  /** The reassembled capture bytes. */
  readonly bytes: Uint8Array;
  /** Checks that passed, in order. */
  readonly checks: readonly string[];
  readonly verdict: 'verified';
}

/** A registration that was accepted. */
export interface RegistrationEvent {
  readonly deviceAddr: string;
  /** The registration's newest key cycle (the one acknowledged). */
  readonly keyId: string;
  /** Key cycles the registration added to the device's chain. */
  readonly added: number;
  /** False when everything was already held (re-sent after a reconnect). */
  readonly fresh: boolean;
}

/** A block or registration that was not accepted. */
export interface RejectionEvent {
  readonly kind: 'block' | 'registration';
  readonly reason: RejectReason;
  /** ACK status name for blocks: REJECTED, RETRY_LATER or NOT_REGISTERED. */
  readonly status: string;
  readonly deviceAddr?: string;
  readonly seq?: bigint;
  readonly index?: number;
}

/** An incomplete capture dropped by a bound. */
export interface EvictionEvent {
  readonly deviceAddr: string;
  readonly seq: bigint;
  readonly blocks: number;
  readonly reason: 'age' | 'captures' | 'bytes';
}

/** A chain event with its device (T narrows it to one type). */
export type DeviceChainEvent<T extends ChainEvent['type'] = ChainEvent['type']> = Extract<ChainEvent, { type: T }> & { readonly deviceAddr: string };

/** Events of a receiver. */
export interface ReceiverEvents {
  capture: [CaptureEvent];
  registration: [RegistrationEvent];
  rejected: [RejectionEvent];
  gap: [DeviceChainEvent<'gap'>];
  'gap-resolved': [DeviceChainEvent<'gap-resolved'>];
  reorder: [DeviceChainEvent<'reorder'>];
  fork: [DeviceChainEvent<'fork'>];
  evicted: [EvictionEvent];
  /** All c blocks arrived but BLOCK_LAYOUT or CAPTURE_HASH failed. */
  'invalid-capture': [{ readonly deviceAddr: string; readonly seq: bigint; readonly reason: RejectReason }];
  batch: [BatchInfo];
  'ledger-error': [{ readonly deviceAddr: string; readonly k: bigint; readonly error: unknown }];
  session: [{ readonly connection: string; readonly remote: string; readonly event: 'open' | 'close'; readonly deviceAddr?: string; readonly error?: string }];
  /** BLE: a capture's provenance checked from stripped blocks + PREVIEW, before its data (preview.ts). */
  preview: [PreviewEvent];
}

/** Counters (a snapshot from Receiver.stats()). */
export interface ReceiverStats {
  connections: number;
  activeSessions: number;
  registrations: number;
  registrationsRepeated: number;
  blocksStored: number;
  blocksDuplicate: number;
  /** ACKs sent, by status name. */
  acks: Record<string, number>;
  /** Every block or registration not accepted, by reason code. */
  rejections: Record<string, number>;
  capturesCompleted: number;
  capturesInvalid: number;
  capturesEvicted: number;
  blocksEvicted: number;
  gaps: number;
  gapsResolved: number;
  reorders: number;
  forks: number;
  batches: number;
  ledgerAppends: number;
  ledgerErrors: number;
  /** Session protocol violations (decode errors, wrong message order), by code. */
  protocolErrors: Record<string, number>;
  /** PREVIEW frames (BLE): VERIFIED, UNMATCHED (no stripped blocks seen) or the rejection reason. */
  previews: Record<string, number>;
  /** C2PA messages (device manifest stores): STORED, DUPLICATE or the rejection code (c2pa-handler.ts). */
  c2pa: Record<string, number>;
}

/** A fresh zeroed stats object. */
export function emptyStats(): ReceiverStats {
  return {
    connections: 0, activeSessions: 0, registrations: 0, registrationsRepeated: 0, blocksStored: 0, blocksDuplicate: 0,
    acks: {}, rejections: {}, capturesCompleted: 0, capturesInvalid: 0, capturesEvicted: 0, blocksEvicted: 0,
    gaps: 0, gapsResolved: 0, reorders: 0, forks: 0, batches: 0, ledgerAppends: 0, ledgerErrors: 0, protocolErrors: {},
    previews: {}, c2pa: {},
  };
}

/** The `preview` event: a capture's provenance, checked before its data. */
export interface PreviewEvent {
  readonly deviceAddr: string;
  readonly seq: bigint;
  readonly headerDigest: string;
  /** Blocks of the capture (all of them were checked when verified). */
  readonly c: number;
  readonly captureLen: bigint;
  /** 'verified': header signature, layout, every block's Merkle proof and FsSignature against the PREVIEW block hashes. */
  readonly verdict: 'verified' | 'rejected';
  /** Why, when rejected (a §6 reason code, or PREVIEW_BLOCK_COUNT / PREVIEW_INCOMPLETE / DEVICE_UNREGISTERED / KEYID_UNREGISTERED / DEVICE_PIN_MISMATCH). */
  readonly reason?: string;
  /** The block hashes (hex): each block's data must hash to its entry when it arrives. */
  readonly blockHashes: readonly string[];
  /** The thumbnail; `signed` only when the device key signed it (otherwise an unverified preview). */
  readonly thumbnail?: { readonly width: number; readonly height: number; readonly jpeg: Uint8Array; readonly signed: boolean };
  /** Set when the PREVIEW carried a thumbnail that was dropped (its device signature did not verify). */
  readonly thumbnailRejected?: 'THUMBNAIL_SIGNATURE';
}
