/**
 * Reason codes of the life-cycle records, key registration, bind protocol and
 * ledger (SCHEME.md §7). Verifiers return a {@link Failure}; decoders and
 * stateful helpers throw `SealcamError<code>`.
 */
import type { EcdsaReason } from '../crypto/ecdsa.js';
import { SealcamError } from '../platform/errors.js';

/** Malformed record bytes or JSON (binary and JSON codecs). */
export type RecordReason = 'RECORD_FORMAT' | 'RECORD_VERSION' | 'RECORD_ADDR_FIELD';

/**
 * Key registration (the key chain, SCHEME.md §7 v1.1) and its acknowledgement.
 * Registration's names for the chain check's codes: REG_MANUFACTURER_UNTRUSTED
 * (CHAIN_MAKER_UNTRUSTED), REG_FACTORY_SIGNATURE (CHAIN_FACTORY_SIG),
 * REG_FIRST_KEY, REG_KEY_INVALID, REG_DEVICE_MISMATCH (CHAIN_DEVICE),
 * REG_ENDORSE_SIGNATURE, REG_RESTART_SIGNATURE, REG_WITNESS, REG_RESTART_EARLY;
 * and its own: REG_CHAIN (does not continue a cycle the receiver holds),
 * REG_FORK (a second successor of a held cycle), REG_EXPIRED (the newest
 * cycle has ended), REG_LENGTH (too many cycles or blocks).
 */
export type RegReason =
  | 'REG_FORMAT'
  | 'REG_VERSION'
  | 'REG_LENGTH'
  | 'REG_MANUFACTURER_UNTRUSTED'
  | 'REG_DEVICE_KEY'
  | 'REG_FACTORY_SIGNATURE'
  | 'REG_FIRST_KEY'
  | 'REG_KEY_INVALID'
  | 'REG_DEVICE_MISMATCH'
  | 'REG_ENDORSE_SIGNATURE'
  | 'REG_RESTART_SIGNATURE'
  | 'REG_WITNESS'
  | 'REG_RESTART_EARLY'
  | 'REG_CHAIN'
  | 'REG_FORK'
  | 'REG_EXPIRED'
  | 'REG_ACK_SIGNATURE'
  | 'REG_ACK_UNTRUSTED'
  | 'REG_ACK_MISMATCH';

/** Bind protocol (DSTP protocol 2) and unbinding. */
export type BindReason =
  | 'BIND_SIGNATURE'
  | 'BIND_OWNER_SIGNATURE'
  | 'BIND_OWNER_ZERO'
  | 'BIND_DEVICE_MISMATCH'
  | 'BIND_NONCE_FORMAT'
  | 'BIND_NONCE_REUSED'
  | 'BIND_NONCE_CAPACITY'
  | 'UNBIND_SIGNATURE';

/** Ledger chain, storage and semantic rules. */
export type LedgerReason =
  | 'LEDGER_FORMAT'
  | 'LEDGER_VERSION'
  | 'LEDGER_CORRUPT'
  | 'LEDGER_IO'
  | 'LEDGER_INDEX'
  | 'LEDGER_PREV_HASH'
  | 'LEDGER_TYPE'
  | 'LEDGER_PAYLOAD'
  | 'LEDGER_HEAD'
  | 'LEDGER_UNKNOWN_DEVICE'
  | 'LEDGER_DUPLICATE_FACTORY'
  | 'LEDGER_SIGNER'
  | 'LEDGER_ALREADY_BOUND'
  | 'LEDGER_NOT_OWNER'
  | 'LEDGER_TOO_MANY_PROBLEMS'
  | 'SAVEHASH_SIGNATURE'
  | 'SAVEHASH_CHAIN';

/** Every code of this domain. */
export type LifecycleReason = RecordReason | RegReason | BindReason | LedgerReason;

/** A coded verification failure; `detail` carries the ECDSA reason when a signature failed. */
export interface Failure<C extends string = LifecycleReason> {
  readonly code: C;
  readonly message: string;
  readonly detail?: EcdsaReason;
}

/** Builds a {@link Failure}. */
export function failure<C extends LifecycleReason>(code: C, message: string, detail?: EcdsaReason): Failure<C> {
  return detail === undefined ? { code, message } : { code, message, detail };
}

/** Throws a SealcamError for a failure (keeps `detail` in the message). */
export function raise(f: Failure, cause?: unknown): never {
  const msg = f.detail === undefined ? f.message : `${f.message} (${f.detail})`;
  throw new SealcamError(f.code, msg, cause === undefined ? undefined : { cause });
}
