/**
 * sealcam's own validation of a JPEG's Content Credentials (C2PA 2.x §15,
 * docs/C2PA.md), for the active manifest: the claim's signature reference,
 * every hashed URI against its assertion box, undeclared assertions, exactly
 * one hard binding and it a `c2pa.hash.data` whose hash matches the file
 * minus its exclusions (which must be exactly the manifest segments, so the
 * stripped file is the signed original), the ES256 COSE signature over the
 * claim with the leaf certificate's key, and the certificate chain (profile,
 * links, validity at the given time, trust anchors when given). Pure and
 * browser-bundlable: SHA-256 through the injected seam, ECDSA through
 * @noble/curves, X.509 through @peculiar/x509 over WebCrypto. Never throws for
 * hostile input: every fault is a reported reason.
 */
import { isSealcamError } from '../platform/errors.js';
import { DATA_HASH_LABEL, HARD_BINDING_LABELS, parseDataHash } from './assertions.js';
import { checkCertificateChain, type SignerInfo } from './chain.js';
import { assertionLabelOf, signatureUrl } from './claim.js';
import { verifyClaimSignature } from './cose.js';
import { asha256, type Sha256 } from './hash.js';
import { readC2pa, type C2paContent } from './read.js';
import { C2PA_STATUS_OF, isC2paReason, type C2paReason } from './reasons.js';
import { equalBytes } from '@noble/curves/utils.js';

/** Options of validateC2pa. */
export interface C2paValidationOptions {
  /** When the certificates must be valid: the verifier's now (no TSA time-stamp exists). */
  at: Date;
  /** Trust anchors (DER): the maker CAs the verifier trusts. */
  trustAnchors?: readonly Uint8Array[];
  /** SHA-256 seam (default @noble/hashes). */
  sha256?: Sha256;
}

/** One reason the credentials do not validate. */
export interface C2paFailure {
  code: C2paReason;
  /** The C2PA validation status code for the same fault, when C2PA defines one. */
  c2pa: string | undefined;
  message: string;
}

/** The outcome of validateC2pa. */
export interface C2paValidation {
  /** Integrity, signature, certificate profile and validity all hold (trust aside). */
  valid: boolean;
  /** true / false when trust anchors were given, undefined otherwise. */
  trusted: boolean | undefined;
  failures: C2paFailure[];
  /** What was read (undefined when the credentials could not be parsed). */
  content: C2paContent | undefined;
  signer: SignerInfo | undefined;
}

function failure(code: C2paReason, message: string): C2paFailure {
  return { code, c2pa: C2PA_STATUS_OF[code], message };
}

/** SHA-256 of `jpeg` without the exclusion ranges, or a reason when the ranges are unusable. */
function hashWithExclusions(jpeg: Uint8Array, exclusions: { start: number; length: number }[], sha256: Sha256): Uint8Array | string {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const e of exclusions) {
    if (e.start < at) return 'exclusions overlap or are out of order';
    if (e.start + e.length > jpeg.length) return 'an exclusion reaches past the end of the file';
    parts.push(jpeg.subarray(at, e.start));
    at = e.start + e.length;
  }
  parts.push(jpeg.subarray(at));
  return sha256(...parts);
}

function checkManifest(jpeg: Uint8Array, content: C2paContent, sha256: Sha256): C2paFailure[] {
  const out: C2paFailure[] = [];
  const m = content.active;
  if (m.claim.signature !== signatureUrl(m.label)) out.push(failure('C2PA_CLAIM_MALFORMED', `claim signature URI ${JSON.stringify(m.claim.signature)} does not name this manifest's signature`));
  if ((m.claim.alg ?? 'sha256') !== 'sha256') out.push(failure('C2PA_UNSUPPORTED', `claim hash algorithm ${String(m.claim.alg)}`));
  const byLabel = new Map(m.assertions.map((a) => [a.label, a]));
  const referenced = new Set<string>();
  for (const h of [...m.claim.createdAssertions, ...m.claim.gatheredAssertions]) {
    const label = assertionLabelOf(h.url, m.label);
    const a = label === undefined ? undefined : byLabel.get(label);
    if (!a || label === undefined) {
      out.push(failure('C2PA_ASSERTION_MISSING', `claim references ${JSON.stringify(h.url)}, which is not an assertion of this manifest`));
      continue;
    }
    if (referenced.has(label)) out.push(failure('C2PA_CLAIM_MALFORMED', `assertion ${JSON.stringify(label)} is referenced twice`));
    referenced.add(label);
    if ((h.alg ?? m.claim.alg ?? 'sha256') !== 'sha256') out.push(failure('C2PA_UNSUPPORTED', `hash algorithm ${String(h.alg)} of ${label}`));
    else if (!equalBytes(h.hash, sha256(a.hashed))) out.push(failure('C2PA_ASSERTION_HASH_MISMATCH', `assertion ${JSON.stringify(label)} does not match its hash in the claim`));
  }
  for (const a of m.assertions) if (!referenced.has(a.label)) out.push(failure('C2PA_ASSERTION_UNDECLARED', `assertion ${JSON.stringify(a.label)} is not referenced by the claim`));
  const bindings = [...referenced].filter((l) => HARD_BINDING_LABELS.includes(l));
  if (bindings.length !== 1 || bindings[0] !== DATA_HASH_LABEL) {
    out.push(failure('C2PA_HARD_BINDING_MISSING', `the claim must reference exactly one hard binding, ${DATA_HASH_LABEL}; it references ${JSON.stringify(bindings)}`));
    return out;
  }
  const dh = parseDataHash(byLabel.get(DATA_HASH_LABEL)!.content);
  if ((dh.alg ?? m.claim.alg ?? 'sha256') !== 'sha256') {
    out.push(failure('C2PA_UNSUPPORTED', `data hash algorithm ${String(dh.alg)}`));
    return out;
  }
  const { start, end } = content.segments;
  if (!dh.exclusions.some((e) => e.start <= start && e.start + e.length >= end)) {
    out.push(failure('C2PA_EXCLUSION_INVALID', 'the data hash does not exclude the manifest store segments'));
  } else if (dh.exclusions.length !== 1 || dh.exclusions[0]!.start !== start || dh.exclusions[0]!.length !== end - start) {
    out.push(failure('C2PA_EXCLUSION_INVALID', 'the data hash excludes more than the manifest store segments: the stripped file is not all that was signed'));
  }
  const got = hashWithExclusions(jpeg, dh.exclusions, sha256);
  if (typeof got === 'string') out.push(failure('C2PA_EXCLUSION_INVALID', got));
  else if (!equalBytes(got, dh.hash)) out.push(failure('C2PA_DATA_HASH_MISMATCH', 'the file bytes do not match the data hash (c2pa.hash.data)'));
  return out;
}

/**
 * Validates a JPEG's Content Credentials (active manifest).
 * @throws TypeError on a bad argument (jpeg not a Uint8Array, `at` not a Date,
 *   a trust anchor that is not a certificate); never for hostile file bytes.
 */
export async function validateC2pa(jpeg: Uint8Array, opts: C2paValidationOptions): Promise<C2paValidation> {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  if (!(opts?.at instanceof Date) || Number.isNaN(opts.at.getTime())) throw new TypeError('at must be a valid Date');
  const sha256 = asha256(opts.sha256);
  const anchored = (opts.trustAnchors?.length ?? 0) > 0;
  let content: C2paContent;
  try {
    content = readC2pa(jpeg);
  } catch (e) {
    if (isSealcamError(e) && isC2paReason(e.code)) {
      return { valid: false, trusted: anchored ? false : undefined, failures: [failure(e.code, e.message)], content: undefined, signer: undefined };
    }
    throw e;
  }
  const failures: C2paFailure[] = [];
  try {
    failures.push(...checkManifest(jpeg, content, sha256));
  } catch (e) {
    if (!(isSealcamError(e) && isC2paReason(e.code))) throw e;
    failures.push(failure(e.code, e.message));
  }
  const chain = await checkCertificateChain(content.certificateChain, { at: opts.at, trustAnchors: opts.trustAnchors });
  const sig = content.active.signature;
  if (!chain.signer?.publicKey) failures.push(failure('C2PA_SIGNATURE_INVALID', 'the signing certificate has no P-256 key to verify the claim signature'));
  else if (!verifyClaimSignature(sig, content.active.claimBytes, chain.signer.publicKey, sha256)) {
    failures.push(failure('C2PA_SIGNATURE_INVALID', 'the claim signature does not verify with the signing certificate'));
  }
  for (const f of chain.failures) failures.push(failure(f.code, f.message));
  return {
    valid: failures.every((f) => f.code === 'C2PA_UNTRUSTED'),
    trusted: chain.trusted,
    failures,
    content,
    signer: chain.signer,
  };
}
