/**
 * Test device side for the storage-server tests, built from the real
 * components: fixture safe primes (k = 2048, small T), FsKeyState signing,
 * the shipping signer (test/helpers/sign.ts), src/ledger registration records, and a minimal
 * session client speaking the codec over any Connection.
 */
import { addressOf, ecdsaPublicKey, type Suite } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { signCapture, type SignedCapture } from '../helpers/sign.js';
import { encodeKeyRegistration } from '../../src/chain/registration.js';
import { signFactoryRecord } from '../../src/ledger/index.js';
import { utf8 } from '../../src/platform/bytes.js';
import { SeededRng } from '../../src/platform/rng.js';
import { generateKeyCycle } from '../../src/scheme/index.js';
import { validateServerConfig, type ServerConfig } from '../../src/server/index.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type AckMessage, type BlockMessage, type Message } from '../../src/transport/messages.js';
import type { Connection } from '../../src/transport/transport.js';
import { fixturePrimes } from '../scheme/helpers.js';
import type { Device } from '../dstp/vectors/builder.js';

export const T0 = 1_767_225_600_000n; // 2026-01-01T00:00:00Z
export const DELTA = 60_000;

/** A deterministic ECDSA identity. */
export function ident(label: string, suite: Suite = 1): { suite: Suite; secret: Uint8Array; publicKey: Uint8Array; addr: Uint8Array } {
  const secret = sha256(utf8(`sealcam server test/${label}`));
  const publicKey = ecdsaPublicKey(suite, secret);
  return { suite, secret, publicKey, addr: addressOf(suite, publicKey) };
}

export const MFR = ident('manufacturer');

/** A test device with one key cycle (as the vectors' Device, signing with its own rng per capture). */
export interface TestDevice extends Omit<Device, 'rng' | 'sign'> {
  /** Encoded REG message: the factory record (v2, pinning this cycle as C₁) and C₁. */
  readonly reg: Uint8Array;
}

/** Builds a device (fixture primes `primeIdx`, k = 2048 unless given, n = 8, T = 16) whose only key cycle is C₁. */
export async function makeDevice(label: string, o: { primeIdx?: number; k?: 2048 | 3072; t0?: bigint; n?: number; T?: number; mfr?: ReturnType<typeof ident> } = {}): Promise<TestDevice> {
  const id = ident(label);
  const k = o.k ?? 2048;
  const { publicKey: key, state } = await generateKeyCycle(
    { k, n: o.n ?? 8, T: o.T ?? 16, t0: o.t0 ?? T0, delta: DELTA, deviceAddr: id.addr },
    { primes: fixturePrimes(k, o.primeIdx ?? 0), rng: new SeededRng(`${label}/keygen`), worker: false },
  );
  const mfr = o.mfr ?? MFR;
  const factory = signFactoryRecord({
    manufacturerSuite: mfr.suite, manufacturerSecret: mfr.secret, deviceSuite: id.suite, devicePublicKey: id.publicKey, firstKeyId: key.keyId, issuedAt: key.t0,
  });
  const reg = encodeKeyRegistration({
    suite: id.suite, devicePublicKey: id.publicKey, manufacturer: { suite: mfr.suite, publicKey: mfr.publicKey },
    factory: { firstKeyId: factory.firstKeyId, issuedAt: factory.issuedAt, signature: factory.signature },
    after: new Uint8Array(32), keys: [{ publicKey: key.bytes, link: null }],
  });
  return { ...id, key, state, reg };
}

/** Deterministic capture bytes. */
export function bytesOf(label: string, n: number): Uint8Array {
  return new SeededRng(`capture/${label}`).bytes(n);
}

/** Signs `data` as one capture of `blocks` near-equal blocks. */
export function capture(dev: TestDevice, ts: bigint, seq: bigint, data: Uint8Array, blocks = 4, prev = new Uint8Array(32)): Promise<SignedCapture> {
  const size = Math.ceil(data.length / blocks);
  const split = { blocks: Array.from({ length: Math.ceil(data.length / size) }, (_, k) => ({ off: k * size, len: Math.min(size, data.length - k * size) })) };
  const rng = new SeededRng(`sign/${seq}`);
  return signCapture({
    capture: data, ts, seq, mode: 1, contentType: 1, manufacturerAddr: MFR.addr, ownerAddr: new Uint8Array(20), suite: dev.suite,
    deviceSecret: dev.secret, prevHeaderDigest: prev, split, fsKey: { publicKey: dev.key, sign: (i, t, s, d) => dev.state.sign(i, t, s, d, rng) },
  });
}

/** BLOCK message of block i (1-based) of a signed capture. */
export function blockMsg(c: SignedCapture, i: number, over: Partial<BlockMessage> = {}): BlockMessage {
  const b = c.blocks[i - 1]!;
  return {
    type: 'block', header: c.header, headerSignature: c.headerSignature, index: b.i, off: b.off, len: b.len,
    proof: [...b.proof], fsSignature: b.fsSignature, data: b.data, ...over,
  };
}

/** A validated server config in `dataDir` (MQTT off unless overridden). */
export function serverConfig(dataDir: string, over: Record<string, unknown> = {}): ServerConfig {
  return validateServerConfig({
    version: 1, id: 'store-a', dataDir, trustedManufacturers: [{ suite: 1, publicKey: Buffer.from(MFR.publicKey).toString('hex') }],
    verify: { freshnessMs: 120_000 }, store: { minFreeBytes: 0 }, mqtt: { enabled: false }, ...over,
  });
}

/** Minimal device-side session client. */
export class DeviceClient {
  constructor(readonly conn: Connection) {}

  send(m: Message): Promise<void> {
    return this.conn.send(encodeMessage(m));
  }

  async next(): Promise<Message> {
    const f = await this.conn.receive();
    if (f === undefined) throw new Error('connection closed');
    return decodeMessage(f);
  }

  /** Next message that is not a STATUS. */
  async reply(): Promise<Message> {
    for (;;) {
      const m = await this.next();
      if (m.type !== 'status') return m;
    }
  }

  /** HELLO exchange; returns the server's HELLO. */
  async hello(addr: Uint8Array): Promise<Message> {
    await this.send({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr, maxFrameBytes: this.conn.maxFrameBytes, id: '' });
    return this.reply();
  }

  async register(reg: Uint8Array): Promise<Message> {
    await this.send({ type: 'reg', payload: reg });
    return this.reply();
  }

  async block(m: BlockMessage): Promise<AckMessage> {
    await this.send(m);
    const r = await this.reply();
    if (r.type !== 'ack') throw new Error(`expected ACK, got ${r.type}${r.type === 'error' ? ` ${r.code}` : ''}`);
    return r;
  }
}
