/** Messages between generateKeyCycle and the keygen worker (structured-clone safe). */
import type { SafePrimes } from './keygen-core.js';
import type { KeygenParams } from './types.js';

/** Parent → worker: start. */
export interface StartMsg {
  type: 'start';
  params: KeygenParams;
  primes?: SafePrimes;
}
/** Worker → parent: request n random bytes. */
export interface RngRequest {
  type: 'rng';
  n: number;
}
/** Parent → worker: the requested bytes. */
export interface RngReply {
  type: 'rng';
  bytes: Uint8Array;
}
/** Worker → parent: finished; `state` is the encoded period-1 state, `b` the b_j as 17-byte I2OSP each. */
export interface DoneMsg {
  type: 'done';
  state: Uint8Array;
  b: Uint8Array;
}
/** Worker → parent: failed. */
export interface ErrorMsg {
  type: 'error';
  code?: string;
  message: string;
}
export type WorkerToParent = RngRequest | DoneMsg | ErrorMsg;
export type ParentToWorker = StartMsg | RngReply;

/** Bytes per packed b_j (b_j < 2^130). */
export const B_BYTES = 17;
