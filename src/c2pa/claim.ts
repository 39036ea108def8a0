/**
 * The C2PA v2 claim (C2PA 2.x §10, label `c2pa.claim.v2`): instanceID,
 * claim_generator_info, the signature's JUMBF URI, created (and gathered)
 * assertions as hashed URIs, and the default hash algorithm. Encodes it and
 * parses it strictly (only v2 fields, each of its type). Also resolves a
 * hashed URI to an assertion label of its own manifest. Pure: no I/O.
 */
import { cborDecode, cborEncode, isCborObject, type CborValue } from './cbor.js';
import { c2paError } from './reasons.js';

/** A hashed URI (C2PA 2.x §8.3): a JUMBF URI and the SHA-256 of the box it names. */
export interface HashedUri {
  url: string;
  hash: Uint8Array;
  alg?: string;
}

/** The generator of a claim (claim_generator_info). */
export interface ClaimGenerator {
  name: string;
  version?: string;
  [key: string]: CborValue | undefined;
}

/** A decoded v2 claim. */
export interface Claim {
  instanceId: string;
  generator: ClaimGenerator;
  /** JUMBF URI of this manifest's signature box. */
  signature: string;
  createdAssertions: HashedUri[];
  gatheredAssertions: HashedUri[];
  /** Default hash algorithm of the hashed URIs ('sha256' when absent). */
  alg: string | undefined;
  title: string | undefined;
  redactedAssertions: string[];
}

const V2_FIELDS = new Set([
  'instanceID', 'claim_generator_info', 'signature', 'created_assertions', 'gathered_assertions', 'dc:title',
  'redacted_assertions', 'alg', 'alg_soft', 'metadata',
]);

/** The self-relative JUMBF URI of an assertion of the same manifest. */
export function assertionUrl(label: string): string {
  return `self#jumbf=c2pa.assertions/${label}`;
}

/** The absolute JUMBF URI of a manifest's signature box. */
export function signatureUrl(manifestLabel: string): string {
  return `self#jumbf=/c2pa/${manifestLabel}/c2pa.signature`;
}

/**
 * The assertion label a hashed URI names inside manifest `manifestLabel`
 * (relative `self#jumbf=c2pa.assertions/L` or absolute
 * `self#jumbf=/c2pa/<manifest>/c2pa.assertions/L`), or undefined when it names
 * anything else.
 */
export function assertionLabelOf(url: string, manifestLabel: string): string | undefined {
  const rel = 'self#jumbf=c2pa.assertions/';
  const abs = `self#jumbf=/c2pa/${manifestLabel}/c2pa.assertions/`;
  const rest = url.startsWith(rel) ? url.slice(rel.length) : url.startsWith(abs) ? url.slice(abs.length) : undefined;
  return rest !== undefined && rest.length > 0 && !rest.includes('/') ? rest : undefined;
}

function hashedUriCbor(h: HashedUri): Record<string, CborValue> {
  return h.alg === undefined ? { url: h.url, hash: h.hash } : { url: h.url, alg: h.alg, hash: h.hash };
}

/**
 * Encodes a v2 claim.
 * @throws TypeError / RangeError on a missing field or an empty assertion list.
 */
export function encodeClaim(c: Claim): Uint8Array {
  if (typeof c.instanceId !== 'string' || c.instanceId.length === 0) throw new TypeError('claim instanceId must be a non-empty string');
  if (typeof c.generator?.name !== 'string' || c.generator.name.length === 0) throw new TypeError('claim generator name must be a non-empty string');
  if (c.createdAssertions.length === 0) throw new RangeError('a claim needs at least one created assertion');
  const m: Record<string, CborValue> = {
    instanceID: c.instanceId,
    claim_generator_info: Object.fromEntries(Object.entries(c.generator).filter(([, v]) => v !== undefined)) as Record<string, CborValue>,
    signature: c.signature,
    created_assertions: c.createdAssertions.map(hashedUriCbor),
  };
  if (c.gatheredAssertions.length > 0) m.gathered_assertions = c.gatheredAssertions.map(hashedUriCbor);
  if (c.title !== undefined) m['dc:title'] = c.title;
  if (c.redactedAssertions.length > 0) m.redacted_assertions = c.redactedAssertions;
  if (c.alg !== undefined) m.alg = c.alg;
  return cborEncode(m);
}

function bad(msg: string): never {
  throw c2paError('C2PA_CLAIM_MALFORMED', msg);
}

function str(v: CborValue | undefined, what: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) bad(`claim ${what} must be a string of 1..4096 characters`);
  return v;
}

function hashedUris(v: CborValue | undefined, what: string): HashedUri[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0) bad(`claim ${what} must be a non-empty array`);
  return v.map((h, i) => {
    if (!isCborObject(h)) bad(`claim ${what}[${i}] is not a map`);
    for (const k of Object.keys(h)) if (k !== 'url' && k !== 'hash' && k !== 'alg') bad(`claim ${what}[${i}] has unknown field ${JSON.stringify(k)}`);
    const url = str(h.url, `${what}[${i}].url`)!;
    if (!(h.hash instanceof Uint8Array) || h.hash.length === 0 || h.hash.length > 64) bad(`claim ${what}[${i}].hash must be 1..64 bytes`);
    const alg = str(h.alg, `${what}[${i}].alg`, true);
    return alg === undefined ? { url, hash: h.hash } : { url, hash: h.hash, alg };
  });
}

/**
 * Parses a v2 claim strictly.
 * @throws SealcamError C2PA_CLAIM_MALFORMED (also for invalid CBOR).
 */
export function parseClaim(bytes: Uint8Array): Claim {
  const v = cborDecode(bytes, 'claim', 'C2PA_CLAIM_MALFORMED');
  if (!isCborObject(v)) bad('claim is not a map with text keys');
  for (const k of Object.keys(v)) if (!V2_FIELDS.has(k)) bad(`unknown v2 claim field ${JSON.stringify(k)}`);
  const gen = v.claim_generator_info;
  if (!isCborObject(gen)) bad('claim_generator_info must be a map');
  const name = str(gen.name, 'claim_generator_info.name')!;
  const version = str(gen.version, 'claim_generator_info.version', true);
  const created = hashedUris(v.created_assertions, 'created_assertions');
  if (created.length === 0) bad('claim has no created_assertions');
  const redacted = v.redacted_assertions;
  if (redacted !== undefined && (!Array.isArray(redacted) || !redacted.every((r) => typeof r === 'string'))) bad('redacted_assertions must be an array of strings');
  return {
    instanceId: str(v.instanceID, 'instanceID')!,
    generator: { ...gen, name, ...(version === undefined ? {} : { version }) },
    signature: str(v.signature, 'signature')!,
    createdAssertions: created,
    gatheredAssertions: hashedUris(v.gathered_assertions, 'gathered_assertions'),
    alg: str(v.alg, 'alg', true),
    title: str(v['dc:title'], 'dc:title', true),
    redactedAssertions: (redacted as string[] | undefined) ?? [],
  };
}
