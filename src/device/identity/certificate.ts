/**
 * The device's Content Credentials certificate chain (docs/C2PA.md
 * "Certificate profile", docs/DEPLOY.md "Provision"): the maker CA is a
 * self-signed X.509 certificate whose key IS the manufacturer's suite-2
 * (P-256) key, so one trust-list entry anchors both the key chain
 * (SCHEME.md §7) and the C2PA signer; provisioning issues a suite-2 device a
 * claim-signing certificate for its identity key (SCHEME.md §5) from it, and
 * the chain [device, maker CA] is stored as PEM in
 * `<stateDir>/certificate.pem`, next to factory.json. A suite-1 (secp256k1)
 * device or manufacturer gets none: C2PA has no ES256K.
 */
import { promises as fs } from 'node:fs';
import {
  C2PA_STATUS_OF, certificatePublicKey, checkCertificateChain, createMakerCaCertificate, issueDeviceCertificate,
} from '../../c2pa/index.js';
import { c2paError } from '../../c2pa/reasons.js';
import { x509 } from '../../c2pa/x509.js';
import { addressOf, type Suite } from '../../crypto/ecdsa.js';
import type { FactoryRecord } from '../../ledger/record-spec.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { equalBytes, toHex } from '../../platform/bytes.js';
import type { Rng } from '../../platform/rng.js';
import { DeviceStateError, STATE_FILES, statePath } from '../daemon/state-dir.js';

/** Validity of a maker CA certificate from its creation (years). */
export const MAKER_CA_YEARS = 50;
/**
 * Validity of a device certificate from its issue (years). Long on purpose:
 * without a TSA time-stamp, C2PA readers judge the certificate at their own
 * now, so an expired device certificate turns every old photo invalid.
 */
export const DEVICE_CERT_YEARS = 30;
/** Largest certificate PEM file read (bytes). */
const MAX_PEM = 64 * 1024;

const addYears = (d: Date, y: number): Date => {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + y);
  return out;
};

/** What `sealcam keys status` shows of a device chain. */
export interface DeviceChainSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

/**
 * The leaf certificate's subject, issuer and validity (ISO dates).
 * @throws SealcamError C2PA_CERT_MALFORMED when the first certificate does not parse.
 */
export function summarizeDeviceChain(chain: readonly Uint8Array[]): DeviceChainSummary {
  let leaf: InstanceType<typeof x509.X509Certificate>;
  try {
    leaf = new x509.X509Certificate(new Uint8Array(chain[0] ?? new Uint8Array(0)));
  } catch (e) {
    throw c2paError('C2PA_CERT_MALFORMED', 'the device certificate does not parse as X.509', e);
  }
  return { subject: leaf.subject, issuer: leaf.issuer, notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString() };
}

/**
 * PEM text of DER certificates, in order.
 * @throws TypeError unless `chain` is an array of Uint8Arrays.
 */
export function pemChain(chain: readonly Uint8Array[]): string {
  if (!Array.isArray(chain) || chain.some((c) => !(c instanceof Uint8Array))) throw new TypeError('chain must be an array of Uint8Arrays');
  return chain.map((der) => x509.PemConverter.encode(new Uint8Array(der), 'CERTIFICATE')).join('\n') + '\n';
}

/**
 * The DER certificates of a PEM text, in order.
 * @throws RangeError when the text holds no CERTIFICATE block or another kind of block.
 */
export function parsePemChain(text: string): Uint8Array[] {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  let structs;
  try {
    structs = x509.PemConverter.decodeWithHeaders(text);
  } catch (e) {
    throw new RangeError('not PEM text', { cause: e });
  }
  if (structs.length === 0) throw new RangeError('no CERTIFICATE block in the PEM text');
  return structs.map((s) => {
    if (s.type !== 'CERTIFICATE') throw new RangeError(`unexpected PEM block ${s.type}`);
    return new Uint8Array(s.rawData);
  });
}

/** A manufacturer key as `sealcam provision` reads it. */
export interface MakerKey {
  readonly suite: Suite;
  readonly secret: Uint8Array;
}

/**
 * A maker CA certificate (DER) for a suite-2 manufacturer key, valid from
 * `now` for {@link MAKER_CA_YEARS} years. CN is "<organization> Device CA".
 * @throws SealcamError C2PA_UNSUPPORTED_SUITE for a suite-1 key; TypeError / RangeError on a bad argument.
 */
export async function makeMakerCa(maker: MakerKey, organization: string, now: Date, rng: Rng): Promise<Uint8Array> {
  if (maker?.suite !== 2) {
    throw c2paError('C2PA_UNSUPPORTED_SUITE', `a maker CA needs a suite-2 (ES256, P-256) manufacturer key; this one is suite ${String(maker?.suite)} (C2PA has no secp256k1)`);
  }
  if (typeof organization !== 'string' || organization.length === 0 || organization.length > 54) throw new TypeError('organization must be a string of 1..54 characters');
  return createMakerCaCertificate({
    secret: maker.secret, commonName: `${organization} Device CA`, organization, notBefore: now, notAfter: addYears(now, MAKER_CA_YEARS), rng,
  });
}

/** Parameters of {@link issueDeviceChain}. */
export interface IssueDeviceChainParams {
  readonly maker: MakerKey;
  /** The maker CA certificate (DER) whose key is `maker`. */
  readonly caCertificate: Uint8Array;
  readonly deviceSuite: Suite;
  /** 65 bytes 0x04||x||y. */
  readonly devicePublicKey: Uint8Array;
  readonly now: Date;
  readonly rng: Rng;
}

/**
 * Issues a device its claim-signing certificate from the maker CA, valid from
 * `now` for {@link DEVICE_CERT_YEARS} years (at most until the CA expires).
 * @returns the chain [device certificate, maker CA] (DER)
 * @throws SealcamError C2PA_UNSUPPORTED_SUITE (a suite-1 device or maker), C2PA_SIGNER_MISMATCH (the CA is not the maker's key),
 *   C2PA_CERT_MALFORMED (the CA does not parse); TypeError / RangeError on a bad argument.
 */
export async function issueDeviceChain(p: IssueDeviceChainParams): Promise<Uint8Array[]> {
  if (p.deviceSuite !== 2) {
    throw c2paError('C2PA_UNSUPPORTED_SUITE', `device suite ${String(p.deviceSuite)} cannot have a C2PA certificate: C2PA has no secp256k1 (ES256K); provision suite 2`);
  }
  if (p.maker?.suite !== 2) throw c2paError('C2PA_UNSUPPORTED_SUITE', `the manufacturer key is suite ${String(p.maker?.suite)}: a maker CA needs suite 2 (ES256)`);
  if (!(p.now instanceof Date) || Number.isNaN(p.now.getTime())) throw new TypeError('now must be a valid Date');
  let caEnd: Date;
  try {
    caEnd = new x509.X509Certificate(new Uint8Array(p.caCertificate)).notAfter;
  } catch (e) {
    throw c2paError('C2PA_CERT_MALFORMED', 'the maker CA certificate does not parse as X.509', e);
  }
  const want = addYears(p.now, DEVICE_CERT_YEARS);
  const notAfter = caEnd < want ? caEnd : want;
  if (notAfter <= p.now) throw c2paError('C2PA_CERT_EXPIRED', `the maker CA certificate expired on ${caEnd.toISOString()}`);
  const device = await issueDeviceCertificate({
    caSecret: p.maker.secret, caCertificate: p.caCertificate, devicePublicKey: p.devicePublicKey,
    deviceAddress: addressOf(2, p.devicePublicKey), notBefore: p.now, notAfter, rng: p.rng,
  });
  return [device, Uint8Array.from(p.caCertificate)];
}

/**
 * Checks a device chain against the device's leave-factory record: the leaf
 * certifies the record's device key, the last certificate is the maker CA
 * with the record's manufacturer key, and the chain passes the C2PA profile
 * and validity checks at `at` with that CA as its trust anchor.
 * @throws DeviceStateError STATE_FORMAT naming the fault.
 */
export async function checkDeviceChain(chain: readonly Uint8Array[], factory: FactoryRecord, at: Date): Promise<void> {
  const bad = (msg: string): DeviceStateError => new DeviceStateError('STATE_FORMAT', `device certificate: ${msg}`);
  if (chain.length < 2) throw bad('the chain must be [device certificate, maker CA]');
  if (factory.deviceSuite !== 2) throw bad(`the device is suite ${factory.deviceSuite}: C2PA has no secp256k1`);
  const leafKey = await certificatePublicKey(chain[0]!);
  if (!leafKey || !equalBytes(leafKey, factory.devicePublicKey)) throw bad('it certifies another key than the device key of factory.json');
  const ca = chain[chain.length - 1]!;
  const caKey = await certificatePublicKey(ca);
  if (factory.manufacturerSuite !== 2 || !caKey || !equalBytes(caKey, factory.manufacturerPublicKey)) {
    throw bad(`the maker CA's key is not the manufacturer key of factory.json (${toHex(factory.manufacturerPublicKey).slice(0, 16)}…)`);
  }
  const c = await checkCertificateChain(chain, { at, trustAnchors: [ca] });
  const f = c.failures[0];
  if (f) throw bad(`${f.code}${C2PA_STATUS_OF[f.code] ? ` (${C2PA_STATUS_OF[f.code]})` : ''}: ${f.message}`);
}

/**
 * Checks (as {@link checkDeviceChain} at `at`) and stores the device chain as
 * `<stateDir>/certificate.pem` (atomic, mode 0644: public data).
 * @returns the file's path
 * @throws DeviceStateError STATE_FORMAT | STATE_IO
 */
export async function installDeviceChain(stateDir: string, chain: readonly Uint8Array[], factory: FactoryRecord, at: Date): Promise<string> {
  await checkDeviceChain(chain, factory, at);
  const path = statePath(stateDir, STATE_FILES.certificate);
  try {
    await writeFileAtomic(path, new TextEncoder().encode(pemChain(chain)), { mode: 0o644 });
  } catch (e) {
    throw new DeviceStateError('STATE_IO', `cannot write ${path}`, { cause: e });
  }
  return path;
}

/**
 * Reads a PEM certificate chain file (bounded).
 * @returns the certificates (DER), or null when the file does not exist
 * @throws DeviceStateError STATE_IO (unreadable, too large) | STATE_FORMAT (not a PEM certificate chain)
 */
export async function readPemChainFile(path: string): Promise<Uint8Array[] | null> {
  let text: string;
  try {
    const st = await fs.stat(path);
    if (st.size > MAX_PEM) throw new DeviceStateError('STATE_IO', `${path} is larger than ${MAX_PEM} bytes`);
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (e instanceof DeviceStateError) throw e;
    throw new DeviceStateError('STATE_IO', `cannot read ${path}`, { cause: e });
  }
  try {
    return parsePemChain(text);
  } catch (e) {
    throw new DeviceStateError('STATE_FORMAT', `${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The device's stored chain (`<stateDir>/certificate.pem`), or null when it has none.
 * @throws DeviceStateError STATE_IO | STATE_FORMAT
 */
export function readDeviceChain(stateDir: string): Promise<Uint8Array[] | null> {
  return readPemChainFile(statePath(stateDir, STATE_FILES.certificate));
}
