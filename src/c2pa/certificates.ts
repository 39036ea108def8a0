/**
 * The X.509 certificates of sealcam's Content Credentials (C2PA 2.x §14.5,
 * docs/C2PA.md "Certificate profile"), made with @peculiar/x509 over WebCrypto
 * (no hand-made DER): the maker's CA (self-signed, P-256, basicConstraints
 * cA critical with pathLen 0, keyUsage keyCertSign|cRLSign critical, SKI/AKI)
 * and a device's claim-signing certificate issued from it (P-256 key = the
 * device's SCHEME.md §5 identity key, subject CN = its DSTP address and O = the
 * maker, basicConstraints cA=false critical, keyUsage digitalSignature
 * critical, EKU c2pa-kp-claimSigning + id-kp-documentSigning +
 * id-kp-emailProtection, SKI, AKI). Keys are sealcam ES256 secrets (32 bytes),
 * imported into WebCrypto as JWK. Validity dates and serial randomness are
 * injected.
 */
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex, equalBytes } from '@noble/curves/utils.js';
import type { Rng } from '../platform/rng.js';
import { c2paError } from './reasons.js';
import { x509 } from './x509.js';

/** Extended key usages (OIDs) of a sealcam claim-signing certificate. */
export const EKU = {
  /** C2PA's own claim-signing purpose (C2PA 2.2 certificate policy). */
  c2paClaimSigning: '1.3.6.1.4.1.62558.2.1',
  /** RFC 9336 document signing, named by C2PA 2.x §14.5.1. */
  documentSigning: '1.3.6.1.5.5.7.3.36',
  /**
   * S/MIME, named by C2PA 2.x §14.5.1; the one EKU c2pa-rs accepts without an
   * EKU configuration (c2pa-wasm 0.13.3 rejects the other two on their own:
   * "certificate missing required EKU").
   */
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

/** The EKUs sealcam puts in every device certificate, in this order. */
export const DEVICE_EKUS: readonly string[] = [EKU.c2paClaimSigning, EKU.documentSigning, EKU.emailProtection];

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

type Subtle = typeof globalThis.crypto.subtle;
type CryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available');
  return s;
}

function b64u(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function abytes(v: unknown, name: string, len: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (v.length !== len) throw new RangeError(`${name} must be ${len} bytes, got ${v.length}`);
  return v;
}

function adate(v: unknown, name: string): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new TypeError(`${name} must be a valid Date`);
  return v;
}

function aname(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new TypeError(`${name} must be a string of 1..64 characters`);
  return v;
}

/** Imports a P-256 secret (and its public key) as WebCrypto keys. @throws RangeError on an invalid secret. */
async function importKeyPair(secret: Uint8Array): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; point: Uint8Array }> {
  let point: Uint8Array;
  try {
    point = p256.getPublicKey(secret, false);
  } catch (e) {
    throw new RangeError('secret is not a valid P-256 private key', { cause: e });
  }
  const jwk = { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) };
  const privateKey = await subtle().importKey('jwk', { ...jwk, d: b64u(secret) }, ALG, false, ['sign']);
  const publicKey = await importPublicKey(point);
  return { privateKey, publicKey, point };
}

async function importPublicKey(point: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', new Uint8Array(point), ALG, true, ['verify']);
}

/** A positive 16-byte serial number from `rng`, hex. */
function serial(rng: Rng): string {
  const b = rng.bytes(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new TypeError('rng.bytes(16) must return 16 bytes');
  b[0] = (b[0]! & 0x7f) | 0x40;
  return bytesToHex(b);
}

/** Parameters of a maker CA certificate. */
export interface MakerCaParams {
  /** The maker's ES256 (P-256) secret, 32 bytes. */
  secret: Uint8Array;
  commonName: string;
  /** Organization (O): C2PA readers show it as the signer's issuer. */
  organization: string;
  notBefore: Date;
  notAfter: Date;
  rng: Rng;
}

/**
 * A self-signed maker CA certificate (DER).
 * @throws TypeError / RangeError on a bad parameter.
 */
export async function createMakerCaCertificate(p: MakerCaParams): Promise<Uint8Array> {
  abytes(p.secret, 'secret', 32);
  const cn = aname(p.commonName, 'commonName');
  const o = aname(p.organization, 'organization');
  const notBefore = adate(p.notBefore, 'notBefore');
  const notAfter = adate(p.notAfter, 'notAfter');
  if (notAfter <= notBefore) throw new RangeError('notAfter must be after notBefore');
  const keys = await importKeyPair(p.secret);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(p.rng),
    subject: [{ CN: [cn] }, { O: [o] }],
    issuer: [{ CN: [cn] }, { O: [o] }],
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/** Parameters of a device's claim-signing certificate. */
export interface DeviceCertificateParams {
  /** The maker CA's ES256 secret, 32 bytes. */
  caSecret: Uint8Array;
  /** The maker CA certificate (DER) whose key is `caSecret`. */
  caCertificate: Uint8Array;
  /** The device's P-256 identity key, 65 bytes 0x04||x||y (SCHEME.md §5, suite 2). */
  devicePublicKey: Uint8Array;
  /** The device's DSTP address (20 bytes): the certificate's CN is its 0x-hex form. */
  deviceAddress: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  rng: Rng;
}

/**
 * A device claim-signing certificate (DER) issued by the maker CA; its subject
 * is CN=0x<DSTP address>, O=<the CA's organization>.
 * @throws TypeError / RangeError on a bad parameter; SealcamError
 *   C2PA_SIGNER_MISMATCH when `caSecret` is not the key of `caCertificate`,
 *   C2PA_CERT_MALFORMED when `caCertificate` does not parse or has no O.
 */
export async function issueDeviceCertificate(p: DeviceCertificateParams): Promise<Uint8Array> {
  abytes(p.caSecret, 'caSecret', 32);
  if (!(p.caCertificate instanceof Uint8Array)) throw new TypeError('caCertificate must be a Uint8Array');
  abytes(p.devicePublicKey, 'devicePublicKey', 65);
  abytes(p.deviceAddress, 'deviceAddress', 20);
  const notBefore = adate(p.notBefore, 'notBefore');
  const notAfter = adate(p.notAfter, 'notAfter');
  if (notAfter <= notBefore) throw new RangeError('notAfter must be after notBefore');
  let ca: InstanceType<typeof x509.X509Certificate>;
  try {
    ca = new x509.X509Certificate(new Uint8Array(p.caCertificate));
  } catch (e) {
    throw c2paError('C2PA_CERT_MALFORMED', 'caCertificate does not parse as X.509', e);
  }
  const org = ca.subjectName.getField('O')[0];
  if (!org) throw c2paError('C2PA_CERT_MALFORMED', 'caCertificate has no organization (O)');
  const caKeys = await importKeyPair(p.caSecret);
  const caPoint = new Uint8Array(await subtle().exportKey('raw', await ca.publicKey.export()));
  if (!equalBytes(caPoint, caKeys.point)) throw c2paError('C2PA_SIGNER_MISMATCH', 'caSecret is not the key of caCertificate');
  let devKey: CryptoKey;
  try {
    p256.Point.fromBytes(p.devicePublicKey).assertValidity();
    devKey = await importPublicKey(p.devicePublicKey);
  } catch (e) {
    throw new RangeError('devicePublicKey is not a valid P-256 point', { cause: e });
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(p.rng),
    subject: [{ CN: [`0x${bytesToHex(p.deviceAddress)}`] }, { O: [org] }],
    issuer: ca.subjectName,
    notBefore,
    notAfter,
    publicKey: devKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([...DEVICE_EKUS]),
      await x509.SubjectKeyIdentifierExtension.create(devKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return new Uint8Array(cert.rawData);
}
