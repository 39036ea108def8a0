/**
 * Verifying a sealcam photo: a JPEG with Content Credentials (docs/C2PA.md)
 * whose `org.sealcam.capture` assertion carries the capture bundle without its
 * block data. The original capture is the JPEG minus its C2PA segments
 * (stripC2pa); the blocks are cut from it at their `off`/`len` and the bundle is
 * checked by the same verifyCaptureBundle as a bundle file (SCHEME.md §6, §7
 * v1.1, Appendix). The credentials are validated by sealcam's own validateC2pa;
 * a maker CA certificate in the manifest's chain whose key is a trusted
 * manufacturer key is the C2PA trust anchor. Pure (no I/O; WebCrypto for
 * X.509, so it runs in browsers as in Node).
 *
 * The assertion's payload (CBOR):
 * ```
 * { "version": 1,
 *   "bundle": { <every member of the capture bundle (Appendix)>, with "blocks": [ { <block members except "data"> } … ] } }
 * ```
 */
import {
  certificatePublicKey, readC2pa, stripC2pa, validateC2pa, type C2paFailure, type C2paValidation, type Sha256,
} from '../c2pa/index.js';
import { sha256 as hostSha256 } from '../crypto/hash.js';
import { FormError, readArray, readObject, readSmallUint, readUint, writeBase64 } from '../dstp/json-form.js';
import { equalBytes, fromHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { verifyCaptureBundle, type CaptureVerdict, type CaptureVerifyOptions } from './capture.js';

/** The `version` of the org.sealcam.capture payload. */
export const PHOTO_PAYLOAD_VERSION = 1;

/** Reasons of the photo layer (the others are the bundle's and the C2PA layer's). */
export type PhotoReason =
  /** The credentials hold no org.sealcam.capture assertion (another signer's photo). */
  | 'PHOTO_NO_SEALCAM'
  /** The assertion is not `{version: 1, bundle: {…}}` with blocks without data. */
  | 'PHOTO_PAYLOAD_FORMAT'
  /** The stripped JPEG is not exactly the bytes the blocks cover. */
  | 'PHOTO_CAPTURE_MISMATCH'
  /** The credentials are signed by another key than the device that signed the capture. */
  | 'PHOTO_SIGNER_MISMATCH';

/** Every photo-layer reason. */
export const PHOTO_REASONS: readonly PhotoReason[] = ['PHOTO_NO_SEALCAM', 'PHOTO_PAYLOAD_FORMAT', 'PHOTO_CAPTURE_MISMATCH', 'PHOTO_SIGNER_MISMATCH'];

/** How a photo is verified: the bundle options plus the time certificates must be valid at. */
export interface PhotoVerifyOptions extends CaptureVerifyOptions {
  /** The verifier's now: C2PA certificates carry no time-stamp (docs/C2PA.md). */
  readonly at: Date;
  /** SHA-256 for the C2PA layer (default: the host's, node:crypto in Node, @noble in browsers). */
  readonly sha256?: Sha256;
}

/** The verdict of a photo. */
export interface PhotoVerdict {
  /** The capture is intact (and, with origin, established) and its credentials are valid and its own. */
  readonly valid: boolean;
  /** The first failure: a bundle / chain / SaveHash code, a C2PA code or a PhotoReason. */
  readonly reason: string | null;
  /** Origin and capture time established against the trust list. */
  readonly origin: boolean;
  readonly validFrom: bigint | null;
  /** The sealcam verdict of the embedded bundle (undefined when there is none to check). */
  readonly sealcam: CaptureVerdict | undefined;
  /** sealcam's validation of the Content Credentials. */
  readonly c2pa: C2paValidation;
  /**
   * Whether the credentials chain to a trusted maker: a certificate of the chain
   * holds a trusted suite-2 manufacturer key (undefined without trusted manufacturers).
   */
  readonly c2paTrusted: boolean | undefined;
  /** Whether the credentials' signing key is the capture's device key (undefined when either is unknown). */
  readonly sameDevice: boolean | undefined;
  /** The original capture (the JPEG without its credentials), when they could be read. */
  readonly original: Uint8Array | undefined;
}

/**
 * The org.sealcam.capture payload of a bundle: its members with each block's
 * `data` left out (the JPEG itself carries the bytes).
 * @throws TypeError unless `bundleJson` is a bundle object with a blocks array.
 */
export function photoPayload(bundleJson: Record<string, unknown>): Record<string, unknown> {
  if (typeof bundleJson !== 'object' || bundleJson === null || !Array.isArray(bundleJson.blocks)) throw new TypeError('bundleJson must be a bundle object');
  const blocks = (bundleJson.blocks as unknown[]).map((b) => {
    if (typeof b !== 'object' || b === null) throw new TypeError('bundle blocks must be objects');
    const { data: _data, ...rest } = b as Record<string, unknown>;
    return rest;
  });
  return { version: PHOTO_PAYLOAD_VERSION, bundle: { ...bundleJson, blocks } };
}

class PhotoError extends Error {
  constructor(readonly code: PhotoReason, message: string) {
    super(message);
  }
}

/** The bundle JSON of a payload, each block's data cut from `original`. @throws PhotoError */
function bundleOf(payload: unknown, original: Uint8Array): Record<string, unknown> {
  let bundle: Record<string, unknown>;
  let blocks: readonly unknown[];
  try {
    const o = readObject(payload, '$', ['version', 'bundle']);
    if (o.version !== PHOTO_PAYLOAD_VERSION) throw new FormError('$.version', `must be ${PHOTO_PAYLOAD_VERSION}`);
    if (typeof o.bundle !== 'object' || o.bundle === null || Array.isArray(o.bundle)) throw new FormError('$.bundle', 'must be an object');
    bundle = o.bundle as Record<string, unknown>;
    blocks = readArray(bundle.blocks, '$.bundle.blocks');
  } catch (e) {
    throw new PhotoError('PHOTO_PAYLOAD_FORMAT', e instanceof Error ? e.message : 'malformed payload');
  }
  let covered = 0;
  const withData = blocks.map((b, k) => {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new PhotoError('PHOTO_PAYLOAD_FORMAT', `$.bundle.blocks[${k}] must be an object`);
    const blk = b as Record<string, unknown>;
    if (Object.hasOwn(blk, 'data')) throw new PhotoError('PHOTO_PAYLOAD_FORMAT', `$.bundle.blocks[${k}] must not carry data`);
    let off: number;
    let len: number;
    try {
      off = Number(readUint(blk.off, `$.bundle.blocks[${k}].off`, BigInt(Number.MAX_SAFE_INTEGER)));
      len = readSmallUint(blk.len, `$.bundle.blocks[${k}].len`, 0xffffffff);
    } catch (e) {
      throw new PhotoError('PHOTO_PAYLOAD_FORMAT', e instanceof Error ? e.message : 'malformed block');
    }
    if (off + len > original.length) throw new PhotoError('PHOTO_CAPTURE_MISMATCH', `block ${k} reaches past the end of the photo`);
    covered += len;
    return { ...blk, data: writeBase64(original.subarray(off, off + len)) };
  });
  if (covered !== original.length) throw new PhotoError('PHOTO_CAPTURE_MISMATCH', `the blocks cover ${covered} bytes, the photo has ${original.length}`);
  return { ...bundle, blocks: withData };
}

/** Maker CA certificates of the chain whose key is a trusted suite-2 manufacturer key. */
async function anchorsOf(chain: readonly Uint8Array[], o: PhotoVerifyOptions): Promise<Uint8Array[]> {
  const makers = (o.trust?.manufacturers ?? []).filter((m) => m.suite === 2);
  if (makers.length === 0) return [];
  const out: Uint8Array[] = [];
  for (const der of chain) {
    const key = await certificatePublicKey(der);
    if (key && makers.some((m) => equalBytes(m.publicKey, key))) out.push(der);
  }
  return out;
}

function firstFailure(failures: readonly C2paFailure[]): string | null {
  return failures.find((f) => f.code !== 'C2PA_UNTRUSTED')?.code ?? null;
}

/**
 * Verifies a JPEG with sealcam Content Credentials. Never throws for hostile
 * bytes: every fault is the verdict's reason.
 * @throws TypeError when `jpeg` is not a Uint8Array or `o.at` not a valid Date.
 */
export async function verifyPhoto(jpeg: Uint8Array, o: PhotoVerifyOptions): Promise<PhotoVerdict> {
  if (!(jpeg instanceof Uint8Array)) throw new TypeError('jpeg must be a Uint8Array');
  if (!(o?.at instanceof Date) || Number.isNaN(o.at.getTime())) throw new TypeError('at must be a valid Date');
  const sha256 = o.sha256 ?? hostSha256;
  let anchors: Uint8Array[] = [];
  let original: Uint8Array | undefined;
  try {
    anchors = await anchorsOf(readC2pa(jpeg).certificateChain, o);
    original = stripC2pa(jpeg);
  } catch (e) {
    if (!isSealcamError(e)) throw e; // validateC2pa below reports the same fault
  }
  const c2pa = await validateC2pa(jpeg, { at: o.at, trustAnchors: anchors, sha256 });
  const c2paTrusted = (o.trust?.manufacturers.length ?? 0) > 0 ? c2pa.trusted === true : undefined;
  const none = { origin: false, validFrom: null, sealcam: undefined, c2pa, c2paTrusted, sameDevice: undefined, original } as const;
  if (c2pa.content === undefined || original === undefined) return { valid: false, reason: firstFailure(c2pa.failures) ?? 'C2PA_NOT_FOUND', ...none };
  if (c2pa.content.sealcam === undefined) return { valid: false, reason: 'PHOTO_NO_SEALCAM', ...none };
  let bundle: Record<string, unknown>;
  try {
    bundle = bundleOf(c2pa.content.sealcam, original);
  } catch (e) {
    if (e instanceof PhotoError) return { valid: false, reason: e.code, ...none };
    throw e;
  }
  const sealcam = verifyCaptureBundle(bundle, o);
  let sameDevice: boolean | undefined;
  const signerKey = c2pa.signer?.publicKey;
  if (signerKey !== undefined && typeof bundle.devicePublicKey === 'string' && /^([0-9a-f]{2})+$/.test(bundle.devicePublicKey)) {
    sameDevice = equalBytes(fromHex(bundle.devicePublicKey), signerKey);
  }
  const reason = sealcam.reason ?? firstFailure(c2pa.failures) ?? (sameDevice === false ? 'PHOTO_SIGNER_MISMATCH' : null);
  const valid = reason === null;
  return {
    valid, reason, origin: valid && sealcam.origin, validFrom: valid ? sealcam.validFrom : null, sealcam, c2pa, c2paTrusted, sameDevice, original,
  };
}
