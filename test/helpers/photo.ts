/**
 * Sealcam photos for tests and benches: a suite-2 device with a key chain
 * (test/helpers/chain.ts) signs a real JPEG (jpeg-js) as a capture, and the
 * same device key signs Content Credentials (src/c2pa addC2pa) whose
 * org.sealcam.capture assertion is the bundle without block data
 * (photoPayload). The maker's suite-2 key is its C2PA CA key. Deterministic.
 */
import jpegJs from 'jpeg-js';
import { addC2pa } from '../../src/c2pa/index.js';
import { createMakerCaCertificate, issueDeviceCertificate } from '../../src/c2pa/certificates.js';
import { trustToJson } from '../../src/chain/json.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { SeededRng } from '../../src/platform/rng.js';
import type { ModulusBits } from '../../src/scheme/types.js';
import { photoPayload } from '../../src/verify/photo.js';
import { makeJpeg } from '../c2pa/helpers.js';
import { ChainDevice, DELTA, ident, T0, trustOf, type Ident } from './chain.js';

/** A device that makes sealcam photos, its maker's CA and the trust file naming the maker. */
export interface PhotoRig {
  readonly device: ChainDevice;
  readonly maker: Ident;
  readonly ca: Uint8Array;
  readonly deviceCert: Uint8Array;
  /** The trust JSON (as `sealcam verify --trust` reads it). */
  readonly trustJson: Record<string, unknown>;
}

const VALIDITY = { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2060, 0, 1)) };

/** A suite-2 device of a suite-2 maker, with C₁ only (T = 16 periods of 60 s from 2026-01-01; k = 2048 unless told). */
export async function photoRig(label = 'photo', o: { k?: ModulusBits } = {}): Promise<PhotoRig> {
  const maker = ident(`${label}/maker`, 2);
  const device = await ChainDevice.create(label, { suite: 2, maker, n: 4, ...(o.k ? { k: o.k } : {}) });
  const rng = new SeededRng(`${label}/pki`);
  const ca = await createMakerCaCertificate({ secret: maker.secret, commonName: 'Acme Cameras Device CA', organization: 'Acme Cameras', ...VALIDITY, rng });
  const deviceCert = await issueDeviceCertificate({
    caSecret: maker.secret, caCertificate: ca, devicePublicKey: device.id.publicKey, deviceAddress: device.id.addr, ...VALIDITY, rng,
  });
  return { device, maker, ca, deviceCert, trustJson: trustToJson(trustOf([maker])) };
}

/** The capture time of the n-th photo (inside C₁, after the factory's issuedAt). */
export function photoTime(n: number): bigint {
  return T0 + 5_000n + BigInt(n) * BigInt(DELTA);
}

/** A JPEG capture signed as a bundle (contentType JPEG, `blocks` blocks) with its chain. */
export async function jpegBundle(rig: PhotoRig, n = 1, o: { jpeg?: Uint8Array; blocks?: number } = {}): Promise<{ jpeg: Uint8Array; bundle: Record<string, unknown> }> {
  const jpeg = o.jpeg ?? makeJpeg(96, 64, 3 + n);
  const s = await rig.device.capture(photoTime(n), BigInt(n), { bytes: jpeg, contentType: 1, blocks: o.blocks ?? 2 });
  return { jpeg, bundle: rig.device.bundle(s) };
}

/** The JPEG with Content Credentials carrying `bundle` (signed by the device key, chain [device, maker CA]). */
export function credentialsFor(rig: PhotoRig, jpeg: Uint8Array, bundle: Record<string, unknown>, seed = 'photo-c2pa'): Promise<Uint8Array> {
  const id = rig.device.id;
  return addC2pa(jpeg, {
    signer: { suite: 2, sign: (m) => ecdsaSign(2, id.secret, m), certificateChain: [rig.deviceCert, rig.ca] },
    capture: photoPayload(bundle), rng: new SeededRng(seed), generator: { name: 'sealcam', version: '0.1.0' }, sha256,
  });
}

/** A small synthetic landscape (sky, sun, hills) as a baseline JPEG, for pictures people look at (screenshots). */
export function sceneJpeg(w = 320, h = 200): Uint8Array {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const hill = h * 0.62 + Math.sin(x / 37) * h * 0.08 + Math.sin(x / 11) * 3;
      const sun = (x - w * 0.72) ** 2 + (y - h * 0.3) ** 2 < (h * 0.11) ** 2;
      const [r, g, b] = y > hill ? [40 + y / 4, 110 + ((x * 7 + y * 3) % 23), 50] : sun ? [255, 214, 90] : [110 + y / 2, 160 + y / 3, 235];
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = 255;
    }
  }
  return new Uint8Array(jpegJs.encode({ data, width: w, height: h }, 85).data);
}
