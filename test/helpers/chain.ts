/**
 * Test devices with key chains (SCHEME.md §7 v1.1), built from the real
 * components: fixture safe primes (k = 2048), FsKeyState endorsements,
 * device-signed restarts, witness acks, factory records v2, registration
 * messages and bundles. Deterministic (SeededRng, RFC 6979) so vectors made
 * with it reproduce. Test-only: keys here are public.
 */
import { readFileSync } from 'node:fs';
import { bundleToJson } from '../../src/dstp/bundle.js';
import { signCapture, type SignedCapture } from './sign.js';
import { chainForCapture, endorseDigest, type ChainAck, type ChainKey, type ChainLink, type KeyChain } from '../../src/chain/links.js';
import { chainToJson } from '../../src/chain/json.js';
import { encodeKeyRegistration } from '../../src/chain/registration.js';
import { addressOf, ecdsaPublicKey, ecdsaSign, type Suite } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { ackMessage, restartMessage } from '../../src/ledger/messages.js';
import { signFactoryRecord } from '../../src/ledger/records.js';
import type { FactoryRecord } from '../../src/ledger/record-spec.js';
import { equalBytes, fromHex, toHex, utf8 } from '../../src/platform/bytes.js';
import { SeededRng } from '../../src/platform/rng.js';
import { generateKeyCycle, periodOf, type FsKeyState, type FsPublicKey, type ModulusBits } from '../../src/scheme/index.js';

/** 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600_000n;
export const DELTA = 60_000;

const fixture = JSON.parse(readFileSync(new URL('../fixtures/safe-primes.json', import.meta.url), 'utf8')) as {
  pairs: Record<string, { P: string; Q: string }[]>;
};

/** A deterministic ECDSA identity (test-only: the secret is derived from a label). */
export interface Ident {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly addr: Uint8Array;
}

/** Identity of `label` on `suite`. */
export function ident(label: string, suite: Suite = 1): Ident {
  const secret = sha256(utf8(`sealcam chain test/${label}`));
  const publicKey = ecdsaPublicKey(suite, secret);
  return { suite, secret, publicKey, addr: addressOf(suite, publicKey) };
}

/** A witness acknowledgement of `keyId` of device `deviceAddr` by `w` at seenAt. */
export function witnessAck(w: Ident, deviceAddr: Uint8Array, keyId: Uint8Array, seenAt: bigint): ChainAck {
  const sig = ecdsaSign(w.suite, w.secret, ackMessage(w.addr, deviceAddr, keyId, seenAt));
  return { suite: w.suite, serverPublicKey: w.publicKey, seenAt, signature: sig };
}

/** One cycle of a test chain. */
export interface TestCycle {
  readonly key: FsPublicKey;
  readonly state: FsKeyState;
  link: ChainLink | null;
}

/** Options of {@link ChainDevice.create}. */
export interface ChainDeviceOptions {
  readonly suite?: Suite;
  readonly maker?: Ident;
  readonly k?: ModulusBits;
  readonly n?: number;
  readonly T?: number;
  readonly delta?: number;
  /** t0 of C₁ (default T0). */
  readonly t0?: bigint;
  /** The factory's issuedAt (default t0 + 1 s). */
  readonly issuedAt?: bigint;
  readonly primeIdx?: number;
}

/** A device with a key chain, built step by step as a real one would be (or a thief, when told to). */
export class ChainDevice {
  readonly cycles: TestCycle[] = [];
  factory!: FactoryRecord;
  private readonly rng: SeededRng;

  private constructor(readonly label: string, readonly id: Ident, readonly maker: Ident, readonly o: Required<Omit<ChainDeviceOptions, 'maker' | 'suite'>>) {
    this.rng = new SeededRng(`${label}/sign`);
  }

  /** A device with C₁ and its factory record. */
  static async create(label: string, o: ChainDeviceOptions = {}): Promise<ChainDevice> {
    const t0 = o.t0 ?? T0;
    const d = new ChainDevice(label, ident(label, o.suite ?? 1), o.maker ?? ident('maker'), {
      k: o.k ?? 2048, n: o.n ?? 4, T: o.T ?? 16, delta: o.delta ?? DELTA, t0, issuedAt: o.issuedAt ?? t0 + 1000n, primeIdx: o.primeIdx ?? 0,
    });
    const c1 = await d.keygen(t0, 1);
    d.cycles.push({ ...c1, link: null });
    d.factory = signFactoryRecord({
      manufacturerSuite: d.maker.suite, manufacturerSecret: d.maker.secret, deviceSuite: d.id.suite, devicePublicKey: d.id.publicKey,
      firstKeyId: c1.key.keyId, issuedAt: d.o.issuedAt,
    });
    return d;
  }

  /** Generates a cycle starting at t0 (fixture primes; the seed comes from the label and index). */
  async keygen(t0: bigint, j: number, deviceAddr = this.id.addr): Promise<{ key: FsPublicKey; state: FsKeyState }> {
    const p = fixture.pairs[String(this.o.k)]![(this.o.primeIdx + j) % fixture.pairs[String(this.o.k)]!.length]!;
    const { publicKey, state } = await generateKeyCycle(
      { k: this.o.k, n: this.o.n, T: this.o.T, t0, delta: this.o.delta, deviceAddr },
      { primes: { P: BigInt('0x' + p.P), Q: BigInt('0x' + p.Q) }, rng: new SeededRng(`${this.label}/keygen/${j}/${t0}`), worker: false },
    );
    return { key: publicKey, state };
  }

  /** The newest cycle. */
  get last(): TestCycle {
    return this.cycles[this.cycles.length - 1]!;
  }

  /** End of cycle j (0-based), exclusive. */
  end(j = this.cycles.length - 1): bigint {
    const k = this.cycles[j]!.key;
    return k.t0 + BigInt(k.T) * BigInt(k.delta);
  }

  /** Seeks cycle j's state to the period of ts (forward only). */
  seek(j: number, ts: bigint): void {
    const c = this.cycles[j]!;
    const m = periodOf(c.key, ts);
    if (m === null) throw new RangeError(`ts ${ts} is outside cycle ${j + 1}`);
    if (m > c.state.period) c.state.seek(m);
  }

  /** An endorsement signature by cycle `by` (0-based) of `next`, at ts (the state is moved to ts first). */
  endorsement(by: number, next: Uint8Array, ts: bigint, o: { i?: number; seq?: bigint } = {}): Uint8Array {
    this.seek(by, ts);
    const c = this.cycles[by]!;
    return c.state.sign(o.i ?? 1, ts, o.seq ?? 0n, endorseDigest(c.key.keyId, next), this.rng);
  }

  /** Adds the next cycle (t0 = end of the newest, unless given), endorsed by the newest at `at`. */
  async endorseNext(at: bigint, o: { t0?: bigint } = {}): Promise<TestCycle> {
    const t0 = o.t0 ?? this.end();
    const { key, state } = await this.keygen(t0, this.cycles.length + 1);
    const c: TestCycle = { key, state, link: { kind: 'endorse', signature: this.endorsement(this.cycles.length - 1, key.keyId, at) } };
    this.cycles.push(c);
    return c;
  }

  /** Adds a restarted cycle at t0 after the newest, with the given witness acks (by `witnesses` at `seenAt`). */
  async restartNext(t0: bigint, acks: readonly { w: Ident; seenAt: bigint }[]): Promise<TestCycle> {
    const { key, state } = await this.keygen(t0, this.cycles.length + 1);
    const prevKeyId = this.last.key.keyId;
    const link: ChainLink = {
      kind: 'restart', prevKeyId, signature: ecdsaSign(this.id.suite, this.id.secret, restartMessage(this.id.addr, prevKeyId, key.keyId)),
      acks: acks.map((a) => witnessAck(a.w, this.id.addr, key.keyId, a.seenAt)),
    };
    const c: TestCycle = { key, state, link };
    this.cycles.push(c);
    return c;
  }

  /** The chain C₁ … C_{upTo+1}. */
  chain(upTo = this.cycles.length - 1): KeyChain {
    return {
      manufacturer: { suite: this.maker.suite, publicKey: this.maker.publicKey },
      factory: { firstKeyId: this.factory.firstKeyId, issuedAt: this.factory.issuedAt, signature: this.factory.signature },
      keys: this.cycles.slice(0, upTo + 1).map((c): ChainKey => ({ publicKey: c.key.bytes, link: c.link })),
    };
  }

  /** Registration message: the keys after `after` (hex keyId; null = from C₁) up to cycle `upTo` (0-based). */
  registration(after: string | null = null, upTo = this.cycles.length - 1): Uint8Array {
    const start = after === null ? 0 : this.cycles.findIndex((c) => toHex(c.key.keyId) === after) + 1;
    const ch = this.chain(upTo);
    return encodeKeyRegistration({
      suite: this.id.suite, devicePublicKey: this.id.publicKey, manufacturer: ch.manufacturer, factory: ch.factory,
      after: after === null ? new Uint8Array(32) : fromHex(after), keys: ch.keys.slice(start),
    });
  }

  /** Signs a capture at ts with cycle j (0-based; default: the one covering ts), moving its state to ts (raw content unless told). */
  capture(ts: bigint, seq: bigint, o: { j?: number; bytes?: Uint8Array; blocks?: number; prev?: Uint8Array; manufacturerAddr?: Uint8Array; contentType?: 1 | 2 | 3; ownerAddr?: Uint8Array } = {}): Promise<SignedCapture> {
    const j = o.j ?? this.cycles.findIndex((c) => periodOf(c.key, ts) !== null);
    if (j < 0) throw new RangeError(`no cycle covers ts ${ts}`);
    this.seek(j, ts);
    const c = this.cycles[j]!;
    const data = o.bytes ?? new SeededRng(`capture/${this.label}/${seq}`).bytes(3000);
    const blocks = Math.min(o.blocks ?? 2, c.key.n);
    const size = Math.ceil(data.length / blocks);
    const split = { blocks: Array.from({ length: Math.ceil(data.length / size) }, (_, k) => ({ off: k * size, len: Math.min(size, data.length - k * size) })) };
    return signCapture({
      capture: data, ts, seq, mode: 1, contentType: o.contentType ?? 3, manufacturerAddr: o.manufacturerAddr ?? this.maker.addr, ownerAddr: o.ownerAddr ?? new Uint8Array(20),
      suite: this.id.suite, deviceSecret: this.id.secret, prevHeaderDigest: o.prev ?? new Uint8Array(32), split,
      fsKey: { publicKey: c.key, sign: (i, t, s, d) => c.state.sign(i, t, s, d, this.rng) },
    });
  }

  /** The bundle JSON of a capture with its chain (C₁ up to the capture's cycle; acks limited for ts unless `raw`). */
  bundle(s: SignedCapture, o: { chain?: KeyChain | Record<string, unknown> | null; raw?: boolean } = {}): Record<string, unknown> {
    const j = this.cycles.findIndex((c) => equalBytes(c.key.bytes, s.publicKey));
    const ts = new DataView(s.header.buffer, s.header.byteOffset).getBigUint64(8);
    let chain: Record<string, unknown> | undefined;
    if (o.chain === null) chain = undefined;
    else if (o.chain !== undefined && !('keys' in o.chain && Array.isArray((o.chain as KeyChain).keys) && (o.chain as KeyChain).keys[0]?.publicKey instanceof Uint8Array)) chain = o.chain as Record<string, unknown>;
    else {
      const ch = (o.chain as KeyChain | undefined) ?? this.chain(j);
      chain = chainToJson(o.raw === true ? ch : chainForCapture(ch, ts));
    }
    return bundleToJson({ ...s, ...(chain !== undefined ? { chain } : {}) });
  }
}

/** Trust anchors for tests. */
export function trustOf(makers: readonly Ident[], witnesses: readonly Ident[] = []): { manufacturers: { suite: Suite; publicKey: Uint8Array }[]; witnesses: { suite: Suite; publicKey: Uint8Array }[] } {
  return {
    manufacturers: makers.map((m) => ({ suite: m.suite, publicKey: m.publicKey })),
    witnesses: witnesses.map((w) => ({ suite: w.suite, publicKey: w.publicKey })),
  };
}
