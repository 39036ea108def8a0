/**
 * Reads the Content Credentials of a JPEG strictly (docs/C2PA.md): finds the
 * APP11 manifest store, parses its JUMBF, every manifest's v2 claim, CBOR/JSON
 * assertions (including `org.sealcam.capture`) and COSE_Sign1 claim signature
 * with its certificate chain. Hostile input: bounded sizes, and every fault is
 * a SealcamError with a C2PA reason code, never another exception. Reading
 * checks structure only; validate.ts checks hashes, signature and chain.
 * Pure: no I/O.
 */
import { SEALCAM_LABEL, decodeAssertion } from './assertions.js';
import type { CborValue } from './cbor.js';
import { parseClaim, type Claim } from './claim.js';
import { parseCoseSign1, type CoseSign1 } from './cose.js';
import { findC2paSegments } from './jpeg.js';
import { parseManifestStore, type RawAssertion } from './manifest-store.js';
import { c2paError } from './reasons.js';

/** One assertion: its decoded data and the bytes its hashed URI covers. */
export interface C2paAssertion {
  label: string;
  kind: RawAssertion['kind'];
  /** Decoded CBOR or parsed JSON; undefined for other kinds. */
  data: CborValue | unknown;
  /** The content box payload (CBOR/JSON bytes). */
  content: Uint8Array;
  /** The assertion superbox payload: SHA-256 of this is its hashed-URI hash. */
  hashed: Uint8Array;
}

/** One manifest of the store. */
export interface C2paManifest {
  label: string;
  claim: Claim;
  /** The claim's CBOR bytes exactly as signed. */
  claimBytes: Uint8Array;
  assertions: C2paAssertion[];
  signature: CoseSign1;
}

/** A JPEG's Content Credentials. */
export interface C2paContent {
  /** The manifest segments' span `[start, end)` in the file. */
  segments: { start: number; end: number };
  manifests: C2paManifest[];
  /** The active (last) manifest. */
  active: C2paManifest;
  /** The active manifest's `org.sealcam.capture` data, if it has one. */
  sealcam: CborValue | undefined;
  /** The active claim signer's chain (DER, leaf first). */
  certificateChain: Uint8Array[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeAssertionData(a: RawAssertion): C2paAssertion {
  let data: unknown;
  if (a.kind === 'cbor') data = decodeAssertion(a.label, a.content);
  else if (a.kind === 'json') {
    try {
      data = JSON.parse(utf8.decode(a.content));
    } catch (e) {
      throw c2paError('C2PA_ASSERTION_MALFORMED', `assertion ${JSON.stringify(a.label)}: invalid JSON`, e);
    }
  }
  return { label: a.label, kind: a.kind, data, content: a.content, hashed: a.hashed };
}

/**
 * Parses a JPEG's Content Credentials.
 * @throws TypeError on a non-Uint8Array; SealcamError C2PA_NOT_FOUND when the
 *   JPEG has none, or the code of the first structural fault
 *   (C2PA_JPEG_MALFORMED, C2PA_SEGMENTS_MALFORMED, C2PA_TOO_LARGE,
 *   C2PA_JUMBF_MALFORMED, C2PA_STORE_MALFORMED, C2PA_CLAIM_MALFORMED,
 *   C2PA_ASSERTION_MALFORMED, C2PA_COSE_MALFORMED, C2PA_UNSUPPORTED).
 */
export function readC2pa(jpeg: Uint8Array): C2paContent {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  const found = findC2paSegments(jpeg);
  if (!found) throw c2paError('C2PA_NOT_FOUND', 'the JPEG has no C2PA manifest store');
  const manifests = parseManifestStore(found.store).map(
    (m): C2paManifest => ({
      label: m.label,
      claim: parseClaim(m.claimCbor),
      claimBytes: m.claimCbor,
      assertions: m.assertions.map(decodeAssertionData),
      signature: parseCoseSign1(m.coseSign1),
    }),
  );
  const active = manifests[manifests.length - 1]!;
  const sealcam = active.assertions.find((a) => a.label === SEALCAM_LABEL && a.kind === 'cbor')?.data as CborValue | undefined;
  return {
    segments: { start: found.start, end: found.end },
    manifests,
    active,
    sealcam,
    certificateChain: active.signature.certificateChain,
  };
}
