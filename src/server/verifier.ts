/**
 * The storage server's block pipeline (SCHEME.md §4 Algorithm 5 corrected, §6,
 * §7, docs/SERVER.md "Verification order"): (the header's device is the
 * session's: checked by src/peer/answers.ts) registration →
 * header stage (cached per header) → ts ≥ validFrom of the key cycle
 * (BLOCK_BACKDATED) → freshness |now − ts| ≤ Δt → replay cache
 * (an identical stored block is a DUPLICATE without re-verification) → block
 * stage (range, Merkle proof, FsSignature over d_i) → replay conflict → free
 * space → durable store. Every outcome carries a reason; nothing here throws.
 */
import { sha256 } from '../crypto/hash.js';
import { verifyBlockWithHeader, verifyHeader, type DstpVerifyContext, type VerifiedHeader } from '../dstp/verify.js';
import type { Clock } from '../platform/clock.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { LruMap } from '../scheme/lru.js';
import { AckStatus, type BlockMessage } from '../transport/messages.js';
import type { ServerReason } from './errors.js';
import type { KeyRegistry } from '../peer/key-registry.js';
import type { BlockStore } from './store.js';

/** The answer to one BLOCK. */
export interface BlockVerdict {
  readonly status: AckStatus;
  /** '' for STORED and DUPLICATE. */
  readonly reason: ServerReason | '';
  readonly headerDigest: Uint8Array;
  readonly seq: bigint;
}

/** What the verifier needs. */
export interface VerifierDeps {
  readonly registry: KeyRegistry;
  readonly store: BlockStore;
  readonly clock: Clock;
  /** Δt in ms. */
  readonly freshnessMs: number;
  readonly headerCache: number;
  /** Current free bytes of the store (refreshed by the server). */
  readonly freeBytes: () => bigint;
  readonly minFreeBytes: bigint;
  readonly logger: Logger;
}

const hexOf = (b: Uint8Array, from: number, to: number): string => Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('hex');

/** Verifies and stores blocks. */
export class BlockVerifier {
  private readonly headers: LruMap<string, VerifiedHeader>;

  constructor(private readonly d: VerifierDeps) {
    this.headers = new LruMap(d.headerCache);
  }

  /**
   * Judges one BLOCK of device `sessionDeviceHex` (its header's device); stores it when valid.
   * The synchronous part (all verification) runs before the first await, so callers may
   * pipeline blocks: their commits are grouped. Never rejects.
   */
  async handle(sessionDeviceHex: string, msg: BlockMessage): Promise<BlockVerdict> {
    const headerDigest = sha256(msg.header);
    const seq = Buffer.from(msg.header.buffer, msg.header.byteOffset, msg.header.byteLength).readBigUInt64BE(16);
    const out = (status: AckStatus, reason: ServerReason | ''): BlockVerdict => ({ status, reason, headerDigest, seq });
    try {
      const r = this.judge(sessionDeviceHex, msg, headerDigest, seq);
      if ('status' in r) return out(r.status, r.reason);
      const outcome = await this.d.store.put(r.record, msg.data);
      if (outcome === 'STORED') return out(AckStatus.STORED, '');
      if (outcome === 'DUPLICATE') return out(AckStatus.DUPLICATE, '');
      this.conflict(sessionDeviceHex, seq, msg.index);
      return out(AckStatus.REJECTED, 'REPLAY_CONFLICT');
    } catch (e) {
      if (isSealcamError(e, 'STORE_IO', 'SERVER_STOPPED')) return out(AckStatus.RETRY_LATER, 'STORE_IO');
      this.d.logger.error({ err: (e as Error).message }, 'server: internal error while handling a block');
      return out(AckStatus.RETRY_LATER, 'INTERNAL');
    }
  }

  private judge(dev: string, msg: BlockMessage, headerDigest: Uint8Array, seq: bigint):
    | { status: AckStatus; reason: ServerReason | '' }
    | { record: Parameters<BlockStore['put']>[0] } {
    const rej = (reason: ServerReason): { status: AckStatus; reason: ServerReason } => ({ status: AckStatus.REJECTED, reason });
    if (msg.data.length === 0) return rej('BLOCK_DATA_MISSING');
    const reg = this.d.registry.cycle(dev, hexOf(msg.header, 84, 116));
    if (reg === undefined) {
      return { status: AckStatus.NOT_REGISTERED, reason: this.d.registry.device(dev) !== undefined ? 'KEY_NOT_REGISTERED' : 'DEVICE_NOT_REGISTERED' };
    }
    const ctx: DstpVerifyContext = { devicePublicKey: reg.devicePublicKey, suite: reg.suite, fsPublicKey: reg.fsKey };
    const hkey = toHex(headerDigest) + toHex(msg.headerSignature);
    let vh = this.headers.get(hkey);
    if (vh === undefined) {
      const v = verifyHeader(ctx, msg.header, msg.headerSignature);
      if (!v.ok) return rej(v.reason);
      vh = v.header;
      this.headers.set(hkey, vh);
    }
    if (vh.header.ts < reg.validFrom) return rej('BLOCK_BACKDATED');
    const now = this.d.clock.now();
    const skew = now > vh.header.ts ? now - vh.header.ts : vh.header.ts - now;
    if (skew > BigInt(this.d.freshnessMs)) return rej('STALE_TIMESTAMP');
    const blockHash = sha256(msg.data);
    const stored = this.d.store.lookup(dev, seq, msg.index);
    if (stored !== undefined && equalBytes(stored.headerDigest, headerDigest) && equalBytes(stored.blockHash, blockHash)) {
      return { status: AckStatus.DUPLICATE, reason: '' };
    }
    if (msg.data.length !== msg.len) return rej('BLOCK_DATA_HASH');
    const block = { i: msg.index, off: msg.off, len: msg.len, blockHash, proof: msg.proof, fsSignature: msg.fsSignature };
    const bad = verifyBlockWithHeader(ctx, vh, block);
    if (bad !== null) return rej(bad);
    if (stored !== undefined) {
      this.conflict(dev, seq, msg.index);
      return rej('REPLAY_CONFLICT');
    }
    if (this.d.freeBytes() < this.d.minFreeBytes) return { status: AckStatus.RETRY_LATER, reason: 'STORE_FULL' };
    return {
      record: {
        storedAt: now, header: vh.bytes, headerSignature: Uint8Array.from(msg.headerSignature), i: msg.index, off: msg.off, len: msg.len,
        blockHash, proof: msg.proof, fsSignature: msg.fsSignature,
      },
    };
  }

  private conflict(dev: string, seq: bigint, i: number): void {
    this.d.logger.warn({ device: dev, seq: seq.toString(), index: i }, 'server: REPLAY_CONFLICT: a different validly signed block for a stored (device, seq, i)');
  }
}
