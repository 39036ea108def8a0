/**
 * The C2PA manifest store's JUMBF structure (C2PA 2.x §11): the `c2pa` store
 * superbox holding manifest superboxes (`c2ma`), each with an assertion store
 * (`c2as`: one labelled superbox per assertion, salted with a `c2sh` private
 * box, CBOR or JSON content), the claim (`c2cl`, `c2pa.claim.v2`, CBOR) and the
 * claim signature (`c2cs`, `c2pa.signature`, COSE_Sign1 in a CBOR box).
 * Builds it, and parses it strictly into raw parts (the claim and signature
 * bytes are decoded by claim.ts and cose.ts). Pure: no I/O.
 */
import { c2paError } from './reasons.js';
import { jumbfBox, jumbfSuperbox, parseBoxes, parseSuperbox, type JumbfBox, type JumbfSuperbox } from './jumbf.js';

const suffix = '00110010800000aa00389b71';
/** Content-type UUIDs of the C2PA superboxes (32 hex digits). */
export const UUID = {
  store: '63327061' + suffix, // c2pa
  manifest: '63326d61' + suffix, // c2ma
  updateManifest: '6332756d' + suffix, // c2um
  assertionStore: '63326173' + suffix, // c2as
  claim: '6332636c' + suffix, // c2cl
  signature: '63326373' + suffix, // c2cs
  credentialStore: '63327663' + suffix, // c2vc
  cborAssertion: '63626f72' + suffix, // cbor
  jsonAssertion: '6a736f6e' + suffix, // json
  embeddedFile: '40cb0c32bb8a489da70b2ad6f47f4369',
} as const;

/** Label of the manifest store superbox. */
export const STORE_LABEL = 'c2pa';
/** Label of a manifest's assertion store. */
export const ASSERTION_STORE_LABEL = 'c2pa.assertions';
/** Label of a v2 claim. */
export const CLAIM_V2_LABEL = 'c2pa.claim.v2';
/** Label of a v1 claim (recognised only to refuse it). */
export const CLAIM_V1_LABEL = 'c2pa.claim';
/** Label of the claim signature box. */
export const SIGNATURE_LABEL = 'c2pa.signature';
/** Most assertions accepted in one manifest. */
export const MAX_ASSERTIONS = 1024;
/** Most manifests accepted in one store. */
export const MAX_MANIFESTS = 64;

/** An assertion to write: its label, CBOR content and salt (16+ random bytes). */
export interface AssertionInput {
  label: string;
  cbor: Uint8Array;
  salt: Uint8Array;
}

/**
 * One CBOR assertion superbox. Its hashed-URI hash is SHA-256 over
 * `box.subarray(8)` (the superbox payload, C2PA 2.x §8.4.2.3).
 * @throws RangeError on a bad label or a salt shorter than 16 bytes.
 */
export function assertionBox(a: AssertionInput): Uint8Array {
  if (!(a.salt instanceof Uint8Array) || a.salt.length < 16) throw new RangeError('assertion salt must be at least 16 bytes');
  return jumbfSuperbox(UUID.cborAssertion, a.label, [jumbfBox('cbor', a.cbor)], jumbfBox('c2sh', a.salt));
}

/** The complete store: one manifest `label` with its assertion boxes, claim and COSE_Sign1. */
export function manifestStore(label: string, assertionBoxes: readonly Uint8Array[], claimCbor: Uint8Array, coseSign1: Uint8Array): Uint8Array {
  const manifest = jumbfSuperbox(UUID.manifest, label, [
    jumbfSuperbox(UUID.assertionStore, ASSERTION_STORE_LABEL, assertionBoxes),
    jumbfSuperbox(UUID.claim, CLAIM_V2_LABEL, [jumbfBox('cbor', claimCbor)]),
    jumbfSuperbox(UUID.signature, SIGNATURE_LABEL, [jumbfBox('cbor', coseSign1)]),
  ]);
  return jumbfSuperbox(UUID.store, STORE_LABEL, [manifest]);
}

/** One assertion as found in the store. */
export interface RawAssertion {
  label: string;
  /** 'cbor' and 'json' carry their content box; anything else is kept opaque. */
  kind: 'cbor' | 'json' | 'other';
  /** The content box payload ('cbor'/'json'), or the whole superbox payload otherwise. */
  content: Uint8Array;
  /** The superbox payload: the bytes its hashed URI covers. */
  hashed: Uint8Array;
}

/** One manifest as found in the store. */
export interface RawManifest {
  label: string;
  assertions: RawAssertion[];
  /** 'c2pa.claim.v2' (sealcam reads nothing older). */
  claimLabel: string;
  claimCbor: Uint8Array;
  coseSign1: Uint8Array;
}

function only(sb: JumbfSuperbox, type: string, what: string): Uint8Array {
  const c = sb.children;
  if (c.length !== 1 || c[0]!.type !== type) throw c2paError('C2PA_STORE_MALFORMED', `${what}: expected exactly one ${type} box`);
  return c[0]!.payload;
}

function parseAssertion(box: JumbfBox): RawAssertion {
  const sb = parseSuperbox(box, 'assertion');
  if (sb.label === undefined) throw c2paError('C2PA_STORE_MALFORMED', 'assertion superbox without a label');
  const what = `assertion ${JSON.stringify(sb.label)}`;
  if (sb.privateBox && sb.privateBox.type !== 'c2sh') throw c2paError('C2PA_STORE_MALFORMED', `${what}: private box ${sb.privateBox.type} is not a c2sh salt`);
  if (sb.uuid === UUID.cborAssertion) return { label: sb.label, kind: 'cbor', content: only(sb, 'cbor', what), hashed: sb.payload };
  if (sb.uuid === UUID.jsonAssertion) return { label: sb.label, kind: 'json', content: only(sb, 'json', what), hashed: sb.payload };
  return { label: sb.label, kind: 'other', content: sb.payload, hashed: sb.payload };
}

function parseManifest(box: JumbfBox): RawManifest {
  const sb = parseSuperbox(box, 'manifest');
  if (sb.uuid === UUID.updateManifest) throw c2paError('C2PA_UNSUPPORTED', 'update manifests are not supported');
  if (sb.uuid !== UUID.manifest || sb.label === undefined) throw c2paError('C2PA_STORE_MALFORMED', 'store child is not a labelled c2ma manifest');
  const what = `manifest ${JSON.stringify(sb.label)}`;
  let assertions: RawAssertion[] | undefined;
  let claim: { label: string; cbor: Uint8Array } | undefined;
  let coseSign1: Uint8Array | undefined;
  for (const child of sb.children) {
    const c = parseSuperbox(child, what);
    if (c.uuid === UUID.assertionStore) {
      if (assertions) throw c2paError('C2PA_STORE_MALFORMED', `${what}: two assertion stores`);
      if (c.children.length > MAX_ASSERTIONS) throw c2paError('C2PA_STORE_MALFORMED', `${what}: more than ${MAX_ASSERTIONS} assertions`);
      assertions = c.children.map(parseAssertion);
      const labels = new Set(assertions.map((a) => a.label));
      if (labels.size !== assertions.length) throw c2paError('C2PA_STORE_MALFORMED', `${what}: two assertions with one label`);
    } else if (c.uuid === UUID.claim) {
      if (claim) throw c2paError('C2PA_STORE_MALFORMED', `${what}: two claims`);
      if (c.label === CLAIM_V1_LABEL) throw c2paError('C2PA_UNSUPPORTED', `${what}: v1 claims are not supported`);
      if (c.label !== CLAIM_V2_LABEL) throw c2paError('C2PA_STORE_MALFORMED', `${what}: claim label ${JSON.stringify(c.label)}`);
      claim = { label: c.label, cbor: only(c, 'cbor', `${what} claim`) };
    } else if (c.uuid === UUID.signature) {
      if (coseSign1) throw c2paError('C2PA_STORE_MALFORMED', `${what}: two signatures`);
      if (c.label !== SIGNATURE_LABEL) throw c2paError('C2PA_STORE_MALFORMED', `${what}: signature label ${JSON.stringify(c.label)}`);
      coseSign1 = only(c, 'cbor', `${what} signature`);
    } else if (c.uuid !== UUID.credentialStore) {
      throw c2paError('C2PA_STORE_MALFORMED', `${what}: unknown box ${c.uuid}`);
    }
  }
  if (!assertions) throw c2paError('C2PA_STORE_MALFORMED', `${what}: no assertion store`);
  if (!claim) throw c2paError('C2PA_STORE_MALFORMED', `${what}: no claim`);
  if (!coseSign1) throw c2paError('C2PA_STORE_MALFORMED', `${what}: no claim signature`);
  return { label: sb.label, assertions, claimLabel: claim.label, claimCbor: claim.cbor, coseSign1 };
}

/**
 * Parses a manifest store (one top-level `c2pa` superbox filling `store`).
 * @returns its manifests in order; the last one is the active manifest.
 * @throws SealcamError C2PA_JUMBF_MALFORMED, C2PA_STORE_MALFORMED, C2PA_UNSUPPORTED.
 */
export function parseManifestStore(store: Uint8Array): RawManifest[] {
  const top = parseBoxes(store, 'manifest store', 1);
  if (top.length !== 1) throw c2paError('C2PA_STORE_MALFORMED', 'manifest store is empty');
  const sb = parseSuperbox(top[0]!, 'manifest store');
  if (sb.uuid !== UUID.store || sb.label !== STORE_LABEL) throw c2paError('C2PA_STORE_MALFORMED', 'top box is not the c2pa manifest store');
  if (sb.children.length === 0) throw c2paError('C2PA_STORE_MALFORMED', 'manifest store has no manifest');
  if (sb.children.length > MAX_MANIFESTS) throw c2paError('C2PA_STORE_MALFORMED', `more than ${MAX_MANIFESTS} manifests`);
  const manifests = sb.children.map(parseManifest);
  if (new Set(manifests.map((m) => m.label)).size !== manifests.length) throw c2paError('C2PA_STORE_MALFORMED', 'two manifests with one label');
  return manifests;
}
