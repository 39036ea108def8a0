/**
 * The chain-v1 vector cases (SCHEME.md §7 v1.1 "Chain check"): honest
 * chains (C₁ only, endorsed, restarted, mixed), every CHAIN_* code, the form
 * errors, and the two thefts the key chain exists for. Each case is a capture
 * bundle plus the verifier's trust; `group` puts bundles that are verified
 * together (CHAIN_FORK needs two). Deterministic: fixture primes, SeededRng,
 * RFC 6979.
 */
import { chainToJson } from '../../../src/chain/json.js';
import type { ChainLink, KeyChain } from '../../../src/chain/links.js';
import { toHex } from '../../../src/platform/bytes.js';
import { signHeader } from '../../../src/dstp/header-sign.js';
import { signFactoryRecord } from '../../../src/ledger/records.js';
import { ChainDevice, ident, T0, trustOf, witnessAck, type Ident } from '../../helpers/chain.js';

/** One vector case. */
export interface ChainCase {
  readonly label: string;
  readonly bundle: Record<string, unknown>;
  /** Override of the file's trust; null: verified without trust (integrity only). */
  readonly trust?: ReturnType<typeof trustOf> | null;
  readonly minWitnesses?: number;
  /** Cases of one group are verified together (several bundles of one device). */
  readonly group?: string;
  readonly valid: boolean;
  readonly reason: string | null;
  readonly origin: boolean;
  readonly validFrom: bigint | null;
}

const MIN = 60_000n;

/** The file-level trust: the maker and two storage servers. */
export const MAKER = ident('maker');
export const SERVER_A = ident('server-a');
export const SERVER_B = ident('server-b', 2);
export const STRANGER = ident('stranger');
export const FILE_TRUST = trustOf([MAKER], [SERVER_A, SERVER_B]);

function ok(label: string, bundle: Record<string, unknown>, validFrom: bigint, extra: Partial<ChainCase> = {}): ChainCase {
  return { label, bundle, valid: true, reason: null, origin: true, validFrom, ...extra };
}

function bad(label: string, bundle: Record<string, unknown>, reason: string, extra: Partial<ChainCase> = {}): ChainCase {
  return { label, bundle, valid: false, reason, origin: false, validFrom: null, ...extra };
}

function withLink(ch: KeyChain, j: number, link: ChainLink | null, publicKey?: Uint8Array): KeyChain {
  const keys = [...ch.keys];
  keys[j] = { publicKey: publicKey ?? keys[j]!.publicKey, link };
  return { ...ch, keys };
}

function mutate(json: Record<string, unknown>, fn: (chain: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
  fn(copy.chain as Record<string, unknown>);
  return copy;
}

/** Builds every case. */
export async function buildChainCases(): Promise<ChainCase[]> {
  const out: ChainCase[] = [];
  const issued = T0 + 1000n;

  // --- honest chains -----------------------------------------------------------------------------
  const a = await ChainDevice.create('honest-a', { maker: MAKER });
  const a1 = await a.capture(T0 + 5n * MIN, 1n);
  out.push(ok('C1 only: validFrom = issuedAt', a.bundle(a1), issued));
  const e2 = T0 + 9n * MIN + 17n;
  await a.endorseNext(e2);
  const a2 = await a.capture(a.end(0) + 3n * MIN, 2n);
  out.push(ok('C1 → C2 endorsed: validFrom = the endorsement\'s ts', a.bundle(a2), e2));
  out.push(ok('an earlier capture keeps its shorter chain', a.bundle(a1), issued));
  // restart after C2 ended, witnessed by A (and by a stranger, ignored)
  const r3 = a.end() + 40n * MIN;
  await a.restartNext(r3, [{ w: STRANGER, seenAt: r3 + 1n }, { w: SERVER_A, seenAt: r3 + 500n }]);
  const a3 = await a.capture(r3 + 2n * MIN, 3n);
  out.push(ok('C1 → C2 endorsed → C3 restarted: validFrom = S (the trusted witness)', a.bundle(a3), r3 + 500n));
  out.push(ok('the same restart needs 1 witness: with w = 2 it is CHAIN_WITNESS', a.bundle(a3), 0n, {
    valid: false, reason: 'CHAIN_WITNESS', origin: false, validFrom: null, minWitnesses: 2,
  }));
  // two trusted witnesses: S is the LATEST trusted seenAt
  const b = await ChainDevice.create('honest-b', { maker: MAKER, suite: 2 });
  const rb = b.end() + 5n * MIN;
  await b.restartNext(rb, [{ w: SERVER_A, seenAt: rb + 100n }, { w: SERVER_B, seenAt: rb + 900n }]);
  const b2 = await b.capture(rb + 3n * MIN, 1n);
  out.push(ok('restart with two trusted witnesses (suite 2 device): S = the latest', b.bundle(b2, { raw: true }), rb + 900n, { minWitnesses: 2 }));
  out.push(ok('… and with only A trusted, S = A\'s seenAt', b.bundle(b2, { raw: true }), rb + 100n, { trust: trustOf([MAKER], [SERVER_A]) }));
  // integrity only
  out.push({ label: 'no trust: integrity only', bundle: a.bundle(a3), trust: null, valid: true, reason: null, origin: false, validFrom: null });
  out.push({ label: 'trust without manufacturers: integrity only, origin required: CHAIN_MISSING', bundle: a.bundle(a3), trust: trustOf([], [SERVER_A]),
    valid: false, reason: 'CHAIN_MISSING', origin: false, validFrom: null });
  out.push(bad('no chain, origin required: CHAIN_MISSING', a.bundle(a1, { chain: null }), 'CHAIN_MISSING'));
  out.push({ label: 'no chain, no trust: integrity only', bundle: a.bundle(a1, { chain: null }), trust: null, valid: true, reason: null, origin: false, validFrom: null });

  // --- form ---------------------------------------------------------------------------------------
  const base = a.bundle(a2);
  out.push(bad('chain is not an object: BUNDLE_FORMAT', { ...base, chain: [] }, 'BUNDLE_FORMAT'));
  out.push(bad('chain without keys: BUNDLE_FORMAT', mutate(base, (c) => delete c.keys), 'BUNDLE_FORMAT'));
  out.push(bad('keys empty: BUNDLE_FORMAT', mutate(base, (c) => (c.keys = [])), 'BUNDLE_FORMAT'));
  out.push(bad('an unknown member in the chain: BUNDLE_FORMAT', mutate(base, (c) => (c.note = 'x')), 'BUNDLE_FORMAT'));
  out.push(bad('keys[0] with a link: BUNDLE_FORMAT', mutate(base, (c) => ((c.keys as Record<string, unknown>[])[0]!.endorse = 'aa')), 'BUNDLE_FORMAT'));
  out.push(bad('keys[1] with both links: BUNDLE_FORMAT', mutate(base, (c) => {
    (c.keys as Record<string, unknown>[])[1]!.restart = { prevKeyId: '00'.repeat(32), signature: '00'.repeat(64), acks: [] };
  }), 'BUNDLE_FORMAT'));
  out.push(bad('keys[1] without a link: BUNDLE_FORMAT', mutate(base, (c) => delete (c.keys as Record<string, unknown>[])[1]!.endorse), 'BUNDLE_FORMAT'));
  out.push(bad('a restart with no acks: BUNDLE_FORMAT', mutate(a.bundle(a3), (c) => {
    ((c.keys as Record<string, unknown>[])[2]!.restart as Record<string, unknown>).acks = [];
  }), 'BUNDLE_FORMAT'));
  out.push(bad('suite as a string: BUNDLE_FORMAT', mutate(base, (c) => ((c.manufacturer as Record<string, unknown>).suite = '1')), 'BUNDLE_FORMAT'));
  out.push(bad('issuedAt below 2^53 as hex: BUNDLE_FORMAT', mutate(base, (c) => ((c.factory as Record<string, unknown>).issuedAt = issued.toString(16))), 'BUNDLE_FORMAT'));
  out.push(bad('firstKeyId of 31 bytes: BUNDLE_FORMAT', mutate(base, (c) => ((c.factory as Record<string, unknown>).firstKeyId = '00'.repeat(31))), 'BUNDLE_FORMAT'));
  out.push(bad('uppercase hex: BUNDLE_FORMAT', mutate(base, (c) => ((c.factory as Record<string, unknown>).signature = ((c.factory as Record<string, unknown>).signature as string).toUpperCase())), 'BUNDLE_FORMAT'));
  out.push(bad('malformed chain, no trust: BUNDLE_FORMAT all the same', mutate(base, (c) => (c.keys = [])), 'BUNDLE_FORMAT', { trust: null }));
  out.push(bad('4098 keys: CHAIN_LENGTH before any entry is read', mutate(base, (c) => (c.keys = Array.from({ length: 4098 }, () => ({})))), 'CHAIN_LENGTH'));
  const bigN = toHex(new Uint8Array([0x53, 0x43, 0x46, 0x4b, 1, 8, 0, 1, 0])) + '00';
  out.push(bad('65 keys of n = 256 (16640 blocks): CHAIN_LENGTH', mutate(base, (c) => (c.keys = Array.from({ length: 65 }, () => ({ publicKey: bigN })))), 'CHAIN_LENGTH'));
  out.push(bad('CHAIN_LENGTH also without trust', mutate(base, (c) => (c.keys = Array.from({ length: 4098 }, () => ({})))), 'CHAIN_LENGTH', { trust: null }));

  // --- maker, factory, first key -----------------------------------------------------------------
  out.push(bad('maker not trusted: CHAIN_MAKER_UNTRUSTED', base, 'CHAIN_MAKER_UNTRUSTED', { trust: trustOf([STRANGER], [SERVER_A]) }));
  const hdrOther = await a.capture(a.end(0) + 4n * MIN, 9n, { manufacturerAddr: STRANGER.addr });
  out.push(bad('header.manufacturerAddr is not the chain maker\'s: CHAIN_MAKER_UNTRUSTED', a.bundle(hdrOther), 'CHAIN_MAKER_UNTRUSTED'));
  out.push(bad('factory issuedAt changed: CHAIN_FACTORY_SIG', mutate(base, (c) => ((c.factory as Record<string, unknown>).issuedAt = Number(issued - 1000n))), 'CHAIN_FACTORY_SIG'));
  const forged = signFactoryRecord({
    manufacturerSuite: STRANGER.suite, manufacturerSecret: STRANGER.secret, deviceSuite: a.id.suite, devicePublicKey: a.id.publicKey,
    firstKeyId: a.factory.firstKeyId, issuedAt: a.factory.issuedAt,
  });
  out.push(bad('factory signed by another key: CHAIN_FACTORY_SIG', mutate(base, (c) => ((c.factory as Record<string, unknown>).signature = toHex(forged.signature))), 'CHAIN_FACTORY_SIG'));
  const pinOther = signFactoryRecord({
    manufacturerSuite: MAKER.suite, manufacturerSecret: MAKER.secret, deviceSuite: a.id.suite, devicePublicKey: a.id.publicKey,
    firstKeyId: a.cycles[1]!.key.keyId, issuedAt: a.factory.issuedAt,
  });
  out.push(bad('the factory pinned another first key: CHAIN_FIRST_KEY', mutate(base, (c) => {
    const f = c.factory as Record<string, unknown>;
    f.firstKeyId = toHex(pinOther.firstKeyId);
    f.signature = toHex(pinOther.signature);
  }), 'CHAIN_FIRST_KEY'));

  // --- keys ----------------------------------------------------------------------------------------
  const c1only = a.chain(0);
  const dupChain: KeyChain = { ...c1only, keys: [c1only.keys[0]!, { publicKey: c1only.keys[0]!.publicKey, link: a.cycles[1]!.link }] };
  out.push(bad('C2 repeats C1\'s keyId: CHAIN_KEY_INVALID', a.bundle(a1, { chain: chainToJson(dupChain) }), 'CHAIN_KEY_INVALID'));
  const vOne = Uint8Array.from(a.cycles[1]!.key.bytes);
  vOne.fill(0, vOne.length - 256);
  vOne[vOne.length - 1] = 1;
  out.push(bad('C2 with V = 1: CHAIN_KEY_INVALID', a.bundle(a2, { chain: chainToJson(withLink(a.chain(1), 1, a.cycles[1]!.link, vOne)) }), 'CHAIN_KEY_INVALID'));
  out.push(bad('C1 truncated: CHAIN_FIRST_KEY (checked before C1 validates)', mutate(base, (c) => {
    const k0 = (c.keys as Record<string, string>[])[0]!;
    k0.publicKey = k0.publicKey!.slice(0, 100);
  }), 'CHAIN_FIRST_KEY'));
  // another device's key cycle, endorsed by this device's C1
  const other = await ChainDevice.create('other-device', { maker: MAKER, primeIdx: 1 });
  const alien = other.cycles[0]!.key;
  const alienLink: ChainLink = { kind: 'endorse', signature: a.endorsement(0, alien.keyId, a.end(0) - MIN) };
  out.push(bad('C2 of another device address: CHAIN_DEVICE', a.bundle(a1, { chain: chainToJson({ ...c1only, keys: [c1only.keys[0]!, { publicKey: alien.bytes, link: alienLink }] }) }), 'CHAIN_DEVICE'));

  // --- endorse links -------------------------------------------------------------------------------
  const e = await ChainDevice.create('endorse-cases', { maker: MAKER, primeIdx: 2 });
  const eNext = await e.keygen(e.end(), 2);
  const at = e.end() - 4n * MIN;
  const endorsed = async (sig: Uint8Array): Promise<Record<string, unknown>> => {
    const ch: KeyChain = { ...e.chain(0), keys: [...e.chain(0).keys, { publicKey: eNext.key.bytes, link: { kind: 'endorse', signature: sig } }] };
    e.cycles.splice(1);
    e.cycles.push({ key: eNext.key, state: eNext.state, link: { kind: 'endorse', signature: sig } });
    const s = await e.capture(e.end(0) + MIN, 1n, { j: 1 });
    return e.bundle(s, { chain: chainToJson(ch) });
  };
  out.push(ok('a clean endorsement (control)', await endorsed(e.endorsement(0, eNext.key.keyId, at)), at));
  out.push(bad('endorsement as block 2: CHAIN_ENDORSE_SIG', await endorsed(e.endorsement(0, eNext.key.keyId, at, { i: 2 })), 'CHAIN_ENDORSE_SIG'));
  out.push(bad('endorsement with seq 1: CHAIN_ENDORSE_SIG', await endorsed(e.endorsement(0, eNext.key.keyId, at, { seq: 1n })), 'CHAIN_ENDORSE_SIG'));
  out.push(bad('endorsement over another next keyId: CHAIN_ENDORSE_SIG', await endorsed(e.endorsement(0, new Uint8Array(32).fill(7), at)), 'CHAIN_ENDORSE_SIG'));
  const flipped = e.endorsement(0, eNext.key.keyId, at);
  flipped[flipped.length - 1]! ^= 1;
  out.push(bad('endorsement with a flipped byte: CHAIN_ENDORSE_SIG', await endorsed(flipped), 'CHAIN_ENDORSE_SIG'));
  out.push(bad('endorsement of the wrong length: CHAIN_ENDORSE_SIG', await endorsed(e.endorsement(0, eNext.key.keyId, at).subarray(1)), 'CHAIN_ENDORSE_SIG'));

  const early = await ChainDevice.create('endorse-early', { maker: MAKER, issuedAt: T0 + 5n * MIN });
  const earlyNext = await early.keygen(early.end(), 2);
  const before = T0 + 2n * MIN; // before issuedAt = validFrom(C1)
  early.cycles.push({ key: earlyNext.key, state: earlyNext.state, link: { kind: 'endorse', signature: early.endorsement(0, earlyNext.key.keyId, before) } });
  out.push(bad('endorsed before validFrom(C1) (issuedAt): CHAIN_ENDORSE_SIG', early.bundle(await early.capture(early.end(0) + MIN, 1n)), 'CHAIN_ENDORSE_SIG'));

  // --- restart links -------------------------------------------------------------------------------
  const r = await ChainDevice.create('restart-cases', { maker: MAKER });
  const rt0 = r.end() + 30n * MIN;
  await r.restartNext(rt0, [{ w: SERVER_A, seenAt: rt0 + 10n }]);
  const rcap = await r.capture(rt0 + 2n * MIN, 1n);
  const rLink = r.cycles[1]!.link as Extract<ChainLink, { kind: 'restart' }>;
  const rWith = (link: ChainLink): Record<string, unknown> => r.bundle(rcap, { chain: chainToJson(withLink(r.chain(1), 1, link)), raw: true });
  out.push(ok('a clean restart (control)', rWith(rLink), rt0 + 10n));
  out.push(bad('restart naming another prevKeyId: CHAIN_RESTART_SIG', rWith({ ...rLink, prevKeyId: new Uint8Array(32).fill(3) }), 'CHAIN_RESTART_SIG'));
  const rSig = Uint8Array.from(rLink.signature);
  rSig[5]! ^= 1;
  out.push(bad('restart signature flipped: CHAIN_RESTART_SIG', rWith({ ...rLink, signature: rSig }), 'CHAIN_RESTART_SIG'));
  out.push(bad('restart witnessed only by an untrusted server: CHAIN_WITNESS', rWith({ ...rLink, acks: [witnessAck(STRANGER, r.id.addr, r.cycles[1]!.key.keyId, rt0 + 10n)] }), 'CHAIN_WITNESS'));
  const badAck = witnessAck(SERVER_A, r.id.addr, r.cycles[1]!.key.keyId, rt0 + 10n);
  out.push(bad('a trusted ack over another seenAt: CHAIN_WITNESS', rWith({ ...rLink, acks: [{ ...badAck, seenAt: rt0 + 11n }] }), 'CHAIN_WITNESS'));
  out.push(bad('a trusted ack of another keyId: CHAIN_WITNESS', rWith({ ...rLink, acks: [witnessAck(SERVER_A, r.id.addr, new Uint8Array(32).fill(9), rt0 + 10n)] }), 'CHAIN_WITNESS'));
  out.push(bad('one good and one bad trusted ack: CHAIN_WITNESS', rWith({ ...rLink, acks: [badAck, { ...witnessAck(SERVER_B, r.id.addr, r.cycles[1]!.key.keyId, rt0 + 20n), seenAt: rt0 + 21n }] }), 'CHAIN_WITNESS'));
  const endC1 = r.end(0);
  out.push(bad('witnessed before C1 ended: CHAIN_RESTART_EARLY', rWith({ ...rLink, acks: [witnessAck(SERVER_A, r.id.addr, r.cycles[1]!.key.keyId, endC1 - 1n)] }), 'CHAIN_RESTART_EARLY'));
  out.push(ok('witnessed exactly at C1\'s end (S = t0 + T·Δ > last ms): valid', rWith({ ...rLink, acks: [witnessAck(SERVER_A, r.id.addr, r.cycles[1]!.key.keyId, endC1)] }), endC1));

  // --- the chain and the capture -------------------------------------------------------------------
  out.push(bad('the chain ends before the capture\'s cycle: CHAIN_KEYID', a.bundle(a2, { chain: chainToJson(a.chain(0)) }), 'CHAIN_KEYID'));
  const late = await ChainDevice.create('late-factory', { maker: MAKER, issuedAt: T0 + 10n * MIN });
  out.push(bad('a capture before issuedAt: CHAIN_BACKDATED', late.bundle(await late.capture(T0 + 3n * MIN, 1n)), 'CHAIN_BACKDATED'));

  // --- thefts --------------------------------------------------------------------------------------
  // 1. A thief copies C1's state in period m and endorses a cycle of its own whose t0 lies in the past.
  const v = await ChainDevice.create('theft-endorse', { maker: MAKER });
  const theft = T0 + 12n * MIN;
  const rogue = await v.keygen(T0 - 600n * MIN, 7);
  v.cycles.push({ key: rogue.key, state: rogue.state, link: { kind: 'endorse', signature: v.endorsement(0, rogue.key.keyId, theft) } });
  out.push(bad('thief: endorsed a cycle with t0 in the past (a capture "yesterday"): CHAIN_ENDORSE_SIG', v.bundle(await v.capture(T0 - 595n * MIN, 66n, { j: 1 })), 'CHAIN_ENDORSE_SIG'));
  // 2. A thief with the device key restarts the chain after C1 ended and gets a witness ack now; it back-dates a capture.
  const w = await ChainDevice.create('theft-restart', { maker: MAKER });
  const now = w.end() + 24n * 60n * MIN;
  await w.restartNext(w.end(), [{ w: SERVER_A, seenAt: now }]);
  out.push(bad('thief: restart witnessed now, capture dated before: CHAIN_BACKDATED', w.bundle(await w.capture(w.end(0) + 5n * MIN, 5n), { raw: true }), 'CHAIN_BACKDATED'));
  // 3. The same thief restarts while C1 still runs (before the device's cycle ended): CHAIN_RESTART_EARLY.
  const x = await ChainDevice.create('theft-restart-early', { maker: MAKER });
  const mid = T0 + 8n * MIN;
  await x.restartNext(mid, [{ w: SERVER_A, seenAt: mid + MIN }]);
  out.push(bad('thief: restart while C1 runs: CHAIN_RESTART_EARLY', x.bundle(await x.capture(mid + 2n * MIN, 5n, { j: 1 }), { raw: true }), 'CHAIN_RESTART_EARLY'));

  // 4. A thief with C1's key state but not the device key signs the header with a key of its own.
  const y = await ChainDevice.create('theft-state-only', { maker: MAKER });
  //    The block signatures are genuine; the header signature and device key are the thief's.
  const ys = await y.capture(T0 + 9n * MIN, 9n, { j: 0 });
  const yForged = { ...ys, devicePublicKey: STRANGER.publicKey, deviceAddr: STRANGER.addr, headerSignature: signHeader(STRANGER.suite, STRANGER.secret, ys.header, ys.headerDigest) };
  out.push(bad('thief with the key state only: header signed by its own device key: DEVICE_ADDR_MISMATCH (the cycle names the real device)', y.bundle(yForged), 'DEVICE_ADDR_MISMATCH'));
  // 5. A thief with both, at period m: endorses a cycle of its own starting then; its captures from then on
  //    verify (forward security protects the past, not the future), nothing before the theft does (cases 1–3).
  const z = await ChainDevice.create('theft-both', { maker: MAKER });
  const stolenAt = T0 + 6n * MIN;
  await z.endorseNext(stolenAt, { t0: stolenAt });
  out.push(ok('thief with both at period m: a cycle endorsed at m verifies from m on (what forward security cannot stop)', z.bundle(await z.capture(stolenAt + 2n * MIN, 2n, { j: 1 })), stolenAt));

  // --- forks (verified together) -------------------------------------------------------------------
  const f = await ChainDevice.create('fork', { maker: MAKER });
  const fc1 = f.bundle(await f.capture(T0 + 3n * MIN, 3n, { j: 0 }));
  const fe = T0 + 10n * MIN;
  const genuine = await f.keygen(f.end(), 2);
  const stolen = await f.keygen(f.end(), 3);
  const sigG = f.endorsement(0, genuine.key.keyId, fe);
  const sigS = f.endorsement(0, stolen.key.keyId, fe + MIN);
  f.cycles.push({ key: genuine.key, state: genuine.state, link: { kind: 'endorse', signature: sigG } });
  const fg = f.bundle(await f.capture(f.end(0) + MIN, 1n, { j: 1 }));
  f.cycles[1] = { key: stolen.key, state: stolen.state, link: { kind: 'endorse', signature: sigS } };
  const fs = f.bundle(await f.capture(f.end(0) + 2n * MIN, 2n, { j: 1 }));
  out.push(bad('fork: the genuine successor', fg, 'CHAIN_FORK', { group: 'fork' }));
  out.push(bad('fork: a second successor of the same keyId', fs, 'CHAIN_FORK', { group: 'fork' }));
  out.push(ok('fork: a capture of C1 itself is not affected', fc1, T0 + 1000n, { group: 'fork' }));
  out.push(ok('the genuine successor alone (no second bundle): valid', fg, fe));
  return out;
}

/** The JSON of one case (integers per the Appendix rule). */
export function caseToJson(c: ChainCase): Record<string, unknown> {
  const u = (x: bigint): number | string => (x < 1n << 53n ? Number(x) : x.toString(16));
  const trust = c.trust === undefined ? {} : { trust: c.trust === null ? null : trustJson(c.trust) };
  return {
    label: c.label, bundle: c.bundle, ...trust, ...(c.minWitnesses !== undefined ? { minWitnesses: c.minWitnesses } : {}),
    ...(c.group !== undefined ? { group: c.group } : {}),
    valid: c.valid, reason: c.reason, origin: c.origin, validFrom: c.validFrom === null ? null : u(c.validFrom),
  };
}

/** Trust anchors as JSON (the `--trust` file form). */
export function trustJson(t: ReturnType<typeof trustOf>): Record<string, unknown> {
  const l = (x: readonly { suite: number; publicKey: Uint8Array }[]): unknown[] => x.map((k) => ({ suite: k.suite, publicKey: toHex(k.publicKey) }));
  return { manufacturers: l(t.manufacturers), witnesses: l(t.witnesses) };
}

export type { Ident };
