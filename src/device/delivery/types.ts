/**
 * Seams of the device's delivery sessions: the queue of signed blocks they
 * stream from (the durable outbox behind an adapter), the counters they
 * update, and their tuning.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { AckBook } from './ack-book.js';
import type { Destination } from './destinations.js';
import type { DeviceIdentity } from '../identity/identity.js';
import type { Registrations } from '../keys/registrations.js';
import type { ChainAck } from '../../chain/links.js';
import type { Rng } from '../../platform/rng.js';
import type { ServerSpaceBook } from './server-space.js';

/** One queued block leased to a destination: `data` is the BLOCK message payload. */
export interface LeasedBlock {
  readonly seq: bigint;
  readonly index: number;
  readonly data: Uint8Array;
}

/** The outbox as the sessions see it. */
export interface BlockQueue {
  /**
   * Leases the next block for `dest` (in queue order), waiting until one is ready.
   * @throws (rejects) when `signal` aborts or the queue closes
   */
  pull(dest: string, signal: AbortSignal): Promise<LeasedBlock>;
  /** `dest` is finished with the block (delivered, or rejected for good). */
  done(dest: string, seq: bigint, index: number): Promise<void>;
  /** Delivery failed: retry after the destination's backoff. */
  retry(dest: string, seq: bigint, index: number): void;
  /** Gives the lease back without penalty (not sent, or the link closed). */
  release(dest: string, seq: bigint, index: number): void;
}

/** Monotonic delivery counters (status and logs). */
export interface DeliveryCounters {
  sessions: number;
  blocksSent: number;
  /** C2PA messages (capture-time manifest stores) sent to receivers. */
  c2paSent: number;
  delivered: number;
  rejected: number;
  retried: number;
  badAcks: number;
  regSent: number;
  regAcked: number;
  regFailed: number;
  protocolErrors: number;
  /** Peers that failed the authorisation challenge (src/protocol/peer-auth.ts). */
  authFailed: number;
  /** Connections refused at once because their host failed the challenge too often. */
  authRefused: number;
}

/** A fresh counter set. */
export function newCounters(): DeliveryCounters {
  return {
    sessions: 0, blocksSent: 0, c2paSent: 0, delivered: 0, rejected: 0, retried: 0, badAcks: 0, regSent: 0, regAcked: 0, regFailed: 0, protocolErrors: 0,
    authFailed: 0, authRefused: 0,
  };
}

/** Everything a session needs. */
export interface SessionDeps {
  readonly identity: DeviceIdentity;
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly registrations: Registrations;
  /** A destination acknowledged a restarted cycle: its ack is a witness acknowledgement for the key chain (KeyManager.addWitness). */
  readonly onWitness?: (keyId: Uint8Array, ack: ChainAck) => Promise<void>;
  readonly acks: AckBook;
  readonly queue: BlockQueue;
  readonly space: ServerSpaceBook;
  readonly counters: DeliveryCounters;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time to wait for the peer's HELLO, AUTH and each REG answer (ms, default 10 000). */
  readonly replyTimeoutMs?: number;
  /** Randomness of the authorisation challenges (default: OS CSPRNG). */
  readonly rng?: Rng;
  /** Told of every failed authorisation (the Delivery rate-limits the peer's host). */
  readonly onAuthFailure?: (remote: string) => void;
}
