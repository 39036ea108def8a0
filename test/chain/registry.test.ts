/**
 * The receiving side of the key chain (SCHEME.md §7 v1.1 "Registration"),
 * as the storage server and the receiver both run it (src/peer/key-registry.ts
 * over src/chain/book.ts): continuing from the last acknowledged keyId,
 * validFrom per cycle, witnessing restarts with seenAt = now, REG_FORK kept as
 * evidence, REG_RESTART_EARLY, REG_EXPIRED only for the newest cycle, durable
 * chains that survive a reopen, acks v2 with the first seenAt — and hostile
 * registrations at their extremes, which only ever get coded answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeKeyRegistration, encodeKeyRegistration, type KeyRegistration } from '../../src/chain/registration.js';
import { decodeRecord } from '../../src/ledger/record-codec.js';
import { verifyRecord } from '../../src/ledger/records.js';
import { concat, toHex, u16, u32, u64 } from '../../src/platform/bytes.js';
import { KeyRegistry, type RegistrationOutcome } from '../../src/peer/key-registry.js';
import { ChainDevice, ident, T0, type Ident } from '../helpers/chain.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const MIN = 60_000n;
const MAKER = ident('reg-maker');
const SERVER = ident('reg-server');
const OTHER_SERVER = ident('reg-other-server', 2);

async function registry(dir: string, o: { witnesses?: Ident[] } = {}): Promise<KeyRegistry> {
  return KeyRegistry.open(dir, {
    identity: SERVER, trustedManufacturers: [{ suite: MAKER.suite, publicKey: MAKER.publicKey }],
    trustedWitnesses: (o.witnesses ?? []).map((w) => ({ suite: w.suite, publicKey: w.publicKey })),
  });
}

function ackOf(r: RegistrationOutcome): { keyId: string; seenAt: bigint } {
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.message}`);
  const a = decodeRecord(r.ack);
  assert.equal(a.kind, 'ack');
  if (a.kind !== 'ack') throw new Error('not an ack');
  assert.equal(verifyRecord(a), null);
  assert.equal(toHex(a.serverPublicKey), toHex(SERVER.publicKey));
  return { keyId: toHex(a.keyId), seenAt: a.seenAt };
}

const reason = (r: RegistrationOutcome): string => (r.ok ? 'ok' : r.reason);
const hexId = (d: ChainDevice, j: number): string => toHex(d.cycles[j]!.key.keyId);

describe('key registry: the §7 registration rules', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('sealcam-registry-');
  });
  after(() => removeDir(dir));

  it('accepts C1 with the factory record, then endorsed successors from the last acknowledged keyId; validFrom per cycle', async () => {
    const d = await ChainDevice.create('reg-a', { maker: MAKER });
    const r = await registry(join(dir, 'a'));
    const now = T0 + 2n * MIN;
    const a1 = ackOf(await r.register(d.registration(), now, d.id.addr));
    assert.deepEqual(a1, { keyId: hexId(d, 0), seenAt: now });
    assert.equal(r.cycle(toHex(d.id.addr), hexId(d, 0))!.validFrom, d.factory.issuedAt);
    // the same again: acknowledged with the FIRST seenAt, nothing added
    const again = await r.register(d.registration(), now + 5000n, d.id.addr);
    assert.deepEqual(ackOf(again), a1);
    assert.equal(again.ok && again.added, 0);
    const e = T0 + 9n * MIN;
    await d.endorseNext(e);
    // from C1 (the peer acknowledged it): only C2 travels
    const a2 = ackOf(await r.register(d.registration(hexId(d, 0)), T0 + 10n * MIN, d.id.addr));
    assert.equal(a2.keyId, hexId(d, 1));
    assert.equal(r.cycle(toHex(d.id.addr), hexId(d, 1))!.validFrom, e);
    // from the start again (a device that lost the ack): everything held is matched, nothing added
    const full = await r.register(d.registration(null), T0 + 11n * MIN, d.id.addr);
    assert.equal(full.ok && full.added, 0);
    // durable: a reopened registry holds the same chain and validFrom
    const r2 = await registry(join(dir, 'a'));
    assert.equal(r2.cycle(toHex(d.id.addr), hexId(d, 1))!.validFrom, e);
    assert.equal(r2.device(toHex(d.id.addr))!.cycles.length, 2);
  });

  it('refuses what does not continue, another device, an untrusted maker, another first key, a bad endorsement', async () => {
    const d = await ChainDevice.create('reg-b', { maker: MAKER });
    await d.endorseNext(T0 + 9n * MIN);
    const r = await registry(join(dir, 'b'));
    const now = T0 + 10n * MIN;
    assert.equal(reason(await r.register(d.registration(hexId(d, 0)), now, d.id.addr)), 'REG_CHAIN', 'continues a cycle the peer does not hold');
    assert.equal(reason(await r.register(d.registration(), now, new Uint8Array(20))), 'DEVICE_MISMATCH', 'not the session\'s device');
    const rogue = await ChainDevice.create('reg-b', { maker: ident('rogue maker') });
    assert.equal(reason(await r.register(rogue.registration(), now, rogue.id.addr)), 'REG_MANUFACTURER_UNTRUSTED');
    const m = decodeKeyRegistration(d.registration());
    const swapped: KeyRegistration = { ...m, keys: [m.keys[1]!, ...m.keys.slice(2)].map((k, j) => (j === 0 ? { ...k, link: null } : k)) };
    assert.equal(reason(await r.register(encodeKeyRegistration(swapped), now, d.id.addr)), 'REG_FIRST_KEY');
    const sig = (m.keys[1]!.link as { signature: Uint8Array }).signature.slice();
    sig[sig.length - 1]! ^= 1;
    const badLink = { ...m, keys: [m.keys[0]!, { ...m.keys[1]!, link: { kind: 'endorse' as const, signature: sig } }] };
    assert.equal(reason(await r.register(encodeKeyRegistration(badLink), now, d.id.addr)), 'REG_ENDORSE_SIGNATURE');
    assert.equal(r.device(toHex(d.id.addr)), undefined, 'nothing of a refused registration is kept');
    assert.equal(reason(await r.register(d.registration(), now, d.id.addr)), 'ok');
  });

  it('REG_FORK: a second successor of a held keyId is refused and kept as evidence (a thief with C1\'s stolen state)', async () => {
    const d = await ChainDevice.create('reg-c', { maker: MAKER });
    const thief = await ChainDevice.create('reg-c', { maker: MAKER });
    await d.endorseNext(T0 + 9n * MIN);
    const r = await registry(join(dir, 'c'));
    ackOf(await r.register(d.registration(), T0 + 10n * MIN, d.id.addr));
    // the thief holds C1's state from period 12 and endorses its own successor
    const own = await thief.keygen(thief.end(), 99);
    thief.cycles.push({ key: own.key, state: own.state, link: { kind: 'endorse', signature: thief.endorsement(0, own.key.keyId, T0 + 12n * MIN) } });
    assert.equal(reason(await r.register(thief.registration(hexId(d, 0)), T0 + 13n * MIN, d.id.addr)), 'REG_FORK');
    assert.equal(reason(await r.register(thief.registration(), T0 + 13n * MIN, d.id.addr)), 'REG_FORK', 'from C1 as well');
    assert.equal(r.forks, 2);
    const evidence = await readdir(join(dir, 'c', 'forks'));
    assert.equal(evidence.length, 2);
    assert.ok(evidence.every((f) => f.startsWith(toHex(d.id.addr))));
    assert.equal(r.device(toHex(d.id.addr))!.cycles.length, 2, 'the genuine chain is unchanged');
  });

  it('restart: witnessed by this peer at now (validFrom = now), REG_RESTART_EARLY before the held cycle ended', async () => {
    const d = await ChainDevice.create('reg-d', { maker: MAKER });
    const r = await registry(join(dir, 'd'));
    ackOf(await r.register(d.registration(), T0 + MIN, d.id.addr));
    const t0 = d.end() + 30n * MIN;
    await d.restartNext(t0, []);
    // a restart while C1 has not ended (the peer's clock): refused
    assert.equal(reason(await r.register(d.registration(hexId(d, 0)), d.end(0) - 1n, d.id.addr)), 'REG_RESTART_EARLY');
    const now = t0 + 5000n;
    const ack = ackOf(await r.register(d.registration(hexId(d, 0)), now, d.id.addr));
    assert.deepEqual(ack, { keyId: hexId(d, 1), seenAt: now });
    assert.equal(r.cycle(toHex(d.id.addr), hexId(d, 1))!.validFrom, now, 'counts from this witness');
  });

  it('restart: acknowledgements carried from trusted witnesses do not lower S below now; a bad trusted one is REG_WITNESS', async () => {
    const d = await ChainDevice.create('reg-e', { maker: MAKER });
    const r = await registry(join(dir, 'e'), { witnesses: [OTHER_SERVER] });
    ackOf(await r.register(d.registration(), T0 + MIN, d.id.addr));
    const t0 = d.end() + MIN;
    await d.restartNext(t0, [{ w: OTHER_SERVER, seenAt: t0 + 100n }]);
    const m = decodeKeyRegistration(d.registration(hexId(d, 0)));
    const link = m.keys[0]!.link as Extract<NonNullable<typeof m.keys[0]['link']>, { kind: 'restart' }>;
    const forged = { ...m, keys: [{ ...m.keys[0]!, link: { ...link, acks: [{ ...link.acks[0]!, seenAt: t0 + 1n }] } }] };
    assert.equal(reason(await r.register(encodeKeyRegistration(forged), t0 + MIN, d.id.addr)), 'REG_WITNESS');
    const now = t0 + 2n * MIN;
    ackOf(await r.register(d.registration(hexId(d, 0)), now, d.id.addr));
    assert.equal(r.cycle(toHex(d.id.addr), hexId(d, 1))!.validFrom, now);
  });

  it('REG_EXPIRED only for the newest cycle: a peer away for a whole cycle still learns the chain through it', async () => {
    const d = await ChainDevice.create('reg-f', { maker: MAKER });
    await d.endorseNext(T0 + 9n * MIN);
    await d.endorseNext(d.end(1) - 3n * MIN);
    const r = await registry(join(dir, 'f'));
    // now is in C3: C1 and C2 have ended, they are links only
    const now = d.end(1) + MIN;
    const a = ackOf(await r.register(d.registration(), now, d.id.addr));
    assert.equal(a.keyId, hexId(d, 2));
    assert.equal(r.device(toHex(d.id.addr))!.cycles.length, 3);
    // a chain whose newest cycle has ended is refused
    const late = await ChainDevice.create('reg-g', { maker: MAKER });
    assert.equal(reason(await r.register(late.registration(), late.end() + 1n, late.id.addr)), 'REG_EXPIRED');
  });

  it('hostile registrations at every field\'s extremes get coded answers, never exceptions', async () => {
    const d = await ChainDevice.create('reg-fuzz', { maker: MAKER });
    await d.endorseNext(T0 + 9n * MIN);
    const r = await registry(join(dir, 'fuzz'));
    const valid = d.registration();
    const pk = d.cycles[1]!.key.bytes;
    // FsPublicKey with t0 + T·Δ > 2^64 − 1, n = 0 / 65535, T = 0 / 2^32−1, Δ = 0: the registry must code them all
    const extremes: Uint8Array[] = [];
    const patch = (off: number, bytes: Uint8Array): Uint8Array => {
      const b = pk.slice();
      b.set(bytes, off);
      return b;
    };
    for (const b of [
      patch(13, u64((1n << 64n) - 1n)), patch(9, u32(0xffffffff)), patch(9, u32(0)), patch(21, u32(0)), patch(21, u32(0xffffffff)),
      patch(7, u16(0)), patch(7, u16(0xffff)), patch(5, u16(4096)), pk.subarray(0, 10), patch(0, Uint8Array.of(0, 0, 0, 0)),
    ]) {
      const m = decodeKeyRegistration(valid);
      extremes.push(encodeKeyRegistration({ ...m, keys: [m.keys[0]!, { ...m.keys[1]!, publicKey: b }] }));
      extremes.push(encodeKeyRegistration({ ...m, keys: [{ publicKey: b, link: null }] }));
    }
    const m = decodeKeyRegistration(valid);
    extremes.push(encodeKeyRegistration({ ...m, factory: { ...m.factory, issuedAt: (1n << 64n) - 1n } }));
    extremes.push(encodeKeyRegistration({ ...m, after: new Uint8Array(32).fill(0xff), keys: [{ ...m.keys[1]! }] }));
    extremes.push(encodeKeyRegistration({ ...m, keys: [m.keys[0]!, { ...m.keys[1]!, link: { kind: 'endorse', signature: new Uint8Array(1) } }] }));
    extremes.push(encodeKeyRegistration({
      ...m, keys: [m.keys[0]!, { ...m.keys[1]!, link: { kind: 'restart', prevKeyId: new Uint8Array(32), signature: new Uint8Array(64),
        acks: Array.from({ length: 64 }, () => ({ suite: 2 as const, serverPublicKey: concat(Uint8Array.of(4), new Uint8Array(64).fill(0xff)), seenAt: (1n << 64n) - 1n, signature: new Uint8Array(64) })) } }],
    }));
    for (const bytes of extremes) {
      const out = await r.register(bytes, T0 + 10n * MIN, d.id.addr);
      assert.equal(out.ok, false);
      if (!out.ok) assert.match(out.reason, /^(REG_[A-Z_]+|DEVICE_[A-Z_]+)$/);
    }
    // random mutations of a valid message: coded or accepted, never thrown
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: -3, max: 3 }), async (at, x, cut) => {
      const b = valid.slice(0, Math.max(1, valid.length + (cut < 0 ? cut : 0)));
      if (at < b.length) b[at]! ^= x;
      const out = await r.register(cut > 0 ? concat(b, new Uint8Array(cut)) : b, T0 + 10n * MIN, d.id.addr);
      if (!out.ok) assert.match(out.reason, /^(REG_[A-Z_]+|DEVICE_[A-Z_]+)$/);
    }), { numRuns: 300 });
  });
});
