/**
 * Error codes of the IR-n scheme (SCHEME.md §1–4). Every failure that a
 * caller can act on is a `SealcamError<SchemeErrorCode>`; argument mistakes by
 * the programmer are TypeError/RangeError (STYLE.md §2).
 */
import { SealcamError } from '../platform/errors.js';

/** Public-key validation reasons, in the order SCHEME.md §2 checks them. */
export type KeyReason =
  | 'KEY_LENGTH'
  | 'KEY_MAGIC'
  | 'KEY_VERSION'
  | 'KEY_MODULUS_SIZE'
  | 'KEY_N_RANGE'
  | 'KEY_T_RANGE'
  | 'KEY_DELTA_RANGE'
  | 'KEY_CYCLE_RANGE'
  | 'KEY_MODULUS'
  | 'KEY_V_RANGE'
  | 'KEY_EXPONENTS';

/** Verification reasons of SCHEME.md §4, in check order. */
export type VerifyReason =
  | 'DIGEST_LENGTH'
  | 'SIG_LENGTH'
  | 'SIG_VERSION'
  | 'BLOCK_INDEX_RANGE'
  | 'PERIOD_RANGE'
  | 'PERIOD_TS_MISMATCH'
  | 'Y_RANGE'
  | 'OMEGA_MISMATCH';

/** FsSignature parse failures. */
export type SigDecodeReason = 'SIG_LENGTH' | 'SIG_VERSION';

/** Key-state (de)serialisation failures. */
export type StateReason = 'STATE_FORMAT' | 'STATE_VERSION';

/** Every code the scheme module throws. */
export type SchemeErrorCode =
  | KeyReason
  | SigDecodeReason
  | StateReason
  | 'SIGN_PERIOD' // ts outside the state's current period
  | 'KEY_CYCLE_END' // update()/seek() past period T
  | 'STATE_DESTROYED' // FsKeyState used after destroy()
  | 'SEED_EXHAUSTED' // no prime for ctr < 2^32 (never happens in practice)
  | 'KEYGEN_PRIMES' // injected primes are not distinct safe primes of the right size
  | 'KEYGEN_WORKER' // the keygen worker thread could not run
  | 'CASE_FORMAT'; // malformed test-vector JSON

/** Shorthand constructor for scheme errors. */
export function schemeError<C extends SchemeErrorCode>(code: C, message: string, cause?: unknown): SealcamError<C> {
  return new SealcamError(code, message, cause === undefined ? undefined : { cause });
}
