/**
 * The storage server's signed STATUS (the input of the device's Algorithm 1,
 * src/protocol/server-status.ts): free bytes usable for blocks (file-system
 * free space minus store.minFreeBytes, never negative), total bytes, blocks in
 * the store (accepted) and rejections since start, signed with the server key.
 */
import { signServerStatus } from '../protocol/server-status.js';
import type { ServerIdentity } from './server-key.js';

/** Inputs of one STATUS. */
export interface StatusInputs {
  readonly now: bigint;
  readonly free: bigint;
  readonly total: bigint;
  readonly minFreeBytes: bigint;
  readonly accepted: number;
  readonly rejected: number;
}

const U64_MAX = (1n << 64n) - 1n;
const clamp = (v: bigint): bigint => (v < 0n ? 0n : v > U64_MAX ? U64_MAX : v);

/** Builds and signs the 124-byte STATUS payload. */
export function buildStatus(id: ServerIdentity, s: StatusInputs): Uint8Array {
  return signServerStatus(id.suite, id.secret, {
    serverAddr: id.address, ts: s.now, freeBytes: clamp(s.free - s.minFreeBytes), totalBytes: clamp(s.total),
    accepted: BigInt(s.accepted), rejected: BigInt(s.rejected),
  });
}
