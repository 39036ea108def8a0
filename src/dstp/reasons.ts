/**
 * Reason codes of DSTP verification (SCHEME.md §6 and the Appendix). Every
 * verifier in this folder returns one of these (or null when valid); parsers
 * throw a SealcamError carrying one of them.
 */

/** §2 key-validation codes of the registered FsPublicKey, prefixed `FS` inside DSTP. */
export const FSKEY_REASONS = [
  'FSKEY_LENGTH', 'FSKEY_MAGIC', 'FSKEY_VERSION', 'FSKEY_MODULUS_SIZE', 'FSKEY_N_RANGE', 'FSKEY_T_RANGE',
  'FSKEY_DELTA_RANGE', 'FSKEY_CYCLE_RANGE', 'FSKEY_MODULUS', 'FSKEY_V_RANGE', 'FSKEY_EXPONENTS',
] as const;

/** §4 verification codes of a block's FsSignature, prefixed `FS_` inside DSTP. */
export const FS_SIG_REASONS = [
  'FS_DIGEST_LENGTH', 'FS_SIG_LENGTH', 'FS_SIG_VERSION', 'FS_BLOCK_INDEX_RANGE', 'FS_PERIOD_RANGE',
  'FS_PERIOD_TS_MISMATCH', 'FS_Y_RANGE', 'FS_OMEGA_MISMATCH',
] as const;

/** Header-decoding codes (§6 first checks), in check order. */
export const HEADER_DECODE_REASONS = [
  'HEADER_LENGTH', 'HEADER_MAGIC', 'HEADER_VERSION', 'HEADER_SUITE', 'HEADER_MODE', 'HEADER_CONTENT_TYPE',
] as const;

/** Every DSTP reason code. */
export const DSTP_REASONS = [
  ...HEADER_DECODE_REASONS,
  'ECDSA_SIG_LENGTH', 'ECDSA_R_RANGE', 'ECDSA_S_RANGE', 'ECDSA_HIGH_S', 'ECDSA_BAD_SIGNATURE', 'DEVICE_KEY_INVALID',
  'DEVICE_ADDR_MISMATCH', 'KEYID_MISMATCH', 'FSKEY_DEVICE_MISMATCH', 'HEADER_BLOCK_COUNT', 'HEADER_PERIOD',
  'BLOCK_INDEX_RANGE', 'BLOCK_RANGE', 'BLOCK_DATA_HASH',
  'MERKLE_PROOF_FORMAT', 'MERKLE_PROOF_SHAPE', 'MERKLE_PROOF',
  'FS_INDEX_MISMATCH', 'FS_PERIOD_MISMATCH', 'FS_TS_MISMATCH', 'FS_SEQ_MISMATCH',
  ...FS_SIG_REASONS,
  ...FSKEY_REASONS,
  'BLOCK_LAYOUT', 'CAPTURE_HASH', 'BLOCKS_EMPTY', 'BLOCK_DUPLICATE',
  'DEVICE_ADDR_FIELD', 'HEADER_DIGEST_FIELD', 'FRAME_ROOT_FIELD', 'LEAF_FIELD', 'D_FIELD',
  'CASE_FORMAT', 'BUNDLE_FORMAT', 'BUNDLE_INCOMPLETE', 'CAPTURE_LENGTH',
] as const;

export type HeaderDecodeReason = (typeof HEADER_DECODE_REASONS)[number];
export type MerkleReason = 'MERKLE_PROOF_FORMAT' | 'MERKLE_PROOF_SHAPE' | 'MERKLE_PROOF';
export type DstpReason = (typeof DSTP_REASONS)[number];

const REASON_SET: ReadonlySet<string> = new Set(DSTP_REASONS);

/** True when `v` is a DSTP reason code. */
export function isDstpReason(v: unknown): v is DstpReason {
  return typeof v === 'string' && REASON_SET.has(v);
}
