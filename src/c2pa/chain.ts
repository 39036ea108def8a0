/**
 * Checks a claim signer's X.509 chain (C2PA 2.x §14.5 and §15.7, as c2pa-rs
 * applies them; docs/C2PA.md): the leaf's profile (P-256 key, not a CA,
 * keyUsage digitalSignature without keyCertSign, an accepted claim-signing
 * EKU and no anyExtendedKeyUsage / timeStamping / OCSPSigning, an AKI, an O),
 * each certificate issued and signed by the next, issuers being CAs, every
 * certificate valid at the given time, and, when trust anchors are given, the
 * chain ending at or under one of them. Certificates are parsed with
 * @peculiar/x509 and signatures verified through WebCrypto. Never throws for
 * hostile certificates: each fault is a reported reason.
 */
import type { C2paReason } from './reasons.js';
import { EKU } from './certificates.js';
import { x509 } from './x509.js';

type Cert = InstanceType<typeof x509.X509Certificate>;

/** Claim-signing EKUs a validator accepts (c2pa-rs's default list, minus TSA/OCSP purposes). */
export const ACCEPTED_EKUS: readonly string[] = [EKU.emailProtection, EKU.documentSigning, EKU.c2paClaimSigning, '1.3.6.1.4.1.311.76.59.1.9'];
const EKU_ANY = '2.5.29.37.0';
const EKU_TIMESTAMPING = '1.3.6.1.5.5.7.3.8';
const EKU_OCSP = '1.3.6.1.5.5.7.3.9';

/** One reason a chain is not acceptable. */
export interface ChainFailure {
  code: C2paReason;
  message: string;
}

/** What the leaf certificate says about the signer. */
export interface SignerInfo {
  subject: string;
  commonName: string | undefined;
  organization: string | undefined;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** The leaf's P-256 public key, 65 bytes 0x04||x||y (undefined for another key type). */
  publicKey: Uint8Array | undefined;
}

/** The result of checkCertificateChain. */
export interface ChainCheck {
  failures: ChainFailure[];
  /** true / false when trust anchors were given, undefined otherwise. */
  trusted: boolean | undefined;
  signer: SignerInfo | undefined;
}

/** Options of checkCertificateChain. */
export interface ChainOptions {
  /** The time at which every certificate must be valid (no TSA time-stamp: the verifier's now). */
  at: Date;
  /** Trust anchors (DER). */
  trustAnchors?: readonly Uint8Array[];
}

/**
 * Parses a certificate and touches every field this module reads, so that a
 * malformed extension or name (which @peculiar/x509 decodes lazily) fails here.
 */
function parse(der: Uint8Array): Cert | undefined {
  try {
    const c = new x509.X509Certificate(new Uint8Array(der));
    void [c.subject, c.issuer, c.serialNumber, c.notBefore, c.notAfter, c.signatureAlgorithm, c.publicKey.algorithm];
    void [c.subjectName.getField('CN'), c.subjectName.getField('O')];
    c.getExtension(x509.BasicConstraintsExtension);
    c.getExtension(x509.KeyUsagesExtension);
    c.getExtension(x509.ExtendedKeyUsageExtension);
    c.getExtension(x509.AuthorityKeyIdentifierExtension);
    return c;
  } catch {
    return undefined;
  }
}

async function rawPoint(cert: Cert): Promise<Uint8Array | undefined> {
  const alg = cert.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') return undefined;
  try {
    const key = await cert.publicKey.export();
    return new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', key));
  } catch {
    return undefined;
  }
}

/**
 * The P-256 public key (65 bytes 0x04||x||y) of a DER certificate; undefined
 * when it does not parse or holds another key type. Lets a verifier match a
 * maker CA against the manufacturer keys it trusts (SCHEME.md §7 trust list).
 */
export async function certificatePublicKey(der: Uint8Array): Promise<Uint8Array | undefined> {
  if (!(der instanceof Uint8Array)) return undefined;
  const c = parse(der);
  return c ? rawPoint(c) : undefined;
}

async function signedBy(cert: Cert, issuer: Cert): Promise<boolean> {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function isCa(cert: Cert): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

function equal(a: Uint8Array, b: ArrayBuffer): boolean {
  const v = new Uint8Array(b);
  return a.length === v.length && a.every((x, i) => x === v[i]);
}

function leafProfile(leaf: Cert, point: Uint8Array | undefined): string[] {
  const problems: string[] = [];
  if (!point) problems.push('leaf key is not ECDSA P-256');
  if (isCa(leaf)) problems.push('leaf is a CA certificate');
  const ku = leaf.getExtension(x509.KeyUsagesExtension);
  if (!ku) problems.push('leaf has no keyUsage');
  else {
    if (!(ku.usages & x509.KeyUsageFlags.digitalSignature)) problems.push('leaf keyUsage lacks digitalSignature');
    if (ku.usages & x509.KeyUsageFlags.keyCertSign) problems.push('leaf keyUsage has keyCertSign');
  }
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? []).map(String);
  if (usages.length === 0) problems.push('leaf has no extendedKeyUsage');
  if (usages.includes(EKU_ANY)) problems.push('leaf has anyExtendedKeyUsage');
  if (usages.includes(EKU_TIMESTAMPING) || usages.includes(EKU_OCSP)) problems.push('leaf EKU includes timeStamping or OCSPSigning');
  if (usages.length > 0 && !usages.some((u) => ACCEPTED_EKUS.includes(u))) problems.push('leaf EKU has no claim-signing purpose');
  if (!leaf.getExtension(x509.AuthorityKeyIdentifierExtension)) problems.push('leaf has no authorityKeyIdentifier');
  if (!leaf.subjectName.getField('O')[0]) problems.push('leaf subject has no organization (O)');
  const sig = leaf.signatureAlgorithm as { name?: string };
  if (sig.name !== 'ECDSA' && sig.name !== 'RSASSA-PKCS1-v1_5' && sig.name !== 'RSA-PSS' && sig.name !== 'Ed25519') problems.push(`leaf signature algorithm ${String(sig.name)} is not allowed`);
  return problems;
}

/**
 * Checks a signer chain (DER, leaf first).
 * @throws TypeError on a bad option (`at` not a Date, anchors not Uint8Arrays);
 *   SealcamError C2PA_CERT_MALFORMED when a trust anchor does not parse.
 */
export async function checkCertificateChain(chain: readonly Uint8Array[], opts: ChainOptions): Promise<ChainCheck> {
  if (!(opts?.at instanceof Date) || Number.isNaN(opts.at.getTime())) throw new TypeError('at must be a valid Date');
  const anchors = (opts.trustAnchors ?? []).map((a, i) => {
    if (!(a instanceof Uint8Array)) throw new TypeError(`trustAnchors[${i}] must be a Uint8Array`);
    const c = parse(a);
    if (!c) throw new TypeError(`trustAnchors[${i}] does not parse as an X.509 certificate`);
    return { der: a, cert: c };
  });
  const failures: ChainFailure[] = [];
  const certs: Cert[] = [];
  for (const [i, der] of chain.entries()) {
    const c = parse(der);
    if (!c) return { failures: [{ code: 'C2PA_CERT_MALFORMED', message: `certificate ${i} of x5chain does not parse` }], trusted: anchors.length > 0 ? false : undefined, signer: undefined };
    certs.push(c);
  }
  const leaf = certs[0];
  if (!leaf) return { failures: [{ code: 'C2PA_CERT_MALFORMED', message: 'x5chain is empty' }], trusted: anchors.length > 0 ? false : undefined, signer: undefined };
  const point = await rawPoint(leaf);
  const signer: SignerInfo = {
    subject: leaf.subject,
    commonName: leaf.subjectName.getField('CN')[0],
    organization: leaf.subjectName.getField('O')[0],
    issuer: leaf.issuer,
    serialNumber: leaf.serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    publicKey: point,
  };
  for (const p of leafProfile(leaf, point)) failures.push({ code: 'C2PA_CERT_PROFILE', message: p });
  for (let i = 0; i + 1 < certs.length; i++) {
    const issuer = certs[i + 1]!;
    if (!isCa(issuer)) failures.push({ code: 'C2PA_CHAIN_INVALID', message: `certificate ${i + 1} issues certificate ${i} but is not a CA` });
    const ku = issuer.getExtension(x509.KeyUsagesExtension);
    if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign)) failures.push({ code: 'C2PA_CHAIN_INVALID', message: `certificate ${i + 1} lacks keyCertSign` });
    if (!(await signedBy(certs[i]!, issuer))) failures.push({ code: 'C2PA_CHAIN_INVALID', message: `certificate ${i} is not signed by certificate ${i + 1}` });
  }
  for (const [i, c] of certs.entries()) {
    if (opts.at < c.notBefore || opts.at > c.notAfter) {
      failures.push({ code: 'C2PA_CERT_EXPIRED', message: `certificate ${i} is valid ${c.notBefore.toISOString()}..${c.notAfter.toISOString()}, not at ${opts.at.toISOString()}` });
    }
  }
  let trusted: boolean | undefined;
  if (anchors.length > 0) {
    trusted = false;
    for (let i = certs.length - 1; i >= 0 && !trusted; i--) {
      for (const a of anchors) {
        if (equal(a.der, certs[i]!.rawData) || (await signedBy(certs[i]!, a.cert))) {
          trusted = opts.at >= a.cert.notBefore && opts.at <= a.cert.notAfter;
          if (trusted) break;
        }
      }
    }
    if (!trusted) failures.push({ code: 'C2PA_UNTRUSTED', message: 'the chain does not end at or under a trust anchor valid now' });
  }
  return { failures, trusted, signer };
}
