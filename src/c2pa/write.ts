/**
 * Adds Content Credentials to a sealcam JPEG capture (or builds the store
 * alone, to be embedded later by a receiver) (docs/C2PA.md): a C2PA
 * manifest store in APP11 segments holding `c2pa.actions.v2` (created,
 * digitalCapture), the sealcam assertion `org.sealcam.capture`, the hard
 * binding `c2pa.hash.data` (SHA-256 of the file minus the inserted segments,
 * which is SHA-256 of the original JPEG), a v2 claim over their hashes and its
 * ES256 COSE_Sign1 with the device's certificate chain. The device key signs
 * through an injected `sign(message)` (SCHEME.md §5 suite 2: 64-byte r||s over
 * SHA-256(message)), so the secret never enters this module; the result is
 * checked against the leaf certificate before it is returned, so a wrong key
 * or certificate gives an error, never a broken file. Pure apart from the
 * injected signer and randomness.
 */
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import type { Rng } from '../platform/rng.js';
import { ACTIONS_LABEL, DATA_HASH_LABEL, SEALCAM_LABEL, actionsAssertion, checkPayload, dataHashAssertion } from './assertions.js';
import { cborEncode } from './cbor.js';
import { assertionUrl, encodeClaim, signatureUrl } from './claim.js';
import { encodeCoseSign1, protectedHeader, sigStructure, verifyClaimSignature } from './cose.js';
import { asha256, type Sha256 } from './hash.js';
import { c2paInsertionOffset, c2paSegments, c2paSegmentsLength, findC2paSegments } from './jpeg.js';
import { assertionBox, manifestStore } from './manifest-store.js';
import { c2paError } from './reasons.js';
import { x509 } from './x509.js';

/** The device as a C2PA claim signer. */
export interface C2paSigner {
  /** The device key's suite (SCHEME.md §5): only 2 (ES256, P-256) exists in C2PA. */
  suite: number;
  /** Signs message M with the device key: 64 bytes r||s over SHA-256(M). */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** X.509 chain (DER), the device's certificate first, then its issuers. */
  certificateChain: readonly Uint8Array[];
}

/** Options of addC2pa. */
export interface AddC2paOptions {
  signer: C2paSigner;
  /**
   * The sealcam assertion payload (DSTP header, its signature, the blocks'
   * FsSignatures and layout, the key chain): JSON-able values, Uint8Arrays and
   * bigints, written as CBOR under `org.sealcam.capture`.
   */
  capture: unknown;
  /** Randomness for the manifest/instance UUIDs and the assertion salts. */
  rng: Rng;
  /** claim_generator_info; default { name: 'sealcam' }. */
  generator?: { name: string; version?: string };
  /** SHA-256 seam (default @noble/hashes). */
  sha256?: Sha256;
}

function uuidV4(rng: Rng): string {
  const b = rng.bytes(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new TypeError('rng.bytes(16) must return 16 bytes');
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function leafPoint(der: Uint8Array): Promise<Uint8Array> {
  try {
    const cert = new x509.X509Certificate(new Uint8Array(der));
    const alg = cert.publicKey.algorithm as { name?: string; namedCurve?: string };
    if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new Error(`key is ${alg.name} ${alg.namedCurve ?? ''}`);
    return new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', await cert.publicKey.export()));
  } catch (e) {
    throw c2paError('C2PA_SIGNER_MISMATCH', `the first certificate of the chain has no P-256 key: ${(e as Error).message}`, e);
  }
}

/**
 * Returns `jpeg` with an embedded, signed C2PA manifest store. Stripping the
 * store (stripC2pa) gives back `jpeg` byte for byte. Same as
 * `embedC2paStore(jpeg, await buildC2paStore(jpeg, opts))`.
 * @throws the errors of {@link buildC2paStore}.
 */
export async function addC2pa(jpeg: Uint8Array, opts: AddC2paOptions): Promise<Uint8Array> {
  return embedC2paStore(jpeg, await buildC2paStore(jpeg, opts));
}

/**
 * Inserts a manifest store made by {@link buildC2paStore} for exactly these
 * bytes: `jpeg[0, at) ‖ APP11 segments of store ‖ jpeg[at, end)`, `at` the
 * insertion offset after SOI and leading APP0/APP1. Nothing is checked
 * here: a store made for other bytes gives a file that fails validation
 * (C2PA_DATA_HASH_MISMATCH / C2PA_EXCLUSION_INVALID); validate the result
 * (validateC2pa) when the store came from elsewhere.
 * @throws TypeError unless both are Uint8Arrays; SealcamError C2PA_JPEG_MALFORMED, C2PA_ALREADY_PRESENT,
 *   C2PA_STORE_MALFORMED (not a JUMBF superbox of its own length), C2PA_TOO_LARGE.
 */
export function embedC2paStore(jpeg: Uint8Array, store: Uint8Array): Uint8Array {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  if (!(store instanceof Uint8Array)) throw new TypeError('store must be a Uint8Array');
  if (findC2paSegments(jpeg)) throw c2paError('C2PA_ALREADY_PRESENT', 'the JPEG already carries a C2PA manifest store');
  const at = c2paInsertionOffset(jpeg);
  let segments: Uint8Array;
  try {
    segments = c2paSegments(store);
  } catch (e) {
    if (e instanceof RangeError) throw c2paError('C2PA_STORE_MALFORMED', `not a manifest store: ${e.message}`, e);
    throw e;
  }
  return concatBytes(jpeg.subarray(0, at), segments, jpeg.subarray(at));
}

/**
 * The signed C2PA manifest store (JUMBF superbox bytes) for `jpeg`, whose
 * hard binding covers exactly `jpeg` once the store is inserted at its
 * insertion offset ({@link embedC2paStore}). The device builds it at capture
 * time and receivers embed it without any key (docs/C2PA.md "Credentials
 * through the receiver").
 * @throws TypeError / RangeError on a bad argument; SealcamError
 *   C2PA_UNSUPPORTED_SUITE (suite 1: C2PA has no secp256k1),
 *   C2PA_JPEG_MALFORMED, C2PA_ALREADY_PRESENT, C2PA_PAYLOAD_INVALID,
 *   C2PA_SIGNER_MISMATCH (the signature does not verify with the leaf
 *   certificate's key), C2PA_TOO_LARGE.
 */
export async function buildC2paStore(jpeg: Uint8Array, opts: AddC2paOptions): Promise<Uint8Array> {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  const { signer, rng } = opts ?? ({} as AddC2paOptions);
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') throw new TypeError('signer must have a sign function');
  if (typeof rng?.bytes !== 'function') throw new TypeError('rng must have a bytes function');
  if (signer.suite !== 2) {
    throw c2paError('C2PA_UNSUPPORTED_SUITE', `device suite ${String(signer.suite)} cannot sign Content Credentials: C2PA has no secp256k1 (ES256K); only suite 2 (ES256, P-256) devices can`);
  }
  const sha256 = asha256(opts.sha256);
  const generator = opts.generator ?? { name: 'sealcam' };
  if (typeof generator.name !== 'string' || generator.name.length === 0) throw new TypeError('generator.name must be a non-empty string');
  const protectedBytes = protectedHeader(signer.certificateChain);
  checkPayload(opts.capture);
  if (findC2paSegments(jpeg)) throw c2paError('C2PA_ALREADY_PRESENT', 'the JPEG already carries a C2PA manifest store');
  const at = c2paInsertionOffset(jpeg);
  const point = await leafPoint(signer.certificateChain[0]!);

  const label = `urn:c2pa:${uuidV4(rng)}`;
  const instanceId = `xmp:iid:${uuidV4(rng)}`;
  const salts = [rng.bytes(16), rng.bytes(16), rng.bytes(16)];
  const fixed = [
    assertionBox({ label: ACTIONS_LABEL, cbor: actionsAssertion(), salt: salts[0]! }),
    assertionBox({ label: SEALCAM_LABEL, cbor: cborEncode(opts.capture), salt: salts[1]! }),
  ];
  const build = (hash: Uint8Array, exclusionLength: number, sign: (claim: Uint8Array) => Uint8Array): Uint8Array => {
    const boxes = [...fixed, assertionBox({ label: DATA_HASH_LABEL, cbor: dataHashAssertion(at, exclusionLength, hash), salt: salts[2]! })];
    const claim = encodeClaim({
      instanceId,
      generator,
      signature: signatureUrl(label),
      createdAssertions: boxes.map((b, i) => ({ url: assertionUrl([ACTIONS_LABEL, SEALCAM_LABEL, DATA_HASH_LABEL][i]!), hash: sha256(b.subarray(8)) })),
      gatheredAssertions: [],
      alg: 'sha256',
      title: undefined,
      redactedAssertions: [],
    });
    return manifestStore(label, boxes, claim, encodeCoseSign1(protectedBytes, sign(claim)));
  };

  // The store's size depends only on how long the CBOR integer of its own
  // segments' length is: iterate to the fixed point (two rounds in practice).
  const zeros64 = (): Uint8Array => new Uint8Array(64);
  let length = 1;
  for (let round = 0; ; round++) {
    const next = c2paSegmentsLength(build(new Uint8Array(32), length, zeros64).length);
    if (next === length) break;
    if (round >= 8) throw new Error('C2PA manifest size did not converge');
    length = next;
  }

  const dataHash = sha256(jpeg); // = SHA-256 of the output minus its exclusion
  let claimBytes: Uint8Array | undefined;
  const placeholder = build(dataHash, length, (claim) => {
    claimBytes = claim;
    return zeros64();
  });
  const signature = await signer.sign(sigStructure(protectedBytes, claimBytes!));
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new TypeError('signer.sign must return 64 bytes r||s');
  if (!verifyClaimSignature({ protectedBytes, signature }, claimBytes!, point, sha256)) {
    throw c2paError('C2PA_SIGNER_MISMATCH', 'the device signature does not verify with the key of the first certificate in the chain');
  }
  const store = build(dataHash, length, () => signature);
  if (store.length !== placeholder.length || c2paSegmentsLength(store.length) !== length) throw new Error('C2PA manifest size changed while signing');
  return store;
}
