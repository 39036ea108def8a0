/**
 * Types of the key manager / period clock: options (injected dependencies),
 * events and error codes (SCHEME.md §3–4, §7).
 */
import type { KeyMeta, KeyStore } from '../../keystore/keystore.js';
import type { Clock } from '../../platform/clock.js';
import { SealcamError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Rng } from '../../platform/rng.js';
import type { FsKeyState, FsPublicKey, KeygenParams, ModulusBits } from '../../scheme/index.js';

/** Error codes of the key manager. */
export type KeyManagerErrorCode =
  /** ts belongs to a period whose key has already been erased (forward security). */
  | 'KEY_PERIOD_PASSED'
  /** ts lies further in the future than `maxFutureMs` (advancing would erase the current key). */
  | 'KEY_TS_FUTURE'
  /** No held cycle covers ts (next cycle not ready, or no cycle at all). */
  | 'KEY_NO_CYCLE'
  /** The manager is not running. */
  | 'KEY_NOT_STARTED'
  /** A stored state does not belong to this device or cannot be decoded. */
  | 'KEY_STATE_INVALID'
  /** Persisting a state failed; the manager retries (reported through the `error` event). */
  | 'KEY_SAVE_FAILED'
  /** Generating the next cycle failed; the manager retries (`error` event). */
  | 'KEY_KEYGEN_FAILED'
  /** The active cycle restarted the key chain and no witness has acknowledged it yet (SCHEME.md §7: captures count from the first witness). */
  | 'KEY_AWAITING_WITNESS';

/** A key manager failure. */
export class KeyManagerError extends SealcamError<KeyManagerErrorCode> {}

/** Parameters of the cycles this device generates (t0 is chosen by the manager). */
export interface KeyCycleParams {
  readonly k: ModulusBits;
  readonly n: number;
  readonly T: number;
  /** Δ, ms. */
  readonly delta: number;
  /** DSTP device address (20 bytes). */
  readonly deviceAddr: Uint8Array;
}

/** Generates a key cycle (default: `generateKeyCycle(p, { worker: true })`). */
export type KeygenFn = (p: KeygenParams) => Promise<{ publicKey: FsPublicKey; state: FsKeyState }>;

/** Constructor dependencies of {@link KeyManager}. */
export interface KeyManagerOptions {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly params: KeyCycleParams;
  /**
   * validFrom of C₁ (the factory record's issuedAt): the device never endorses
   * its next cycle at an earlier time (the endorsement would not hold). Default 0.
   */
  readonly issuedAt?: bigint;
  readonly keygen?: KeygenFn;
  /** Randomness of the hedged signing nonces (default: OS CSPRNG). */
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Start generating the next cycle once this fraction of the cycle has passed (default 0.5). */
  readonly nextCycleFraction?: number;
  /** ... and at the latest this long before the cycle ends (ms, default 1 h). */
  readonly nextCycleLeadMs?: number;
  /** Refuse timestamps more than this far ahead of the clock (ms, default 2000). */
  readonly maxFutureMs?: number;
  /** Delay before retrying a failed save or keygen (ms, default 10 s). */
  readonly retryMs?: number;
  /**
   * Generate the first cycle (C₁) in start() when the chain is empty (default
   * true: provisioning). A chain whose cycles have all ended is always
   * restarted (SCHEME.md §7), whatever this says.
   */
  readonly provision?: boolean;
}

/** Events emitted by the key manager (for logs and status). Never carry key material. */
export interface KeyManagerEvents {
  /** The active state moved to period m (by update or seek). */
  period: [{ keyId: Uint8Array; m: number; from: number }];
  /** The active cycle changed (from is null when there was none). */
  'cycle-switch': [{ from: Uint8Array | null; to: Uint8Array; m: number }];
  /** A cycle ended with no successor ready: no key until one is generated. */
  'cycle-expired': [{ keyId: Uint8Array }];
  /** The next cycle was generated and stored. */
  'next-cycle-ready': [{ keyId: Uint8Array; t0: bigint }];
  /** The key chain changed (a cycle was added, or a restart got a witness); `chain` is the new one. */
  chain: [{ chain: KeyMeta['chain'] }];
  /** A background failure: KEY_SAVE_FAILED, KEY_KEYGEN_FAILED (both retried), KEY_NO_CYCLE (cycle expired without successor). Only emitted when a listener is attached; always logged. */
  error: [KeyManagerError];
}

/** Snapshot for `sealcam keys status` and the status endpoint. */
export interface KeyStatus {
  readonly running: boolean;
  readonly keyId: Uint8Array | null;
  readonly period: number | null;
  readonly T: number | null;
  readonly cycleEnd: bigint | null;
  readonly nextKeyId: Uint8Array | null;
  readonly generating: boolean;
  /** Cycles in the key chain. */
  readonly chainLength: number;
  /** The active cycle is a restart that no witness has acknowledged yet (signing waits). */
  readonly awaitingWitness: boolean;
  /** A state change is not yet durable (a save failed and is being retried). */
  readonly persistPending: boolean;
}
