/**
 * Test device built from the real pieces: ECDSA identity (src/crypto), leave-factory
 * and registration records (src/ledger), IR-n key cycles from the PUBLIC TEST-ONLY
 * fixture safe primes (src/scheme, k = 2048, small T), signed captures (src/dstp),
 * and the device side of the session protocol over any Connection (src/transport).
 */
import { readFileSync } from 'node:fs';
import { ecdsaPublicKey, type Suite } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { signCapture, type SignedCapture } from '../helpers/sign.js';
import { dstpAddress, signHeader } from '../../src/dstp/header-sign.js';
import { blockDigest } from '../../src/dstp/digest.js';
import { encodeHeader, headerDigest } from '../../src/dstp/header.js';
import { merkleLeaf, merkleProofs } from '../../src/dstp/merkle.js';
import { splitCapture } from '../../src/dstp/split.js';
import { endorseDigest } from '../../src/chain/links.js';
import { encodeKeyRegistration } from '../../src/chain/registration.js';
import { signFactoryRecord, type FactoryRecord } from '../../src/ledger/index.js';
import { utf8 } from '../../src/platform/bytes.js';
import { SeededRng } from '../../src/platform/rng.js';
import { generateKeyCycle, type FsKeyState, type FsPublicKey } from '../../src/scheme/index.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type AckMessage, type BlockMessage, type Message } from '../../src/transport/messages.js';
import type { Connection } from '../../src/transport/transport.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/safe-primes.json', import.meta.url), 'utf8')) as {
  pairs: Record<string, { P: string; Q: string }[]>;
};

/** A deterministic 32-byte ECDSA secret from a label. */
export function secretOf(label: string): Uint8Array {
  return sha256(utf8(`sealcam receiver test/${label}`));
}

/** One key cycle of a simulated device. */
export interface SimCycle {
  readonly publicKey: FsPublicKey;
  readonly state: FsKeyState;
  readonly rng: SeededRng;
}

/** Parameters of a simulated device. */
export interface SimOptions {
  readonly t0: bigint;
  readonly T?: number;
  readonly n?: number;
  readonly delta?: number;
  readonly cycles?: number;
  readonly suite?: Suite;
  readonly manufacturerLabel?: string;
  readonly primeIndex?: number;
}

/** A simulated device. */
export class SimDevice {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly addr: Uint8Array;
  readonly manufacturer: { suite: Suite; secret: Uint8Array; publicKey: Uint8Array };
  factory!: FactoryRecord;
  cycles: SimCycle[] = [];
  /** Endorsement of cycle j by cycle j − 1 (signed in cycle j − 1's first period, at its t0). */
  endorsements: Uint8Array[] = [];
  /** headerDigest of the last capture made by {@link capture} (zeros before the first). */
  prev: Uint8Array = new Uint8Array(32);

  constructor(readonly label: string, readonly o: SimOptions) {
    this.suite = o.suite ?? 1;
    this.secret = secretOf(`${label}/device`);
    this.publicKey = ecdsaPublicKey(this.suite, this.secret);
    this.addr = dstpAddress(this.suite, this.publicKey);
    const ms = secretOf(o.manufacturerLabel ?? 'manufacturer');
    this.manufacturer = { suite: 1, secret: ms, publicKey: ecdsaPublicKey(1, ms) };
  }

  /** Generates the key cycles (cycle j starts at t0 + j·T·Δ), each endorsed by its predecessor, and the factory record pinning C₁ (issuedAt = t0). */
  async init(): Promise<this> {
    const T = this.o.T ?? 16;
    const delta = this.o.delta ?? 60_000;
    for (let j = 0; j < (this.o.cycles ?? 1); j++) {
      const pr = fixture.pairs['2048']![(this.o.primeIndex ?? 0) + j]!;
      const { publicKey, state } = await generateKeyCycle(
        { k: 2048, n: this.o.n ?? 4, T, t0: this.o.t0 + BigInt(j * T * delta), delta, deviceAddr: this.addr },
        { primes: { P: BigInt('0x' + pr.P), Q: BigInt('0x' + pr.Q) }, rng: new SeededRng(`${this.label}/keygen/${j}`), worker: false },
      );
      const prev = this.cycles[j - 1];
      this.cycles.push({ publicKey, state, rng: new SeededRng(`${this.label}/sign/${j}`) });
      this.endorsements.push(prev === undefined ? new Uint8Array(0)
        : prev.state.sign(1, prev.publicKey.t0, 0n, endorseDigest(prev.publicKey.keyId, publicKey.keyId), prev.rng));
    }
    const ms = this.manufacturer.secret;
    this.factory = signFactoryRecord({
      manufacturerSuite: 1, manufacturerSecret: ms, deviceSuite: this.suite, devicePublicKey: this.publicKey,
      firstKeyId: this.cycles[0]!.publicKey.keyId, issuedAt: this.o.t0,
    });
    return this;
  }

  /**
   * REG payload carrying cycle j after cycle j − 1 (`after`; from C₁ for j = 0), or with `from`,
   * cycles from..j after cycle from − 1.
   */
  registration(j: number, o: { from?: number; factory?: FactoryRecord } = {}): Uint8Array {
    const from = o.from ?? j;
    const f = o.factory ?? this.factory;
    return encodeKeyRegistration({
      suite: this.suite, devicePublicKey: this.publicKey, manufacturer: { suite: f.manufacturerSuite, publicKey: f.manufacturerPublicKey },
      factory: { firstKeyId: f.firstKeyId, issuedAt: f.issuedAt, signature: f.signature },
      after: from === 0 ? new Uint8Array(32) : this.cycles[from - 1]!.publicKey.keyId,
      keys: this.cycles.slice(from, j + 1).map((c, k) => ({
        publicKey: c.publicKey.bytes, link: from + k === 0 ? null : { kind: 'endorse' as const, signature: this.endorsements[from + k]! },
      })),
    });
  }

  /**
   * Signs capture `seq` with cycle `cycle` (default 0) at ts = t0 + seq (period 1) into `blocks`
   * blocks; chains prevHeaderDigest unless `prev` is given (then the chain is not advanced).
   */
  async capture(seq: bigint, bytes: Uint8Array, opts: { cycle?: number; blocks?: number; prev?: Uint8Array; contentType?: 1 | 2 | 3; ownerAddr?: Uint8Array } = {}): Promise<SignedCapture> {
    const c = this.cycles[opts.cycle ?? 0]!;
    const ts = c.publicKey.t0 + seq;
    const s = await signCapture({
      capture: bytes, ts, seq, mode: opts.contentType === 2 ? 2 : 1, contentType: opts.contentType ?? 1,
      manufacturerAddr: dstpAddress(1, this.manufacturer.publicKey), ownerAddr: opts.ownerAddr ?? new Uint8Array(20),
      suite: this.suite, deviceSecret: this.secret, prevHeaderDigest: opts.prev ?? this.prev,
      split: splitCapture(bytes.length, c.publicKey.n, Array.from({ length: opts.blocks ?? 3 }, () => ({}))),
      fsKey: { publicKey: c.publicKey, sign: (i, t, q, d) => c.state.sign(i, t, q, d, c.rng) },
    });
    if (opts.prev === undefined) this.prev = s.headerDigest;
    return s;
  }
}

/** Deterministic capture bytes (a fake JPEG: SOI marker first). */
export function captureBytes(label: string, length: number): Uint8Array {
  const b = new SeededRng(`capture/${label}`).bytes(length);
  b[0] = 0xff;
  b[1] = 0xd8;
  return b;
}

/** The BLOCK messages of a signed capture, in index order. */
export function blockMessages(s: SignedCapture): BlockMessage[] {
  return s.blocks.map((b) => ({
    type: 'block', header: s.header, headerSignature: s.headerSignature, index: b.i, off: b.off, len: b.len,
    proof: b.proof.map((p) => ({ side: p.side, hash: p.hash })), fsSignature: b.fsSignature, data: Uint8Array.from(b.data),
  }));
}

/** The device side of a session: strict request/response over a Connection. */
export class DeviceSide {
  constructor(readonly conn: Connection, readonly addr: Uint8Array) {}

  async send(msg: Message): Promise<void> {
    await this.conn.send(encodeMessage(msg));
  }

  async next(): Promise<Message | undefined> {
    const f = await this.conn.receive();
    return f === undefined ? undefined : decodeMessage(f);
  }

  /** HELLO both ways; returns the receiver's HELLO. */
  async hello(): Promise<Message | undefined> {
    await this.send({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr: this.addr, maxFrameBytes: 1 << 20, id: '' });
    return this.next();
  }

  /** Sends a REG; returns the answer (reg-ack or error). */
  async register(payload: Uint8Array): Promise<Message | undefined> {
    await this.send({ type: 'reg', payload });
    return this.next();
  }

  /** Sends a block; returns its ACK. */
  async block(m: BlockMessage): Promise<AckMessage> {
    await this.send(m);
    const r = await this.next();
    if (r?.type !== 'ack') throw new Error(`expected an ACK, got ${r?.type ?? 'end'}`);
    return r;
  }

  /** Sends every block of a capture; returns the ACKs. */
  async capture(s: SignedCapture): Promise<AckMessage[]> {
    const out: AckMessage[] = [];
    for (const m of blockMessages(s)) out.push(await this.block(m));
    return out;
  }
}

/**
 * A capture with an arbitrary layout and header claims, signed through the real
 * primitives (leaves, Merkle proofs, header, ECDSA, FsSignatures): for BLOCK_LAYOUT
 * and CAPTURE_HASH paths that an honest signCapture never produces.
 */
export function forgeCapture(
  dev: SimDevice, seq: bigint, parts: readonly { off: bigint; data: Uint8Array }[], claims: { captureLen: bigint; captureHash: Uint8Array },
): SignedCapture {
  const c = dev.cycles[0]!;
  const ts = c.publicKey.t0 + seq;
  const blocks = parts.map((p, k) => {
    const blockHash = sha256(p.data);
    return { i: k + 1, off: p.off, len: p.data.length, data: p.data, blockHash, leaf: merkleLeaf(k + 1, p.off, p.data.length, blockHash) };
  });
  const { root, proofs } = merkleProofs(blocks.map((b) => b.leaf));
  const header = encodeHeader({
    mode: 1, suite: dev.suite, contentType: 3, ts, seq, manufacturerAddr: dstpAddress(1, dev.manufacturer.publicKey), deviceAddr: dev.addr,
    ownerAddr: new Uint8Array(20), keyId: c.publicKey.keyId, m: 1, captureLen: claims.captureLen, captureHash: claims.captureHash,
    c: blocks.length, frameRoot: root, prevHeaderDigest: dev.prev,
  });
  const digest = headerDigest(header);
  dev.prev = digest;
  return {
    suite: dev.suite, devicePublicKey: dev.publicKey, deviceAddr: dev.addr, header, headerDigest: digest,
    headerSignature: signHeader(dev.suite, dev.secret, header, digest), publicKey: c.publicKey.bytes, frameRoot: root,
    blocks: blocks.map((b, k) => {
      const d = blockDigest(digest, b.i, b.blockHash);
      return { ...b, proof: proofs[k]!, d, fsSignature: c.state.sign(b.i, ts, seq, d, c.rng) };
    }),
  };
}
