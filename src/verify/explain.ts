/**
 * Reason codes in words, for people (the verification page, docs/VERIFY-WEB.md):
 * one sentence for every code a capture bundle, a key chain (SCHEME.md §6, §7
 * v1.1), a SaveHash proof, Content Credentials or a photo can fail with. The
 * table's type lists every code union, so a new code does not compile until it
 * has its sentence. Pure.
 */
import type { ChainReason } from '../chain/reasons.js';
import type { C2paReason } from '../c2pa/reasons.js';
import type { DstpReason } from '../dstp/reasons.js';
import type { SaveHashReason } from '../ledger/savehash/savehash.js';
import type { PhotoReason } from './photo.js';

/** Every code explained. */
export type ExplainedReason = DstpReason | ChainReason | C2paReason | SaveHashReason | PhotoReason;

const ALTERED = 'The file was altered after the camera signed it';

const TEXT: Readonly<Record<ExplainedReason, string>> = {
  // §6: the capture header
  HEADER_LENGTH: 'The capture header has the wrong length: this is not a sealcam capture, or it was damaged.',
  HEADER_MAGIC: 'The capture header does not start with "DSTP": this is not a sealcam capture.',
  HEADER_VERSION: 'The capture header has a version this verifier does not know.',
  HEADER_SUITE: 'The capture header names an unknown signature suite.',
  HEADER_MODE: 'The capture header names an unknown capture mode.',
  HEADER_CONTENT_TYPE: 'The capture header names an unknown content type.',
  ECDSA_SIG_LENGTH: 'The device signature over the capture header has the wrong length.',
  ECDSA_R_RANGE: 'The device signature over the capture header is malformed (r out of range).',
  ECDSA_S_RANGE: 'The device signature over the capture header is malformed (s out of range).',
  ECDSA_HIGH_S: 'The device signature over the capture header is not in canonical (low-S) form.',
  ECDSA_BAD_SIGNATURE: `The device signature over the capture header does not verify. ${ALTERED}, or another key signed it.`,
  DEVICE_KEY_INVALID: 'The device public key is not a valid key.',
  DEVICE_ADDR_MISMATCH: 'The capture header names another device than the key that signed it.',
  KEYID_MISMATCH: 'The capture header names another key cycle than the one given.',
  FSKEY_DEVICE_MISMATCH: 'The forward-secure key belongs to another device.',
  HEADER_BLOCK_COUNT: 'The capture header declares a block count that does not fit the key.',
  HEADER_PERIOD: 'The capture header\'s time is not in the period it claims, or outside the key cycle.',
  BLOCK_INDEX_RANGE: 'A block has an index outside the capture\'s blocks.',
  BLOCK_RANGE: 'A block lies outside the capture\'s bytes.',
  BLOCK_DATA_HASH: `A block's bytes do not match the hash the camera signed. ${ALTERED}.`,
  MERKLE_PROOF_FORMAT: 'A block\'s proof of membership in the capture is malformed.',
  MERKLE_PROOF_SHAPE: 'A block\'s proof of membership has the wrong shape for the capture.',
  MERKLE_PROOF: 'A block is not part of the capture the camera signed (its membership proof fails).',
  FS_INDEX_MISMATCH: 'A block\'s forward-secure signature is for another block.',
  FS_PERIOD_MISMATCH: 'A block\'s forward-secure signature is for another time period than the header.',
  FS_TS_MISMATCH: 'A block\'s forward-secure signature carries another time than the header.',
  FS_SEQ_MISMATCH: 'A block\'s forward-secure signature carries another sequence number than the header.',
  FS_DIGEST_LENGTH: 'A block\'s signed digest has the wrong length.',
  FS_SIG_LENGTH: 'A block\'s forward-secure signature has the wrong length.',
  FS_SIG_VERSION: 'A block\'s forward-secure signature has an unknown version.',
  FS_BLOCK_INDEX_RANGE: 'A block\'s forward-secure signature names a block index the key does not have.',
  FS_PERIOD_RANGE: 'A block\'s forward-secure signature names a period outside the key cycle.',
  FS_PERIOD_TS_MISMATCH: 'A block\'s forward-secure signature claims a time outside its period.',
  FS_Y_RANGE: 'A block\'s forward-secure signature is malformed.',
  FS_OMEGA_MISMATCH: `A block's forward-secure signature does not verify. ${ALTERED}, or it was not signed by this key in this period.`,
  FSKEY_LENGTH: 'The forward-secure public key has the wrong length.',
  FSKEY_MAGIC: 'The forward-secure public key is not a sealcam key.',
  FSKEY_VERSION: 'The forward-secure public key has an unknown version.',
  FSKEY_MODULUS_SIZE: 'The forward-secure public key has an unsupported modulus size.',
  FSKEY_N_RANGE: 'The forward-secure public key allows an invalid number of blocks.',
  FSKEY_T_RANGE: 'The forward-secure public key has an invalid number of periods.',
  FSKEY_DELTA_RANGE: 'The forward-secure public key has an invalid period length.',
  FSKEY_CYCLE_RANGE: 'The forward-secure key cycle runs past the end of time.',
  FSKEY_MODULUS: 'The forward-secure public key\'s modulus is invalid.',
  FSKEY_V_RANGE: 'The forward-secure public key is degenerate (anyone could sign with it).',
  FSKEY_EXPONENTS: 'The forward-secure public key\'s exponents are not distinct.',
  BLOCK_LAYOUT: 'The blocks do not tile the capture exactly (gaps, overlaps or a wrong order).',
  CAPTURE_HASH: `The reassembled picture does not match the hash the camera signed. ${ALTERED}.`,
  BLOCKS_EMPTY: 'The file lists no blocks.',
  BLOCK_DUPLICATE: 'The file lists a block twice.',
  DEVICE_ADDR_FIELD: 'The stated device address does not match the device key.',
  HEADER_DIGEST_FIELD: 'The stated header digest does not match the header.',
  FRAME_ROOT_FIELD: 'The stated frame root does not match the header.',
  LEAF_FIELD: 'A block\'s stated leaf hash does not match the block.',
  D_FIELD: 'A block\'s stated signed digest does not match the block.',
  CASE_FORMAT: 'The file is not a well-formed sealcam test case.',
  BUNDLE_FORMAT: 'The file is not a well-formed sealcam capture bundle (or its key chain is malformed).',
  BUNDLE_INCOMPLETE: 'Blocks of the capture are missing, so the picture cannot be checked.',
  CAPTURE_LENGTH: 'The blocks do not add up to the capture length the camera signed.',
  // §7 v1.1: the key chain
  CHAIN_LENGTH: 'The key chain is impossibly long; it was refused before reading it.',
  CHAIN_MAKER_UNTRUSTED: 'The camera\'s maker is not on your trust list (or the capture names another maker than its chain).',
  CHAIN_FACTORY_SIG: 'The maker\'s factory record for this camera does not verify: the camera\'s identity is not the one the maker signed.',
  CHAIN_FIRST_KEY: 'The first key cycle is not the one the maker pinned at the factory.',
  CHAIN_KEY_INVALID: 'A key cycle in the chain is invalid or repeats an earlier one.',
  CHAIN_DEVICE: 'A key cycle in the chain belongs to another camera.',
  CHAIN_ENDORSE_SIG: 'A key cycle was not properly endorsed by the previous one: the endorsement does not verify, or is dated outside the allowed window (a sign of a stolen key creating a back-dated cycle).',
  CHAIN_RESTART_SIG: 'A restart of the key chain is not signed by the camera, or does not continue from the previous cycle.',
  CHAIN_WITNESS: 'A restart of the key chain has no valid acknowledgement from a witness on your trust list.',
  CHAIN_RESTART_EARLY: 'The key chain was restarted while the previous key cycle was still running (a sign of a stolen camera key).',
  CHAIN_KEYID: 'The key chain ends with another key cycle than the one that signed the picture.',
  CHAIN_BACKDATED: 'The picture claims a time before its key cycle could count: it is back-dated, as a thief holding a stolen key would do.',
  CHAIN_MISSING: 'The file has no key chain, so the camera\'s maker and the capture time cannot be established.',
  CHAIN_FORK: 'Another given file shows a second successor of the same key cycle: the camera\'s key was cloned.',
  // SaveHash (the receiver's storage proof)
  SAVEHASH_FORMAT: 'The storage proof (SaveHash) is malformed.',
  SAVEHASH_STATE: 'The storage proof\'s chain state is malformed.',
  SAVEHASH_PROOF_SHAPE: 'The storage proof has the wrong shape.',
  SAVEHASH_PROOF: 'The storage proof does not include this capture.',
  SAVEHASH_LINK: 'The storage proof does not link to its chain.',
  SAVEHASH_NOT_IN_CHAIN: 'The storage proof is not in the anchored SaveHash chain.',
  SAVEHASH_CHAIN: 'The SaveHash chain is broken.',
  // Content Credentials (C2PA)
  C2PA_NOT_FOUND: 'This file has no Content Credentials and no sealcam proof: nothing shows where or when it was made.',
  C2PA_JPEG_MALFORMED: 'This is not a well-formed JPEG.',
  C2PA_SEGMENTS_MALFORMED: 'The Content Credentials segments of the JPEG are damaged or out of order.',
  C2PA_TOO_LARGE: 'The Content Credentials are too large to read.',
  C2PA_JUMBF_MALFORMED: 'The Content Credentials are damaged (JUMBF boxes).',
  C2PA_CBOR_MALFORMED: 'The Content Credentials are damaged (CBOR data).',
  C2PA_STORE_MALFORMED: 'The Content Credentials store is malformed.',
  C2PA_CLAIM_MALFORMED: 'The Content Credentials claim is malformed.',
  C2PA_ASSERTION_MALFORMED: 'A Content Credentials assertion is malformed.',
  C2PA_COSE_MALFORMED: 'The Content Credentials signature is malformed.',
  C2PA_CERT_MALFORMED: 'A certificate in the Content Credentials does not parse.',
  C2PA_UNSUPPORTED: 'The Content Credentials use a feature this verifier does not support.',
  C2PA_SIGNATURE_INVALID: 'The Content Credentials signature does not verify: the credentials were altered.',
  C2PA_ASSERTION_HASH_MISMATCH: 'A Content Credentials assertion was altered after signing.',
  C2PA_ASSERTION_MISSING: 'The Content Credentials refer to an assertion that is not there.',
  C2PA_ASSERTION_UNDECLARED: 'The Content Credentials hold an assertion the signer did not sign.',
  C2PA_HARD_BINDING_MISSING: 'The Content Credentials are not bound to the picture\'s bytes.',
  C2PA_DATA_HASH_MISMATCH: `The picture's bytes do not match its Content Credentials. ${ALTERED}.`,
  C2PA_EXCLUSION_INVALID: 'The Content Credentials leave parts of the picture unsigned.',
  C2PA_CHAIN_INVALID: 'The signer\'s certificate chain is broken.',
  C2PA_CERT_PROFILE: 'The signer\'s certificate is not allowed to sign Content Credentials.',
  C2PA_CERT_EXPIRED: 'A certificate in the Content Credentials is not valid now.',
  C2PA_UNTRUSTED: 'The Content Credentials\' signer is not on your trust list.',
  C2PA_UNSUPPORTED_SUITE: 'This camera\'s key type cannot sign Content Credentials.',
  C2PA_NO_CERTIFICATE: 'This camera has no certificate to sign Content Credentials with.',
  C2PA_ALREADY_PRESENT: 'The JPEG already has Content Credentials.',
  C2PA_PAYLOAD_INVALID: 'The sealcam data cannot be written into Content Credentials.',
  C2PA_SIGNER_MISMATCH: 'The signing key does not match the signer\'s certificate.',
  // photos
  PHOTO_NO_SEALCAM: 'This photo has Content Credentials, but no sealcam proof: its capture time cannot be checked.',
  PHOTO_PAYLOAD_FORMAT: 'The sealcam proof inside the Content Credentials is malformed.',
  PHOTO_CAPTURE_MISMATCH: `The picture is not exactly the capture the camera signed. ${ALTERED}.`,
  PHOTO_SIGNER_MISMATCH: 'The Content Credentials were signed by another key than the camera that took the picture.',
};

/** Every explained code (for tests and documentation). */
export const EXPLAINED_REASONS: readonly ExplainedReason[] = Object.keys(TEXT) as ExplainedReason[];

/** A sentence for a reason code; unknown codes get a generic sentence naming the code. */
export function explainReason(code: string): string {
  return Object.hasOwn(TEXT, code) ? TEXT[code as ExplainedReason] : `The check failed (${code}).`;
}
