/**
 * The claim signature (C2PA 2.x §13.2): a tagged COSE_Sign1 (RFC 9052, tag
 * 18) with a detached payload (the claim bytes), ES256 (alg -7: ECDSA P-256,
 * SHA-256, 64-byte r||s) and the X.509 chain, leaf first, in the protected
 * header as x5chain (label 33, RFC 9360). Builds the Sig_structure that is
 * signed, encodes the envelope, and parses it strictly. No time-stamp
 * (sigTst2) is written: no TSA is reachable from a camera (docs/C2PA.md).
 * Pure: no I/O.
 */
import { p256 } from '@noble/curves/nist.js';
import { cborDecode, cborEncode, Tagged, type CborValue } from './cbor.js';
import type { Sha256 } from './hash.js';
import { c2paError } from './reasons.js';

/** CBOR tag of COSE_Sign1 (RFC 9052). */
export const COSE_SIGN1_TAG = 18;
/** COSE algorithm ES256: ECDSA P-256 with SHA-256. */
export const COSE_ALG_ES256 = -7;
const HDR_ALG = 1;
const HDR_CRIT = 2;
const HDR_X5CHAIN = 33;
/** Most certificates accepted in x5chain. */
export const MAX_CHAIN = 8;
/** Largest certificate accepted in x5chain (bytes). */
export const MAX_CERT_BYTES = 16384;

/** A parsed COSE_Sign1 claim signature. */
export interface CoseSign1 {
  /** The protected header bytes exactly as signed. */
  protectedBytes: Uint8Array;
  alg: number;
  /** x5chain: DER certificates, leaf first. */
  certificateChain: Uint8Array[];
  /** The unprotected header (e.g. a `pad` or a TSA `sigTst2` written by other signers). */
  unprotected: CborValue;
  /** 64-byte r||s. */
  signature: Uint8Array;
}

/**
 * The protected header: {1: -7, 33: leaf DER | [leaf, …, CA] DERs}.
 * @throws RangeError on an empty or oversized chain.
 */
export function protectedHeader(chain: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN) throw new RangeError(`certificate chain must hold 1..${MAX_CHAIN} certificates`);
  for (const [i, c] of chain.entries()) {
    if (!(c instanceof Uint8Array) || c.length === 0 || c.length > MAX_CERT_BYTES) throw new RangeError(`certificate ${i} must be 1..${MAX_CERT_BYTES} bytes of DER`);
  }
  const x5chain = chain.length === 1 ? chain[0]! : [...chain];
  return cborEncode(new Map<number, unknown>([[HDR_ALG, COSE_ALG_ES256], [HDR_X5CHAIN, x5chain]]));
}

/** The bytes signed: Sig_structure ["Signature1", protected, h'' (external_aad), payload] (RFC 9052 §4.4). */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return cborEncode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/** The tagged COSE_Sign1 with a detached (nil) payload and an empty unprotected header. @throws RangeError on a signature that is not 64 bytes. */
export function encodeCoseSign1(protectedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new RangeError('ES256 signature must be 64 bytes r||s');
  return cborEncode(new Tagged(COSE_SIGN1_TAG, [protectedBytes, new Map(), null, signature]));
}

function bad(msg: string): never {
  throw c2paError('C2PA_COSE_MALFORMED', `claim signature: ${msg}`);
}

/**
 * Parses a claim signature strictly: tag 18, four fields, a protected map with
 * alg ES256 and x5chain, no `crit`, a nil (detached) payload, a 64-byte signature.
 * @throws SealcamError C2PA_COSE_MALFORMED; C2PA_UNSUPPORTED for another algorithm.
 */
export function parseCoseSign1(bytes: Uint8Array): CoseSign1 {
  const v = cborDecode(bytes, 'claim signature', 'C2PA_COSE_MALFORMED', [COSE_SIGN1_TAG]);
  if (!(v instanceof Tagged) || v.tag !== COSE_SIGN1_TAG) bad('not a tagged COSE_Sign1');
  const arr = v.value as CborValue;
  if (!Array.isArray(arr) || arr.length !== 4) bad('COSE_Sign1 must have 4 fields');
  const [prot, unprotected, payload, signature] = arr as [CborValue, CborValue, CborValue, CborValue];
  if (!(prot instanceof Uint8Array) || prot.length === 0) bad('protected header must be a non-empty byte string');
  const hdr = cborDecode(prot, 'protected header', 'C2PA_COSE_MALFORMED');
  if (!(hdr instanceof Map)) bad('protected header must be a map with integer labels');
  if (hdr.has(HDR_CRIT)) bad('critical header parameters are not supported');
  const alg = hdr.get(HDR_ALG);
  if (typeof alg !== 'number') bad('protected header has no alg');
  if (alg !== COSE_ALG_ES256) throw c2paError('C2PA_UNSUPPORTED', `claim signature algorithm ${alg} (only ES256, -7, is supported)`);
  const x5 = hdr.get(HDR_X5CHAIN);
  const chain = x5 instanceof Uint8Array ? [x5] : x5;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN) bad(`x5chain must hold 1..${MAX_CHAIN} certificates in the protected header`);
  for (const c of chain) if (!(c instanceof Uint8Array) || c.length === 0 || c.length > MAX_CERT_BYTES) bad(`x5chain entries must be 1..${MAX_CERT_BYTES} bytes`);
  if (typeof unprotected !== 'object' || unprotected === null || Array.isArray(unprotected) || unprotected instanceof Uint8Array || unprotected instanceof Tagged) {
    bad('unprotected header must be a map');
  }
  if (payload !== null) bad('payload must be detached (nil)');
  if (!(signature instanceof Uint8Array) || signature.length !== 64) bad('ES256 signature must be 64 bytes');
  return { protectedBytes: prot, alg, certificateChain: chain as Uint8Array[], unprotected, signature };
}

/**
 * Verifies an ES256 claim signature: ECDSA P-256 over SHA-256(Sig_structure)
 * with `publicKey` (65 bytes 0x04||x||y), via @noble/curves. High-S signatures
 * from other signers are accepted, as COSE does.
 */
export function verifyClaimSignature(cose: Pick<CoseSign1, 'protectedBytes' | 'signature'>, claim: Uint8Array, publicKey: Uint8Array, sha256: Sha256): boolean {
  try {
    const digest = sha256(sigStructure(cose.protectedBytes, claim));
    return p256.verify(cose.signature, digest, publicKey, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}
