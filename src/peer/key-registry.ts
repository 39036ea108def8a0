/**
 * The durable key-chain registry of a receiving peer — the storage server and
 * the owner's receiver both use it (SCHEME.md §7 v1.1 "Registration"): judges
 * each REG with src/chain/book.ts, writes the device's whole chain atomically
 * (`<dir>/<deviceAddr>.chain`, tmp → fsync → rename → fsync dir) BEFORE it is
 * applied and acknowledged, keeps a refused second successor (REG_FORK) as
 * evidence (`<dir>/forks/`, bounded), answers with an ack v2 record signed by
 * the peer's key with the cycle's first seenAt, and gives the block pipelines
 * each cycle's validated FsPublicKey and validFrom (BLOCK_BACKDATED).
 *
 * `.chain` file: "SCKC" || u8(1) || u8(suite) || devicePublicKey(65)
 *   || u8(manufacturerSuite) || manufacturerPublicKey(65) || firstKeyId(32)
 *   || u64(issuedAt) || factorySignature(64) || u16(count)
 *   || (u16(L) || FsPublicKey(L) || link (as in a registration) || u64(validFrom) || u64(seenAt)) × count
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { judgeRegistration, type DeviceChain, type HeldCycle } from '../chain/book.js';
import { cycleEnd } from '../chain/links.js';
import { decodeChainLink, decodeKeyRegistration, encodeChainLink, type KeyRegistration } from '../chain/registration.js';
import { addressOf, isSuite, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import type { RegReason } from '../ledger/errors.js';
import { encodeRecord } from '../ledger/record-codec.js';
import { signAckRecord } from '../ledger/records.js';
import type { TrustedKey } from '../ledger/trust.js';
import { fsyncDir, writeFileAtomic } from '../platform/atomic-file.js';
import { ByteReader, concat, equalBytes, fromHex, toHex, u16, u64, u8, utf8 } from '../platform/bytes.js';
import { isSealcamError, SealcamError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { decodeFsPublicKey, type FsPublicKey } from '../scheme/index.js';
import { LruMap } from '../scheme/lru.js';

const MAGIC = utf8('SCKC');
const FILE_RE = /^([0-9a-f]{40})\.chain$/;
/** Fork evidence files kept per device (later forks are counted, not stored). */
export const MAX_FORK_EVIDENCE = 16;

/** The peer's signing identity (its acks are witness acknowledgements). */
export interface PeerIdentity {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Options of {@link KeyRegistry.open}. */
export interface KeyRegistryOptions {
  /** The peer's key (signs acks); without it the registry is read-only (verify-store, exports). */
  readonly identity?: PeerIdentity;
  /**
   * Trusted manufacturers. Empty: trust on first use — a device's first
   * registration names its manufacturer, later ones must carry the same
   * factory record (a receiver without a configured maker list).
   */
  readonly trustedManufacturers: readonly TrustedKey[];
  /** Witnesses whose acks carried in a restart count besides this peer (default none). */
  readonly trustedWitnesses?: readonly TrustedKey[];
  /** Most devices (default 100000). */
  readonly maxDevices?: number;
  /** Only this device address may register. */
  readonly expectedDevice?: Uint8Array;
  /** Decoded FsPublicKeys kept (default 1024). */
  readonly keyCache?: number;
  readonly logger?: Logger;
}

/** A registered cycle, for the block pipelines. */
export interface RegisteredCycle {
  readonly deviceHex: string;
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly keyIdHex: string;
  readonly fsKey: FsPublicKey;
  readonly validFrom: bigint;
  readonly seenAt: bigint;
}

/** Outcome of {@link KeyRegistry.register}. */
export type RegistrationOutcome =
  | {
    readonly ok: true; readonly deviceHex: string; readonly keyIdHex: string;
    /** The ack v2 record (binary), for the REG_ACK answer. */
    readonly ack: Uint8Array;
    /** Cycles this registration added (0: a repeat). */
    readonly added: number;
  }
  | {
    readonly ok: false; readonly reason: RegReason | 'DEVICE_LIMIT' | 'DEVICE_PIN_MISMATCH' | 'DEVICE_MISMATCH' | 'STORE_IO';
    readonly message: string; readonly deviceHex?: string;
  };

function peekCycle(pk: Uint8Array): { n: number; end: bigint } {
  const v = new DataView(pk.buffer, pk.byteOffset, pk.byteLength);
  return { n: v.getUint16(7), end: cycleEnd({ T: v.getUint32(9), t0: v.getBigUint64(13), delta: v.getUint32(21) }) };
}

function encodeChainFile(c: DeviceChain): Uint8Array {
  return concat(
    MAGIC, u8(1), u8(c.device.suite), c.device.publicKey, u8(c.manufacturer.suite), c.manufacturer.publicKey,
    c.factory.firstKeyId, u64(c.factory.issuedAt), c.factory.signature, u16(c.cycles.length),
    ...c.cycles.map((h) => concat(u16(h.publicKey.length), h.publicKey, encodeChainLink(h.link), u64(h.validFrom), u64(h.seenAt))),
  );
}

function decodeChainFile(bytes: Uint8Array): DeviceChain {
  const r = new ByteReader(bytes);
  const bad = (m: string): never => {
    throw new SealcamError('STORE_CORRUPT', m);
  };
  try {
    if (!equalBytes(r.bytes(4), MAGIC) || r.u8() !== 1) bad('not a chain file');
    const suite = r.u8();
    const publicKey = Uint8Array.from(r.bytes(65));
    const mSuite = r.u8();
    const mPub = Uint8Array.from(r.bytes(65));
    if (!isSuite(suite) || !isSuite(mSuite)) bad('bad suite');
    const factory = { firstKeyId: Uint8Array.from(r.bytes(32)), issuedAt: r.u64(), signature: Uint8Array.from(r.bytes(64)) };
    const count = r.u16();
    const cycles: HeldCycle[] = [];
    for (let j = 0; j < count; j++) {
      const pk = Uint8Array.from(r.bytes(r.u16()));
      const link = decodeChainLink(r, j);
      const { n, end } = peekCycle(pk);
      cycles.push({ keyIdHex: toHex(sha256(pk)), publicKey: pk, link, validFrom: r.u64(), seenAt: r.u64(), end, n });
    }
    if (r.remaining !== 0) bad('trailing bytes');
    const s = suite as Suite;
    return { device: { suite: s, publicKey, addr: addressOf(s, publicKey) }, manufacturer: { suite: mSuite as Suite, publicKey: mPub }, factory, cycles };
  } catch (e) {
    if (isSealcamError(e, 'STORE_CORRUPT')) throw e;
    return bad(`chain file does not decode: ${(e as Error).message}`);
  }
}

/** See the file comment. */
export class KeyRegistry {
  private readonly chains = new Map<string, DeviceChain>();
  private readonly keys: LruMap<string, FsPublicKey>;
  private readonly log: Logger;
  /** Forks seen (also those beyond the evidence bound). */
  forks = 0;

  private constructor(private readonly dir: string, private readonly o: KeyRegistryOptions) {
    this.keys = new LruMap(o.keyCache ?? 1024);
    this.log = o.logger ?? silentLogger;
  }

  /**
   * Opens the registry directory (creating it when `o.identity` is given; a
   * registry without identity only reads) and loads every device's chain.
   * @throws SealcamError STORE_CORRUPT for a chain file that does not decode; fs errors
   */
  static async open(dir: string, o: KeyRegistryOptions): Promise<KeyRegistry> {
    if (o.identity !== undefined) await fs.mkdir(join(dir, 'forks'), { recursive: true, mode: 0o700 });
    const r = new KeyRegistry(dir, o);
    for (const name of await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && o.identity === undefined) return [] as string[];
      throw e;
    })) {
      const m = FILE_RE.exec(name);
      if (m === null) continue;
      const c = decodeChainFile(new Uint8Array(await fs.readFile(join(dir, name))));
      if (toHex(c.device.addr) !== m[1]) throw new SealcamError('STORE_CORRUPT', `${name}: device key does not match the file name`);
      r.chains.set(m[1]!, c);
    }
    return r;
  }

  /** Number of devices. */
  get deviceCount(): number {
    return this.chains.size;
  }

  /** The chain held for a device (hex address). */
  device(deviceHex: string): DeviceChain | undefined {
    return this.chains.get(deviceHex);
  }

  /** Every device's chain. */
  all(): IterableIterator<DeviceChain> {
    return this.chains.values();
  }

  /** Validated FsPublicKey of held bytes (cached). @throws SealcamError KEY_* */
  fsKey(publicKey: Uint8Array): FsPublicKey {
    const id = toHex(sha256(publicKey));
    let pk = this.keys.get(id);
    if (pk === undefined) {
      pk = decodeFsPublicKey(publicKey);
      this.keys.set(id, pk);
    }
    return pk;
  }

  /**
   * A registered cycle (device hex, keyId hex), with its validated key and validFrom.
   * @throws SealcamError KEY_* when held bytes no longer validate (never for accepted keys)
   */
  cycle(deviceHex: string, keyIdHex: string): RegisteredCycle | undefined {
    const c = this.chains.get(deviceHex);
    const h = c?.cycles.find((x) => x.keyIdHex === keyIdHex);
    if (c === undefined || h === undefined) return undefined;
    return {
      deviceHex, suite: c.device.suite, devicePublicKey: c.device.publicKey, keyIdHex, fsKey: this.fsKey(h.publicKey),
      validFrom: h.validFrom, seenAt: h.seenAt,
    };
  }

  /** The cycles of a device from C₁ up to keyIdHex (the `chain` of a bundle of that cycle), or undefined. */
  chainUpTo(deviceHex: string, keyIdHex: string): { chain: DeviceChain; cycles: readonly HeldCycle[] } | undefined {
    const c = this.chains.get(deviceHex);
    const at = c?.cycles.findIndex((x) => x.keyIdHex === keyIdHex) ?? -1;
    return c === undefined || at < 0 ? undefined : { chain: c, cycles: c.cycles.slice(0, at + 1) };
  }

  /**
   * Judges one REG payload from a session of device `sessionDevice` (null: any), at `now`;
   * stores new cycles durably, then acknowledges the registration's newest cycle.
   * Never throws for hostile bytes; a write failure is STORE_IO.
   */
  async register(payload: Uint8Array, now: bigint, sessionDevice: Uint8Array | null = null): Promise<RegistrationOutcome> {
    const identity = this.o.identity;
    if (identity === undefined) throw new TypeError('a registry opened without an identity is read-only');
    let msg: KeyRegistration;
    try {
      msg = decodeKeyRegistration(payload);
    } catch (e) {
      return { ok: false, reason: isSealcamError(e, 'REG_VERSION') ? 'REG_VERSION' : 'REG_FORMAT', message: (e as Error).message };
    }
    let addr: Uint8Array;
    try {
      addr = addressOf(msg.suite, msg.devicePublicKey);
    } catch {
      return { ok: false, reason: 'REG_DEVICE_KEY', message: 'device public key is not a valid point' };
    }
    const deviceHex = toHex(addr);
    const no = (reason: Exclude<RegistrationOutcome, { ok: true }>['reason'], message: string): RegistrationOutcome => ({ ok: false, reason, message, deviceHex });
    if (sessionDevice !== null && !equalBytes(sessionDevice, addr)) return no('DEVICE_MISMATCH', 'the registration is for another device than this session');
    const pin = this.o.expectedDevice;
    if (pin !== undefined && !equalBytes(pin, addr)) return no('DEVICE_PIN_MISMATCH', 'registration from a device other than the pinned one');
    const held = this.chains.get(deviceHex) ?? null;
    if (held === null && this.chains.size >= (this.o.maxDevices ?? 100_000)) return no('DEVICE_LIMIT', 'device limit reached');
    const makers = this.o.trustedManufacturers.length > 0 ? this.o.trustedManufacturers : [held?.manufacturer ?? msg.manufacturer];
    const v = judgeRegistration(held, msg, {
      now, trustedManufacturers: makers, trustedWitnesses: this.o.trustedWitnesses ?? [],
      self: { suite: identity.suite, publicKey: identity.publicKey }, decode: (b) => this.fsKey(b),
    });
    if (!v.ok) {
      if (v.fork === true) await this.keepEvidence(deviceHex, now, payload);
      return no(v.reason, v.message);
    }
    if (v.added.length > 0) {
      try {
        await writeFileAtomic(join(this.dir, `${deviceHex}.chain`), encodeChainFile(v.chain), { mode: 0o600 });
        if (held === null) await fsyncDir(this.dir);
      } catch (e) {
        this.log.error({ device: deviceHex, err: (e as Error).message }, 'registry: cannot store a key chain');
        return no('STORE_IO', 'the registration could not be stored');
      }
      this.chains.set(deviceHex, v.chain);
    }
    const ack = encodeRecord(signAckRecord({
      serverSuite: identity.suite, serverSecret: identity.secret, deviceAddr: addr, keyId: fromHex(v.head.keyIdHex), seenAt: v.head.seenAt,
    }));
    return { ok: true, deviceHex, keyIdHex: v.head.keyIdHex, ack, added: v.added.length };
  }

  private async keepEvidence(deviceHex: string, now: bigint, payload: Uint8Array): Promise<void> {
    this.forks++;
    this.log.warn({ device: deviceHex }, 'registry: REG_FORK: a second successor of a held key cycle (kept as evidence)');
    try {
      const dir = join(this.dir, 'forks');
      const mine = (await fs.readdir(dir)).filter((n) => n.startsWith(deviceHex));
      if (mine.length >= MAX_FORK_EVIDENCE) return;
      await writeFileAtomic(join(dir, `${deviceHex}-${now}-${toHex(sha256(payload)).slice(0, 16)}.reg`), payload, { mode: 0o600 });
    } catch (e) {
      this.log.error({ device: deviceHex, err: (e as Error).message }, 'registry: cannot keep fork evidence');
    }
  }
}
