/**
 * `sealcam/sign`: signing captures on this machine with a device state
 * directory, in one object. A {@link CaptureSigner} holds the device key, the
 * forward-secure key state (moved to each capture's period by its key
 * manager), the capture sequence and hash chain, and the KeyStore that keeps
 * them; `sign(bytes)` returns a verifiable capture bundle (SCHEME.md
 * Appendix) carrying the device's key chain (§7). It signs through the
 * daemon's own signer (device/pipeline/capture-signer.ts, SCHEME.md §6).
 *
 *   const signer = await CaptureSigner.create(dir, { bits: 2048 });
 *   const { bundle } = await signer.sign(bytes);
 *   verifyCaptureBundle(bundle, { trust: signer.trust }).valid; // sealcam/verify
 */
import type { ChainTrust } from '../chain/json.js';
import type { Suite } from '../crypto/ecdsa.js';
import { bundleToJson, verifyBundle } from '../dstp/bundle.js';
import type { ContentType } from '../dstp/header.js';
import { signCaptureForOutbox, type SignedCapture } from '../device/pipeline/capture-signer.js';
import type { DeviceIdentity } from '../device/identity/identity.js';
import { bundleChain, keyChainOf } from '../device/keys/chain-file.js';
import type { KeygenFn } from '../device/keys/types.js';
import { createLocalDevice, openLocalDevice, type LocalDevice, type LocalDeviceOptions } from '../device/identity/local-device.js';
import { aint } from '../platform/bytes.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

export { signCaptureForOutbox, fsSignerKeys, blockPayloadParts } from '../device/pipeline/capture-signer.js';
export type {
  CaptureKeys, FsSigner, SignedBlock, SignedCapture, SignedForOutbox, SignIdentity, SignInput, SignOptions,
} from '../device/pipeline/capture-signer.js';
export type { ChainTrust } from '../chain/json.js';

/** Options of {@link CaptureSigner.open}. */
export interface CaptureSignerOpenOptions {
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Key-cycle generation (default: fresh safe primes, on a worker thread). */
  readonly keygen?: KeygenFn;
  /** Environment (credentials directory; default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options of {@link CaptureSigner.create}: the new device's key parameters. */
export interface CaptureSignerCreateOptions extends CaptureSignerOpenOptions {
  /** Device key suite: 1 ES256K, 2 ES256 (default, as `sealcam keys new`: C2PA needs it). */
  readonly suite?: Suite;
  /** IR-n modulus size (default 3072; generating a cycle takes seconds to minutes). */
  readonly bits?: 2048 | 3072;
  /** n, the most blocks per capture (default 16). */
  readonly maxBlocks?: number;
  /** T, periods per key cycle (default 65536). */
  readonly periods?: number;
  /** Δ, the period length in ms (default 60000). */
  readonly periodMs?: number;
}

/** Options of {@link CaptureSigner.sign}. */
export interface SignCaptureOptions {
  /** Blocks to split the capture into (Algorithm 1 with equal shares; default 4, at most the key's n). */
  readonly blocks?: number;
  /** Default: JPEG when the bytes start with a JPEG marker, else raw. */
  readonly contentType?: ContentType;
}

/** One signed capture. */
export interface SignedBundle {
  readonly seq: bigint;
  /** The signing time (Unix ms) the header carries. */
  readonly ts: bigint;
  /** The key period m of ts. */
  readonly period: number;
  readonly blocks: number;
  readonly headerDigest: Uint8Array;
  /** The capture bundle as a JSON value (write it with JSON.stringify), with the key chain when the device has one. */
  readonly bundle: Record<string, unknown>;
}

function contentTypeOf(bytes: Uint8Array): ContentType {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? 1 : 3;
}

function bundleFields(s: SignedCapture): SignedCapture {
  const { suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey, frameRoot, blocks } = s;
  return { suite, devicePublicKey, deviceAddr, header, headerDigest, headerSignature, publicKey, frameRoot, blocks };
}

/** See the file comment. */
export class CaptureSigner {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly dev: LocalDevice, private readonly clock: Clock) {}

  /**
   * Creates (or completes) a device state directory: device key, a self-signed
   * leave-factory record (a throwaway manufacturer key signs it; only its
   * public key is kept: {@link trust}) and the first key cycle, then opens it.
   * @throws RangeError naming a bad option; errors of the keystore and of key generation
   */
  static async create(stateDir: string, o: CaptureSignerCreateOptions = {}): Promise<CaptureSigner> {
    const k = o.bits ?? 3072;
    if (k !== 2048 && k !== 3072) throw new RangeError(`bits must be 2048 or 3072, got ${String(k)}`);
    const params = {
      k, n: aint(o.maxBlocks ?? 16, 'maxBlocks', 1, 256), T: aint(o.periods ?? 65536, 'periods', 2, 2 ** 24),
      delta: aint(o.periodMs ?? 60_000, 'periodMs', 1, 0xffffffff),
    };
    const clock = o.clock ?? systemClock;
    return new CaptureSigner(await createLocalDevice(stateDir, o.suite ?? 2, 'dev', params, localOptions(o, clock)), clock);
  }

  /**
   * Opens an existing device state directory (`sealcam keys new`, {@link create}).
   * @throws Error when it holds no key cycle; errors of the keystore (e.g. its lock held by a running daemon)
   */
  static async open(stateDir: string, o: CaptureSignerOpenOptions = {}): Promise<CaptureSigner> {
    const clock = o.clock ?? systemClock;
    return new CaptureSigner(await openLocalDevice(stateDir, localOptions(o, clock)), clock);
  }

  /** The device's identity (public fields; its secret is for signers only: never log it). */
  get identity(): DeviceIdentity {
    return this.dev.identity;
  }

  /** The device's DSTP address. */
  get deviceAddr(): Uint8Array {
    return this.dev.identity.address;
  }

  /** Trust anchors that establish this device's origin: its manufacturer's key (for `verifyCaptureBundle`). */
  get trust(): ChainTrust {
    const f = this.dev.identity.factory;
    return { manufacturers: [{ suite: f.manufacturerSuite, publicKey: f.manufacturerPublicKey }], witnesses: [] };
  }

  /**
   * Signs `bytes` as the next capture (mode 1), time-stamped now and chained to
   * the previous one; calls are taken one at a time. The bundle is verified
   * before it is returned.
   * @throws RangeError on empty bytes or a bad option; KeyManagerError (e.g. KEY_NO_CYCLE once the cycle ran out)
   */
  sign(bytes: Uint8Array, o: SignCaptureOptions = {}): Promise<SignedBundle> {
    const run = this.queue.then(() => this.signNow(bytes, o));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Stops the key manager, flushes the capture chain and closes the keystore (secrets wiped). */
  close(): Promise<void> {
    return this.dev.close();
  }

  private async signNow(bytes: Uint8Array, o: SignCaptureOptions): Promise<SignedBundle> {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new RangeError('bytes must be a non-empty Uint8Array');
    const c = aint(o.blocks ?? 4, 'blocks', 1, 256);
    const { identity, keys, chain } = this.dev;
    const seq = await chain.nextSeq();
    const s = await signCaptureForOutbox(
      { bytes, ts: this.clock.now(), seq, mode: 1, contentType: o.contentType ?? contentTypeOf(bytes), prevHeaderDigest: chain.prevHeaderDigest },
      identity, keys,
      // Algorithm 1 with c equal shares (no storage servers are involved here).
      (n) => Array.from({ length: Math.min(c, n) }, () => ({ free: null })),
      () => this.clock.now(),
    );
    try {
      const chainJson = bundleChain(keyChainOf(identity.factory, keys.chain), s.keyId, s.ts);
      const bundle = bundleToJson({ ...bundleFields(s), ...(chainJson ? { chain: chainJson } : {}) });
      const verdict = verifyBundle(bundle);
      if (!verdict.valid) throw new Error(`internal: the new bundle does not verify (${verdict.reason})`);
      chain.advance(seq, s.headerDigest);
      await chain.cover(seq); // no outbox holds the capture: its head is durable before it is handed out
      return { seq, ts: s.ts, period: s.m, blocks: s.blocks.length, headerDigest: s.headerDigest, bundle };
    } finally {
      s.release();
    }
  }
}

function localOptions(o: CaptureSignerOpenOptions, clock: Clock): LocalDeviceOptions {
  return { clock, ...(o.logger ? { logger: o.logger } : {}), ...(o.keygen ? { keygen: o.keygen } : {}), ...(o.env ? { env: o.env } : {}) };
}
