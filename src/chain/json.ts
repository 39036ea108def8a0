/**
 * The bundle's `chain` member (SCHEME.md Appendix, v1.1) and the verifier's
 * trust file, as strict JSON: closed key sets, no duplicate keys, exact hex
 * lengths, integers per the Appendix rule. The chain reader applies the §7
 * order: `chain` must be an object with a `keys` array; more than 4097 entries
 * or more than 16384 blocks in all (Σ n read from each key's n field) is
 * CHAIN_LENGTH before any entry is read; every other form error is
 * BUNDLE_FORMAT. Pure.
 */
import { ecdsaCheckPublicKey, type Suite } from '../crypto/ecdsa.js';
import { FormError, readArray, readHex, readObject, readUint, writeHex, writeUint } from '../dstp/json-form.js';
import type { TrustedKey } from '../ledger/trust.js';
import { U64_MAX } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { duplicateKeyOf } from '../platform/strict-json.js';
import { MAX_CHAIN_BLOCKS, MAX_CHAIN_KEYS, type ChainAck, type ChainKey, type ChainLink, type KeyChain } from './links.js';

/** A verifier's trust anchors (the `--trust` file). */
export interface ChainTrust {
  readonly manufacturers: readonly TrustedKey[];
  readonly witnesses: readonly TrustedKey[];
}

function readSuite(v: unknown, path: string): Suite {
  if (v !== 1 && v !== 2) throw new FormError(path, 'must be 1 or 2');
  return v;
}

function readKeyRef(v: unknown, path: string, keyName: string): TrustedKey {
  const o = readObject(v, path, ['suite', keyName]);
  return { suite: readSuite(o.suite, `${path}.suite`), publicKey: readHex(o[keyName], `${path}.${keyName}`, 65) };
}

function readAck(v: unknown, path: string): ChainAck {
  const o = readObject(v, path, ['suite', 'serverPublicKey', 'seenAt', 'signature']);
  return {
    suite: readSuite(o.suite, `${path}.suite`),
    serverPublicKey: readHex(o.serverPublicKey, `${path}.serverPublicKey`, 65),
    seenAt: readUint(o.seenAt, `${path}.seenAt`, U64_MAX),
    signature: readHex(o.signature, `${path}.signature`, 64),
  };
}

function readLink(o: Record<string, unknown>, path: string, allowUnwitnessed: boolean): ChainLink {
  const hasEndorse = Object.hasOwn(o, 'endorse');
  if (hasEndorse === Object.hasOwn(o, 'restart')) throw new FormError(path, 'must have exactly one of "endorse" and "restart"');
  if (hasEndorse) return { kind: 'endorse', signature: readHex(o.endorse, `${path}.endorse`) };
  const r = readObject(o.restart, `${path}.restart`, ['prevKeyId', 'signature', 'acks']);
  const acks = readArray(r.acks, `${path}.restart.acks`);
  if (acks.length === 0 && !allowUnwitnessed) throw new FormError(`${path}.restart.acks`, 'must not be empty');
  return {
    kind: 'restart',
    prevKeyId: readHex(r.prevKeyId, `${path}.restart.prevKeyId`, 32),
    signature: readHex(r.signature, `${path}.restart.signature`, 64),
    acks: acks.map((a, k) => readAck(a, `${path}.restart.acks[${k}]`)),
  };
}

/** n declared by an FsPublicKey hex string (bytes 7–8), or 0 when it cannot be read. */
function declaredBlocks(entry: unknown): number {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 0;
  const pk = (entry as Record<string, unknown>).publicKey;
  if (typeof pk !== 'string' || pk.length < 18 || !/^[0-9a-f]{4}$/.test(pk.slice(14, 18))) return 0;
  return parseInt(pk.slice(14, 18), 16);
}

/**
 * Reads the `chain` member of a bundle. With `allowUnwitnessed` (a device's
 * own keychain.json, not a bundle) a restart may have no acknowledgement yet.
 * @throws SealcamError<'CHAIN_LENGTH' | 'BUNDLE_FORMAT'> (the JSON path in the message)
 */
export function readChain(v: unknown, path = '$.chain', allowUnwitnessed = false): KeyChain {
  try {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || duplicateKeyOf(v) !== undefined) {
      throw new FormError(path, 'must be an object with a "keys" array');
    }
    const keys = readArray((v as Record<string, unknown>).keys, `${path}.keys`);
    if (keys.length > MAX_CHAIN_KEYS) throw new SealcamError('CHAIN_LENGTH', `${path}.keys: ${keys.length} entries, at most ${MAX_CHAIN_KEYS}`);
    const blocks = keys.reduce((s: number, e) => s + declaredBlocks(e), 0);
    if (blocks > MAX_CHAIN_BLOCKS) throw new SealcamError('CHAIN_LENGTH', `${path}.keys: ${blocks} blocks in all, at most ${MAX_CHAIN_BLOCKS}`);
    const o = readObject(v, path, ['manufacturer', 'factory', 'keys']);
    const f = readObject(o.factory, `${path}.factory`, ['firstKeyId', 'issuedAt', 'signature']);
    if (keys.length === 0) throw new FormError(`${path}.keys`, 'must not be empty');
    return {
      manufacturer: readKeyRef(o.manufacturer, `${path}.manufacturer`, 'publicKey'),
      factory: {
        firstKeyId: readHex(f.firstKeyId, `${path}.factory.firstKeyId`, 32),
        issuedAt: readUint(f.issuedAt, `${path}.factory.issuedAt`, U64_MAX),
        signature: readHex(f.signature, `${path}.factory.signature`, 64),
      },
      keys: keys.map((e, j): ChainKey => {
        const p = `${path}.keys[${j}]`;
        const eo = readObject(e, p, ['publicKey'], j === 0 ? [] : ['endorse', 'restart']);
        return { publicKey: readHex(eo.publicKey, `${p}.publicKey`), link: j === 0 ? null : readLink(eo, p, allowUnwitnessed) };
      }),
    };
  } catch (e) {
    if (e instanceof SealcamError) throw e;
    throw new SealcamError('BUNDLE_FORMAT', e instanceof Error ? e.message : 'malformed chain', { cause: e });
  }
}

function ackToJson(a: ChainAck): Record<string, unknown> {
  return { suite: a.suite, serverPublicKey: writeHex(a.serverPublicKey), seenAt: writeUint(a.seenAt), signature: writeHex(a.signature) };
}

/** The canonical JSON object of a chain (Appendix key order). */
export function chainToJson(c: KeyChain): Record<string, unknown> {
  return {
    manufacturer: { suite: c.manufacturer.suite, publicKey: writeHex(c.manufacturer.publicKey) },
    factory: { firstKeyId: writeHex(c.factory.firstKeyId), issuedAt: writeUint(c.factory.issuedAt), signature: writeHex(c.factory.signature) },
    keys: c.keys.map((k) => {
      if (k.link === null) return { publicKey: writeHex(k.publicKey) };
      if (k.link.kind === 'endorse') return { publicKey: writeHex(k.publicKey), endorse: writeHex(k.link.signature) };
      return {
        publicKey: writeHex(k.publicKey),
        restart: { prevKeyId: writeHex(k.link.prevKeyId), signature: writeHex(k.link.signature), acks: k.link.acks.map(ackToJson) },
      };
    }),
  };
}

function readTrustList(v: unknown, path: string): TrustedKey[] {
  if (v === undefined) return [];
  return readArray(v, path).map((e, k) => {
    const t = readKeyRef(e, `${path}[${k}]`, 'publicKey');
    if (ecdsaCheckPublicKey(t.suite, t.publicKey) !== null) throw new FormError(`${path}[${k}].publicKey`, 'is not a valid key of its suite');
    return t;
  });
}

/**
 * Reads a trust file: `{"manufacturers": [{"suite", "publicKey"}…], "witnesses": […]}`
 * (both optional, no other members; every key a valid point of its suite).
 * @throws SealcamError<'TRUST_FORMAT'> naming the JSON path
 */
export function readTrust(v: unknown): ChainTrust {
  try {
    const o = readObject(v, '$', [], ['manufacturers', 'witnesses']);
    return { manufacturers: readTrustList(o.manufacturers, '$.manufacturers'), witnesses: readTrustList(o.witnesses, '$.witnesses') };
  } catch (e) {
    throw new SealcamError('TRUST_FORMAT', e instanceof Error ? e.message : 'malformed trust file', { cause: e });
  }
}

/** The trust file JSON of the given anchors. */
export function trustToJson(t: ChainTrust): Record<string, unknown> {
  const list = (l: readonly TrustedKey[]): unknown[] => l.map((k) => ({ suite: k.suite, publicKey: writeHex(k.publicKey) }));
  return { manufacturers: list(t.manufacturers), witnesses: list(t.witnesses) };
}
