/**
 * Content Credentials for a device's own JPEG captures (docs/C2PA.md
 * "Where photos come from"): the device key of a state directory signs the
 * C2PA claim (ES256, SCHEME.md §5 suite 2) with the certificate chain
 * provisioning stored (certificate.ts), and the org.sealcam.capture assertion
 * is the capture bundle without block data (src/verify/photo.ts). Used by
 * `sealcam sign --c2pa`, `sealcam export --state DIR --c2pa` and the
 * daemon's pipeline (the store queued for receivers, which embed it without
 * any key).
 */
import { buildC2paStore, embedC2paStore, stripC2pa, type C2paSigner } from '../../c2pa/index.js';
import { c2paError } from '../../c2pa/reasons.js';
import { ecdsaSign } from '../../crypto/ecdsa.js';
import { sha256 } from '../../crypto/hash.js';
import { equalBytes } from '../../platform/bytes.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { photoPayload } from '../../verify/photo.js';
import { readDeviceChain } from '../identity/certificate.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import { loadDeviceIdentity, type DeviceIdentity } from '../identity/identity.js';
import { STATE_FILES, statePath } from '../daemon/state-dir.js';
import type { Suite } from '../../crypto/ecdsa.js';
import { bundleToJson } from '../../dstp/bundle.js';
import { storedBundle, type HeldBlock } from '../../dstp/stored-bundle.js';
import { decodeHeader } from '../../dstp/header.js';
import type { KeyChain } from '../../chain/links.js';
import { bundleChain } from '../keys/chain-file.js';
import { decodeMessage, MessageKind } from '../../transport/messages.js';

/** The claim_generator_info of sealcam's credentials. */
export const C2PA_GENERATOR = { name: 'sealcam', version: '0.1.0' } as const;

/** True when `bytes` starts like a JPEG (SOI then a marker). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The device of an open state directory as a C2PA claim signer. It signs with
 * `identity`'s live secret: use it before the identity is destroyed.
 * @throws SealcamError C2PA_UNSUPPORTED_SUITE (a suite-1 device: C2PA has no secp256k1),
 *   C2PA_NO_CERTIFICATE (no certificate.pem: provisioned without a maker CA); DeviceStateError STATE_IO | STATE_FORMAT
 */
export async function deviceC2paSigner(stateDir: string, identity: DeviceIdentity): Promise<C2paSigner> {
  if (identity.suite !== 2) {
    throw c2paError('C2PA_UNSUPPORTED_SUITE',
      `C2PA_UNSUPPORTED_SUITE: this device is suite ${identity.suite} (ES256K, secp256k1): C2PA has no secp256k1, so it cannot sign Content Credentials (provision new devices with suite 2)`);
  }
  const chain = await readDeviceChain(stateDir);
  if (chain === null) {
    throw c2paError('C2PA_NO_CERTIFICATE',
      `C2PA_NO_CERTIFICATE: ${stateDir} has no device certificate (certificate.pem): provision the device with a maker CA certificate (docs/DEPLOY.md "Provision")`);
  }
  return { suite: 2, certificateChain: chain, sign: (message) => ecdsaSign(2, identity.secret, message) };
}

/** A device signer opened from a state directory by a short-lived command. */
export interface OpenedSigner {
  readonly signer: C2paSigner;
  /** Wipes the device secret. */
  close(): void;
}

/**
 * Opens the keystore of `stateDir` just long enough to read the device
 * identity (the keystore lock is released before this returns) and returns
 * it as a C2PA signer.
 * @throws KeyStoreError KEYSTORE_LOCKED (a running daemon holds the keystore) and the others of
 *   FileKeyStore.open; DeviceStateError; the SealcamErrors of {@link deviceC2paSigner}
 */
export async function openDeviceSigner(stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<OpenedSigner> {
  const credentialsDirectory = env['CREDENTIALS_DIRECTORY'];
  const ks = await FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), ...(credentialsDirectory ? { credentialsDirectory } : {}) });
  let identity: DeviceIdentity;
  try {
    identity = await loadDeviceIdentity(stateDir, ks);
  } finally {
    await ks.close();
  }
  try {
    return { signer: await deviceC2paSigner(stateDir, identity), close: () => identity.destroy() };
  } catch (e) {
    identity.destroy();
    throw e;
  }
}

/**
 * The signed C2PA manifest store of the capture `jpeg` (the one
 * implementation of sealcam's credentials): hard binding over `jpeg`, the
 * org.sealcam.capture assertion `photoPayload(bundleJson)` (the capture's
 * bundle, blocks without data, with the key chain it carries), the claim
 * signed by `signer`. The daemon builds it at capture time and queues it for
 * receivers; {@link photoWithCredentials} embeds it at once.
 * @throws TypeError unless `jpeg` is a JPEG and `bundleJson` a bundle; the SealcamErrors of buildC2paStore
 *   (C2PA_SIGNER_MISMATCH when the certificate is not this device's, C2PA_ALREADY_PRESENT, C2PA_TOO_LARGE, …)
 */
export async function captureManifestStore(jpeg: Uint8Array, bundleJson: Record<string, unknown>, signer: C2paSigner, rng: Rng = systemRng): Promise<Uint8Array> {
  if (!(jpeg instanceof Uint8Array) || !isJpeg(jpeg)) throw new TypeError('jpeg must be JPEG bytes');
  return buildC2paStore(jpeg, { signer, capture: photoPayload(bundleJson), rng, generator: C2PA_GENERATOR, sha256 });
}

/**
 * The capture `jpeg` with Content Credentials whose sealcam assertion is
 * `bundleJson` (the capture's verified bundle, blocks with their data, which
 * is left out): {@link captureManifestStore} embedded into `jpeg`. The result
 * minus its C2PA segments is `jpeg` byte for byte (checked).
 * @throws the errors of {@link captureManifestStore}
 */
export async function photoWithCredentials(jpeg: Uint8Array, bundleJson: Record<string, unknown>, signer: C2paSigner, rng: Rng = systemRng): Promise<Uint8Array> {
  const out = embedC2paStore(jpeg, await captureManifestStore(jpeg, bundleJson, signer, rng));
  if (!equalBytes(stripC2pa(out), jpeg)) throw new Error('internal: the photo minus its credentials is not the capture');
  return out;
}

/**
 * The bundle JSON of a capture the pipeline just signed, from its BLOCK
 * payloads (each as parts, SignedForOutbox.payloads) and the device's key
 * chain at this moment: what the org.sealcam.capture assertion of its
 * capture-time credentials carries (the chain left out while a restart on
 * the way is unacknowledged, as in `sealcam export --state`).
 * @throws TypeError when a payload is not a BLOCK or the capture's key cycle is not in `chain`
 */
export function signedCaptureBundle(payloads: readonly (readonly Uint8Array[])[], suite: Suite, devicePublicKey: Uint8Array, chain: KeyChain): Record<string, unknown> {
  let header: Uint8Array | undefined;
  let headerSignature: Uint8Array | undefined;
  const blocks: HeldBlock[] = [];
  for (const parts of payloads) {
    const payload = parts.length === 1 ? parts[0]! : concatParts(parts);
    const m = decodeMessage({ kind: MessageKind.BLOCK, payload });
    if (m.type !== 'block') throw new TypeError('a capture payload is not a BLOCK');
    [header, headerSignature] = [m.header, m.headerSignature];
    blocks.push({ i: m.index, off: m.off, len: m.len, proof: m.proof, fsSignature: m.fsSignature, data: m.data });
  }
  if (header === undefined || headerSignature === undefined) throw new TypeError('a capture has at least one block');
  const h = decodeHeader(header);
  const fsPublicKey = chain.keys.find((k) => equalBytes(sha256(k.publicKey), h.keyId))?.publicKey;
  if (fsPublicKey === undefined) throw new TypeError('the capture\'s key cycle is not in the key chain');
  const c = bundleChain(chain, h.keyId, h.ts);
  const bundle = storedBundle({ suite, devicePublicKey, fsPublicKey, header, headerSignature, blocks });
  return bundleToJson({ ...bundle, ...(c ? { chain: c } : {}) });
}

function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
