/**
 * Shared fixtures of the C2PA tests: a maker CA and device certificates made
 * by src/c2pa/certificates.ts, real JPEGs encoded by jpeg-js, a sealcam
 * assertion payload taken from a real signed DSTP vector, and the official
 * C2PA readers (c2pa-wasm everywhere, c2pa-node where its x86-64 binary runs).
 */
import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { addC2pa, createMakerCaCertificate, issueDeviceCertificate, type C2paSigner } from '../../src/c2pa/index.js';
import { dataHashAssertion } from '../../src/c2pa/assertions.js';
import { assertionUrl, encodeClaim, signatureUrl } from '../../src/c2pa/claim.js';
import { encodeCoseSign1, protectedHeader, sigStructure } from '../../src/c2pa/cose.js';
import { c2paInsertionOffset, c2paSegments, c2paSegmentsLength, jpegHeaderSegments } from '../../src/c2pa/jpeg.js';
import { assertionBox, manifestStore } from '../../src/c2pa/manifest-store.js';
import { addressOf, ecdsaPublicKey, ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { SeededRng } from '../../src/platform/rng.js';

/** The tests' "now": every certificate below is valid around it. */
export const NOW = new Date(Date.UTC(2026, 0, 15));

/** A real baseline JPEG (JFIF APP0 first) of w×h with a pattern seeded by `seed`. */
export function makeJpeg(w = 64, h = 48, seed = 7, quality = 80): Uint8Array {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + ((i >> 8) * 31)) & 0xff;
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, quality).data);
}

/** `jpg` with its JFIF APP0 replaced by a minimal Exif APP1 (as cameras write). */
export function exifFirst(jpg: Uint8Array): Uint8Array {
  const app0Len = (jpg[4]! << 8) | jpg[5]!;
  const tiff = Buffer.from('4d4d002a00000008000000000000', 'hex');
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return new Uint8Array(Buffer.concat([jpg.subarray(0, 2), app1, jpg.subarray(4 + app0Len)]));
}

/** A realistic sealcam payload: a valid suite-2 DSTP vector case (header, signature, blocks, key). */
export function capturePayload(): Record<string, unknown> {
  const v = JSON.parse(readFileSync(new URL('../vectors/dstp-v1.json', import.meta.url), 'utf8')) as { cases: Record<string, unknown>[] };
  const c = v.cases.find((x) => x.suite === 2 && x.valid === true);
  if (!c) throw new Error('no valid suite-2 vector');
  return { version: 1, dstp: c };
}

export interface Pki {
  caSecret: Uint8Array;
  ca: Uint8Array;
  devSecret: Uint8Array;
  devPublicKey: Uint8Array;
  device: Uint8Array;
  signer: C2paSigner;
}

/**
 * A maker CA and a suite-2 device certificate (deterministic keys). The default
 * validity, 2020..2060, covers both NOW (our validator's injected time) and the
 * real clock the official SDK checks against (it has no time-stamp to use).
 */
export async function makePki(seed = 'c2pa-pki', validity = { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2060, 0, 1)) }): Promise<Pki> {
  const rng = new SeededRng(seed);
  const caSecret = rng.bytes(32);
  const devSecret = rng.bytes(32);
  const ca = await createMakerCaCertificate({ secret: caSecret, commonName: 'Acme Cameras Device CA', organization: 'Acme Cameras', ...validity, rng });
  const devPublicKey = ecdsaPublicKey(2, devSecret);
  const device = await issueDeviceCertificate({
    caSecret, caCertificate: ca, devicePublicKey: devPublicKey, deviceAddress: addressOf(2, devPublicKey), ...validity, rng,
  });
  return { caSecret, ca, devSecret, devPublicKey, device, signer: { suite: 2, sign: (m) => ecdsaSign(2, devSecret, m), certificateChain: [device, ca] } };
}

/** Signs `jpg` with the PKI's device (node:crypto SHA-256 through the seam). */
export function sign(pki: Pki, jpg: Uint8Array, capture: unknown = capturePayload(), seed = 'c2pa-sign'): Promise<Uint8Array> {
  return addC2pa(jpg, { signer: pki.signer, capture, rng: new SeededRng(seed), generator: { name: 'sealcam', version: '0.1.0' }, sha256 });
}

export interface ForgeSpec {
  /** The assertions (label, CBOR), given where the store goes and its segments' length. */
  assertions: (at: number, length: number) => { label: string; cbor: Uint8Array }[];
  /** The labels the claim references (default: all). */
  refs?: (labels: string[]) => string[];
}

/** A manifest built from the parts, validly signed by the PKI's device (chain [device, CA]), whatever its structure. */
export function forgeC2pa(pki: Pick<Pki, 'device' | 'ca' | 'devSecret'>, jpg: Uint8Array, spec: ForgeSpec): Uint8Array {
  const at = c2paInsertionOffset(jpg);
  const label = 'urn:c2pa:0b3c2f0e-1f7a-4c55-9d3e-5a1b2c3d4e5f';
  const protectedBytes = protectedHeader([pki.device, pki.ca]);
  const salt = new Uint8Array(16).fill(3);
  const build = (length: number): Uint8Array => {
    const as = spec.assertions(at, length);
    const boxes = as.map((a) => assertionBox({ ...a, salt }));
    const labels = (spec.refs ?? ((l) => l))(as.map((a) => a.label));
    const claim = encodeClaim({
      instanceId: 'xmp:iid:forged', generator: { name: 'forge' }, signature: signatureUrl(label), gatheredAssertions: [], alg: 'sha256', title: undefined, redactedAssertions: [],
      createdAssertions: labels.map((l) => ({ url: assertionUrl(l), hash: sha256(boxes[as.findIndex((a) => a.label === l)]?.subarray(8) ?? new Uint8Array(1)) })),
    });
    const sig = ecdsaSign(2, pki.devSecret, sigStructure(protectedBytes, claim));
    return manifestStore(label, boxes, claim, encodeCoseSign1(protectedBytes, sig));
  };
  let length = 1;
  for (let i = 0; i < 8; i++) length = c2paSegmentsLength(build(length).length);
  const store = build(length);
  if (c2paSegmentsLength(store.length) !== length) throw new Error('forge: the manifest size did not converge');
  return new Uint8Array(Buffer.concat([jpg.subarray(0, at), c2paSegments(store), jpg.subarray(at)]));
}

/** The data hash of `jpg` after inserting `length` bytes at `at` and excluding [at, at + length + extra). */
export function hashData(jpg: Uint8Array, at: number, length: number, extra = 0): { label: string; cbor: Uint8Array } {
  const h = sha256(jpg.subarray(0, at), jpg.subarray(at + extra));
  return { label: 'c2pa.hash.data', cbor: dataHashAssertion(at, length + extra, h) };
}

/**
 * A copy of `jpg` with one entropy-coded byte flipped, 40 bytes into the first scan: the pixels
 * change, no header segment does. The scan is found by walking the segments (a search for FF DA
 * can land inside a manifest's random signature or certificate bytes).
 */
export function tamperPixel(jpg: Uint8Array): Uint8Array {
  const sos = jpegHeaderSegments(jpg).at(-1)!.end;
  if (jpg[sos] !== 0xff || jpg[sos + 1] !== 0xda) throw new Error(`no SOS right after the header segments (at ${sos})`);
  const out = Uint8Array.from(jpg);
  out[sos + 40] = out[sos + 40]! ^ 0x01;
  return out;
}

/** PEM of a DER certificate (the SDK's trust-anchor format). */
export function pem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** What an official reader reports for a JPEG. */
export interface SdkReport {
  /** 'Invalid' | 'Valid' | 'Trusted', or undefined when the reader found no manifest / failed. */
  state: string | undefined;
  failure: string[];
  success: string[];
  informational: string[];
  /** The reader's error (or 'no manifest' when it returned null). */
  error: string | undefined;
  manifest: Record<string, unknown> | undefined;
}

interface StoreJson {
  validation_state?: string;
  active_manifest?: string;
  manifests?: Record<string, Record<string, unknown>>;
  validation_results?: { activeManifest?: { success?: { code: string }[]; failure?: { code: string }[]; informational?: { code: string }[] } };
}

function report(j: StoreJson): SdkReport {
  const am = j.validation_results?.activeManifest;
  return {
    state: j.validation_state,
    failure: (am?.failure ?? []).map((x) => x.code),
    success: (am?.success ?? []).map((x) => x.code),
    informational: (am?.informational ?? []).map((x) => x.code),
    error: undefined,
    manifest: j.active_manifest ? j.manifests?.[j.active_manifest] : undefined,
  };
}

function settings(anchor?: Uint8Array): Record<string, unknown> | undefined {
  return anchor ? { trust: { trust_anchors: pem(anchor) }, verify: { verify_trust: true } } : undefined;
}

let wasmReady: typeof import('@contentauth/c2pa-wasm') | undefined;

/** The official reader as WebAssembly (@contentauth/c2pa-wasm, c2pa-rs 0.91): runs on any architecture. */
export async function readWithWasm(file: Uint8Array, anchor?: Uint8Array): Promise<SdkReport> {
  if (!wasmReady) {
    const mod = await import('@contentauth/c2pa-wasm');
    const require = createRequire(import.meta.url);
    mod.initSync({ module: readFileSync(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });
    wasmReady = mod;
  }
  const s = settings(anchor);
  try {
    const r = await wasmReady.WasmReader.fromBytes('image/jpeg', file, s ? JSON.stringify(s) : undefined);
    const out = report(JSON.parse(r.json()) as StoreJson);
    r.free();
    return out;
  } catch (e) {
    return { state: undefined, failure: [], success: [], informational: [], error: String(e), manifest: undefined };
  }
}

/** True where the c2pa-node 0.8.0 binary (x86-64 Linux only) can load. */
export const NODE_SDK_AVAILABLE = arch() === 'x64' && process.platform === 'linux';

/** The official reader as the native Node binding (@contentauth/c2pa-node 0.8.0, c2pa-rs 0.90.1). */
export async function readWithNode(file: Uint8Array, anchor?: Uint8Array): Promise<SdkReport> {
  const { Reader } = await import('@contentauth/c2pa-node');
  try {
    const r = await Reader.fromAsset({ buffer: Buffer.from(file), mimeType: 'image/jpeg' }, settings(anchor));
    if (!r) return { state: undefined, failure: [], success: [], informational: [], error: 'no manifest', manifest: undefined };
    return report(r.json() as unknown as StoreJson);
  } catch (e) {
    return { state: undefined, failure: [], success: [], informational: [], error: String(e), manifest: undefined };
  }
}
