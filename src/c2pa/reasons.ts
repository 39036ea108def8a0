/**
 * Reason codes of sealcam's Content Credentials (C2PA) layer (docs/C2PA.md).
 * Parsers and the writer throw a SealcamError carrying one of them; the
 * validator reports them, each with the C2PA validation status code that the
 * official SDK gives for the same fault where one exists. Pure: no I/O.
 */
import { SealcamError } from '../platform/errors.js';

/** Every C2PA-layer reason code. */
export const C2PA_REASONS = [
  // reading (hostile input)
  'C2PA_NOT_FOUND', 'C2PA_JPEG_MALFORMED', 'C2PA_SEGMENTS_MALFORMED', 'C2PA_TOO_LARGE', 'C2PA_JUMBF_MALFORMED',
  'C2PA_CBOR_MALFORMED', 'C2PA_STORE_MALFORMED', 'C2PA_CLAIM_MALFORMED', 'C2PA_ASSERTION_MALFORMED',
  'C2PA_COSE_MALFORMED', 'C2PA_CERT_MALFORMED', 'C2PA_UNSUPPORTED',
  // validation
  'C2PA_SIGNATURE_INVALID', 'C2PA_ASSERTION_HASH_MISMATCH', 'C2PA_ASSERTION_MISSING', 'C2PA_ASSERTION_UNDECLARED',
  'C2PA_HARD_BINDING_MISSING', 'C2PA_DATA_HASH_MISMATCH', 'C2PA_EXCLUSION_INVALID', 'C2PA_CHAIN_INVALID',
  'C2PA_CERT_PROFILE', 'C2PA_CERT_EXPIRED', 'C2PA_UNTRUSTED',
  // writing
  'C2PA_UNSUPPORTED_SUITE', 'C2PA_NO_CERTIFICATE', 'C2PA_ALREADY_PRESENT', 'C2PA_PAYLOAD_INVALID', 'C2PA_SIGNER_MISMATCH',
] as const;

/** One C2PA-layer reason code. */
export type C2paReason = (typeof C2PA_REASONS)[number];

/**
 * The C2PA validation status code (C2PA 2.x §15, as c2pa-rs spells it) matching
 * each validation reason; reasons without one (our own stricter checks, or
 * parse failures the SDK reports as a read error) map to undefined.
 */
export const C2PA_STATUS_OF: Readonly<Partial<Record<C2paReason, string>>> = {
  C2PA_CLAIM_MALFORMED: 'claim.malformed',
  C2PA_COSE_MALFORMED: 'claimSignature.missing',
  C2PA_SIGNATURE_INVALID: 'claimSignature.mismatch',
  C2PA_ASSERTION_HASH_MISMATCH: 'assertion.hashedURI.mismatch',
  C2PA_ASSERTION_MISSING: 'assertion.missing',
  C2PA_ASSERTION_UNDECLARED: 'assertion.undeclared',
  C2PA_HARD_BINDING_MISSING: 'claim.hardBindings.missing',
  C2PA_DATA_HASH_MISMATCH: 'assertion.dataHash.mismatch',
  C2PA_CHAIN_INVALID: 'signingCredential.invalid',
  C2PA_CERT_MALFORMED: 'signingCredential.invalid',
  C2PA_CERT_PROFILE: 'signingCredential.invalid',
  C2PA_CERT_EXPIRED: 'signingCredential.expired',
  C2PA_UNTRUSTED: 'signingCredential.untrusted',
};

/** A SealcamError carrying a C2PA reason. */
export function c2paError(code: C2paReason, message: string, cause?: unknown): SealcamError<C2paReason> {
  return new SealcamError(code, message, cause === undefined ? undefined : { cause });
}

const REASON_SET: ReadonlySet<string> = new Set(C2PA_REASONS);

/** True when `v` is a C2PA-layer reason code. */
export function isC2paReason(v: unknown): v is C2paReason {
  return typeof v === 'string' && REASON_SET.has(v);
}
