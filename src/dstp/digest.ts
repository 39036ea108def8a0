/**
 * The per-block digest signed with the forward-secure key (SCHEME.md §6):
 * d_i = H("sealcam/dstp/v1/block" || headerDigest || u16(i) || blockHash_i).
 * Pure: no I/O.
 */
import { sha256 } from '../crypto/hash.js';
import { abytes, aint, u16, utf8 } from '../platform/bytes.js';

const BLOCK_TAG = utf8('sealcam/dstp/v1/block');

/**
 * Block digest d_i.
 * @throws TypeError / RangeError naming the argument (digests not 32 bytes, i ∉ [0, 65535]).
 */
export function blockDigest(headerDigest: Uint8Array, i: number, blockHash: Uint8Array): Uint8Array {
  abytes(headerDigest, 'headerDigest', 32);
  aint(i, 'i', 0, 0xffff);
  abytes(blockHash, 'blockHash', 32);
  return sha256(BLOCK_TAG, headerDigest, u16(i), blockHash);
}
