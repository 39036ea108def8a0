/**
 * In-memory state of one device (captures in flight, recently finished ones,
 * the chain tracker and the SaveHash batcher) and its reconstruction from the
 * store after a restart.
 */
import { decodeHeader, headerDigest, type DstpHeader } from '../dstp/header.js';
import type { VerifiedHeader } from '../dstp/verify.js';
import { fromHex, toHex } from '../platform/bytes.js';
import type { Logger } from '../platform/logger.js';
import { DeviceBatcher, type BatcherDeps } from './savehash/batcher.js';
import { ChainTracker } from './chain-tracker.js';
import type { RejectReason } from './errors.js';
import type { StoredCaptureInfo, ReceiverStore } from './store/store.js';

/** Where a capture stands. */
export type CapturePhase = 'pending' | 'complete' | 'invalid' | 'evicted';

/** One capture known to the receiver. */
export interface CaptureState {
  readonly seq: bigint;
  readonly digestHex: string;
  readonly vh: VerifiedHeader;
  readonly headerSignature: Uint8Array;
  /** Indices of the blocks stored. */
  readonly held: Set<number>;
  /** Bytes of the blocks stored (pending captures only). */
  bytes: number;
  phase: CapturePhase;
  reason: RejectReason | null;
  /** Clock time of the last block (for age eviction). */
  lastSeen: bigint;
}

/** Builds a capture state from a header already verified (or read back from the store). */
export function captureState(seq: bigint, header: Uint8Array, signature: Uint8Array, phase: CapturePhase, now: bigint, h?: DstpHeader): CaptureState {
  const digest = headerDigest(header);
  const vh: VerifiedHeader = { bytes: header, digest, header: h ?? decodeHeader(header) };
  return { seq, digestHex: toHex(digest), vh, headerSignature: signature, held: new Set(), bytes: 0, phase, reason: null, lastSeen: now };
}

/** State of one device. */
export class DeviceState {
  readonly captures = new Map<bigint, CaptureState>();
  private readonly finished: bigint[] = [];
  pendingBytes = 0;
  batcher: DeviceBatcher | null = null;

  /** Only assigns. */
  constructor(readonly addrHex: string, readonly tracker: ChainTracker, private readonly maxFinished: number) {}

  /** The device address bytes. */
  get addr(): Uint8Array {
    return fromHex(this.addrHex);
  }

  /** Captures still waiting for blocks (not those whose every block is stored), oldest activity first. */
  pending(): CaptureState[] {
    return [...this.captures.values()].filter((c) => c.phase === 'pending' && c.held.size < c.vh.header.c).sort((a, b) => (a.lastSeen < b.lastSeen ? -1 : a.lastSeen > b.lastSeen ? 1 : 0));
  }

  /** Adds a capture to the in-memory index. */
  remember(cs: CaptureState): void {
    this.captures.set(cs.seq, cs);
    if (cs.phase === 'pending') this.pendingBytes += cs.bytes;
    else this.finish(cs);
  }

  /** Moves a capture out of 'pending' (bytes released; old finished captures forgotten beyond the bound). */
  setPhase(cs: CaptureState, phase: Exclude<CapturePhase, 'pending'>): void {
    if (cs.phase === 'pending') this.pendingBytes -= cs.bytes;
    cs.phase = phase;
    cs.bytes = 0;
    this.finish(cs);
  }

  /** Puts an evicted capture back in 'pending' (its blocks arrive again). */
  revive(cs: CaptureState, now: bigint): void {
    cs.phase = 'pending';
    cs.held.clear();
    cs.bytes = 0;
    cs.lastSeen = now;
  }

  /** Accounts a stored block of a pending capture. */
  addBlock(cs: CaptureState, i: number, len: number, now: bigint): void {
    cs.held.add(i);
    cs.bytes += len;
    cs.lastSeen = now;
    this.pendingBytes += len;
  }

  private finish(cs: CaptureState): void {
    this.finished.push(cs.seq);
    while (this.finished.length > this.maxFinished) {
      const s = this.finished.shift()!;
      const c = this.captures.get(s);
      if (c !== undefined && c.phase !== 'pending') this.captures.delete(s);
    }
  }
}

/** Everything a scan of one device's captures found that the caller must act on. */
export interface DeviceScan {
  readonly state: DeviceState;
  /** Pending captures whose every block is stored (a crash hit before completion). */
  readonly fullyStored: CaptureState[];
}

/** State from a stored capture (null when its header is damaged; logged). */
function fromInfo(info: StoredCaptureInfo, now: bigint, log: Logger, dev: string): CaptureState | null {
  try {
    const phase: CapturePhase = info.complete !== null ? 'complete' : info.invalid !== null ? 'invalid' : info.evicted ? 'evicted' : 'pending';
    const cs = captureState(info.seq, info.header, info.headerSignature, phase, now);
    if (phase === 'invalid') cs.reason = info.invalid as RejectReason;
    if (phase === 'complete') for (let i = 1; i <= cs.vh.header.c; i++) cs.held.add(i);
    return cs;
  } catch (e) {
    log.warn({ dev, seq: info.seq.toString(), err: (e as Error).message }, 'skipping a capture with a damaged header');
    return null;
  }
}

/**
 * Rebuilds a device's state from the store: chain tracker (every stored header in
 * seq order), captures (pending ones with their block sizes), SaveHash batcher
 * (with its crash recovery).
 * @throws SealcamError RECEIVER_STORE on damaged files that cannot be skipped.
 */
export async function loadDevice(
  store: ReceiverStore, dev: string, now: bigint, maxFinished: number, deps: BatcherDeps,
): Promise<DeviceScan> {
  const state = new DeviceState(dev, new ChainTracker(), maxFinished);
  const known = new Map<string, bigint>();
  const unbatched: { seq: bigint; digest: Uint8Array }[] = [];
  const fullyStored: CaptureState[] = [];
  for (const seq of await store.captureSeqs(dev)) {
    const info = await store.capture(dev, seq, true);
    if (info === null) continue;
    const cs = fromInfo(info, now, store.logger, dev);
    if (cs === null) continue;
    state.tracker.observe(cs.vh.digest, seq, cs.vh.header.prevHeaderDigest);
    if (cs.phase === 'complete') {
      known.set(cs.digestHex, seq);
      if (info.saveHash === null) unbatched.push({ seq, digest: cs.vh.digest });
    }
    if (cs.phase === 'pending') {
      for (const b of await store.readBlocks(dev, seq)) {
        cs.held.add(b.i);
        cs.bytes += b.len;
      }
      if (cs.held.size === cs.vh.header.c) fullyStored.push(cs);
    }
    state.remember(cs);
  }
  state.batcher = await DeviceBatcher.open(deps, dev, state.addr, known, unbatched);
  return { state, fullyStored };
}

/**
 * The capture with `seq`: from memory, else from the store (finished captures
 * beyond the in-memory bound), else undefined.
 * @throws SealcamError RECEIVER_STORE on damaged files.
 */
export async function lookupCapture(store: ReceiverStore, ds: DeviceState, seq: bigint, now: bigint): Promise<CaptureState | undefined> {
  const mem = ds.captures.get(seq);
  if (mem !== undefined) return mem;
  const info = await store.capture(ds.addrHex, seq);
  if (info === null) return undefined;
  const cs = fromInfo(info, now, store.logger, ds.addrHex);
  if (cs === null) return undefined;
  if (cs.phase === 'pending') {
    for (const b of await store.readBlocks(ds.addrHex, seq)) {
      cs.held.add(b.i);
      cs.bytes += b.len;
    }
  }
  ds.remember(cs);
  return cs;
}
