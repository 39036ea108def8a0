/**
 * The receiver's shared state and its state transitions (used by the block and
 * registration handlers and the sessions): devices, registry, store, counters
 * and events; capture completion, invalidation, eviction and chain events.
 */
import { aint } from '../platform/bytes.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { toHex } from '../platform/bytes.js';
import { assembleCapture } from './assemble.js';
import type { BatcherDeps, LedgerSink } from './savehash/batcher.js';
import { DeviceBatcher } from './savehash/batcher.js';
import { ChainTracker, type ChainEvent } from './chain-tracker.js';
import { loadDevice, DeviceState, type CaptureState } from './device-state.js';
import type { RejectReason } from './errors.js';
import type { ReceiverIdentity } from './identity.js';
import type { KeyRegistry } from '../peer/key-registry.js';
import type { ReceiverStore } from './store/store.js';
import { emptyStats, type CaptureEvent, type ReceiverEvents, type ReceiverOptions, type ReceiverStats } from './types.js';

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly identity: ReceiverIdentity;
  readonly expectedDevice: Uint8Array | undefined;
  readonly batchSize: number;
  readonly ledger: LedgerSink | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxPendingCaptures: number;
  readonly maxPendingBytes: number;
  readonly evictAfterMs: number;
  readonly sweepIntervalMs: number;
  readonly helloTimeoutMs: number;
  readonly maxCapturesInMemory: number;
}

/**
 * Applies defaults and checks every option, naming it.
 * @throws TypeError / RangeError on a bad option.
 */
export function resolveOptions(o: ReceiverOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (typeof o.identity !== 'object' || o.identity === null || !(o.identity.secret instanceof Uint8Array)) {
    throw new TypeError('options.identity must be a ReceiverIdentity (makeIdentity / readKeyFile)');
  }
  if (o.expectedDevice !== undefined && (!(o.expectedDevice instanceof Uint8Array) || o.expectedDevice.length !== 20)) {
    throw new RangeError('options.expectedDevice must be 20 bytes');
  }
  if (o.ledger != null && typeof o.ledger.append !== 'function') throw new TypeError('options.ledger must have append()');
  if (o.maxDevices !== undefined) aint(o.maxDevices, 'options.maxDevices', 1, 1 << 20);
  return {
    identity: o.identity,
    expectedDevice: o.expectedDevice,
    batchSize: aint(o.batchSize ?? 16, 'options.batchSize', 1, 65536),
    ledger: o.ledger ?? null,
    clock: o.clock ?? systemClock,
    logger: o.logger ?? silentLogger,
    maxPendingCaptures: aint(o.maxPendingCaptures ?? 32, 'options.maxPendingCaptures', 1, 1 << 20),
    maxPendingBytes: aint(o.maxPendingBytes ?? 256 * 1024 * 1024, 'options.maxPendingBytes', 1, Number.MAX_SAFE_INTEGER),
    evictAfterMs: aint(o.evictAfterMs ?? 600_000, 'options.evictAfterMs', 1, 2 ** 31 - 1),
    sweepIntervalMs: aint(o.sweepIntervalMs ?? 30_000, 'options.sweepIntervalMs', 0, 2 ** 31 - 1),
    helloTimeoutMs: aint(o.helloTimeoutMs ?? 10_000, 'options.helloTimeoutMs', 1, 2 ** 31 - 1),
    maxCapturesInMemory: aint(o.maxCapturesInMemory ?? 4096, 'options.maxCapturesInMemory', 1, 1 << 24),
  };
}

type Emit = <K extends keyof ReceiverEvents>(event: K, ...args: ReceiverEvents[K]) => void;

const CHAIN_COUNTER = { gap: 'gaps', 'gap-resolved': 'gapsResolved', reorder: 'reorders', fork: 'forks' } as const;

/** Shared receiver state. */
export class ReceiverCore {
  readonly devices = new Map<string, DeviceState>();
  readonly stats: ReceiverStats = emptyStats();
  private readonly batcherDeps: BatcherDeps;
  private lock: Promise<void> = Promise.resolve();

  /** Only assigns. */
  constructor(readonly opts: ResolvedOptions, readonly store: ReceiverStore, readonly registry: KeyRegistry, readonly emit: Emit) {
    this.batcherDeps = {
      store, identity: opts.identity, omega: opts.batchSize, ledger: opts.ledger, logger: opts.logger,
      onLedgerAppend: () => void this.stats.ledgerAppends++,
      onLedgerError: (deviceAddr, k, error) => {
        this.stats.ledgerErrors++;
        this.emit('ledger-error', { deviceAddr, k, error });
      },
    };
  }

  /** Adds one to `map[key]`. */
  count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }

  /** Loads every stored device (captures, capture chain, SaveHash; key chains are the registry's) and finishes interrupted captures. */
  async load(): Promise<void> {
    const now = this.opts.clock.now();
    for (const dev of await this.store.devices()) {
      const { state, fullyStored } = await loadDevice(this.store, dev, now, this.opts.maxCapturesInMemory, this.batcherDeps);
      this.devices.set(dev, state);
      for (const cs of fullyStored) await this.completeFromStore(state, cs);
    }
  }

  /** The state of a device, created (with an empty chain) on first use. */
  async device(dev: string): Promise<DeviceState> {
    let ds = this.devices.get(dev);
    if (ds === undefined) {
      ds = new DeviceState(dev, new ChainTracker(), this.opts.maxCapturesInMemory);
      ds.batcher = await DeviceBatcher.open(this.batcherDeps, dev, ds.addr, new Map(), []);
      this.devices.set(dev, ds);
    }
    return ds;
  }

  /** Emits and counts chain events of a device. */
  chainEvents(ds: DeviceState, events: readonly ChainEvent[]): void {
    for (const e of events) {
      this.stats[CHAIN_COUNTER[e.type]]++;
      (this.emit as (k: ChainEvent['type'], ev: ChainEvent & { deviceAddr: string }) => void)(e.type, { ...e, deviceAddr: ds.addrHex });
    }
  }

  /** Reads a fully stored capture back, checks it and completes or invalidates it. */
  async completeFromStore(ds: DeviceState, cs: CaptureState): Promise<void> {
    const r = assembleCapture(cs.vh.header, await this.store.readBlocks(ds.addrHex, cs.seq));
    if (r.ok) await this.complete(ds, cs, r.bytes);
    else await this.invalidate(ds, cs, r.reason);
  }

  /** Marks a verified, reassembled capture complete, batches it and emits 'capture'. */
  async complete(ds: DeviceState, cs: CaptureState, bytes: Uint8Array): Promise<void> {
    if (cs.phase !== 'pending') return;
    const checks = ['header-signature', 'registered-key', 'blocks', 'layout', 'capture-hash'];
    await this.store.putMarker(ds.addrHex, cs.seq, 'complete', { headerDigest: cs.digestHex, checks, completedAt: this.opts.clock.now().toString() });
    ds.setPhase(cs, 'complete');
    this.stats.capturesCompleted++;
    const batch = await ds.batcher!.add(cs.seq, cs.vh.digest);
    this.emit('capture', captureEvent(ds.addrHex, cs, bytes, checks));
    if (batch !== null) {
      this.stats.batches++;
      this.emit('batch', batch);
    }
  }

  /** Marks a capture whose complete block set failed (BLOCK_LAYOUT / CAPTURE_HASH). */
  async invalidate(ds: DeviceState, cs: CaptureState, reason: RejectReason): Promise<void> {
    await this.store.putMarker(ds.addrHex, cs.seq, 'invalid', { reason });
    ds.setPhase(cs, 'invalid');
    cs.reason = reason;
    this.stats.capturesInvalid++;
    this.emit('invalid-capture', { deviceAddr: ds.addrHex, seq: cs.seq, reason });
  }

  /** Evicts an incomplete capture (blocks deleted, header kept). */
  async evict(ds: DeviceState, cs: CaptureState, reason: 'age' | 'captures' | 'bytes'): Promise<void> {
    const blocks = await this.store.evict(ds.addrHex, cs.seq, reason);
    ds.setPhase(cs, 'evicted');
    cs.held.clear();
    this.stats.capturesEvicted++;
    this.stats.blocksEvicted += blocks;
    this.emit('evicted', { deviceAddr: ds.addrHex, seq: cs.seq, blocks, reason });
  }

  /** Evicts every incomplete capture idle for longer than evictAfterMs; returns how many. */
  async sweep(only?: DeviceState): Promise<number> {
    const limit = this.opts.clock.now() - BigInt(this.opts.evictAfterMs);
    let n = 0;
    for (const ds of only !== undefined ? [only] : [...this.devices.values()]) {
      for (const cs of ds.pending()) {
        if (cs.lastSeen >= limit) break;
        await this.evict(ds, cs, 'age');
        n++;
      }
    }
    return n;
  }

  /** Closes every device's partial SaveHash batch. */
  async flushSaveHash(): Promise<void> {
    for (const ds of this.devices.values()) {
      const b = await ds.batcher!.flush();
      if (b !== null) {
        this.stats.batches++;
        this.emit('batch', b);
      }
    }
  }

  /** Runs `fn` serialised with every other state change of the receiver. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Resolves when every queued ledger append settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => d.batcher?.idle() ?? Promise.resolve()));
  }
}

function captureEvent(dev: string, cs: CaptureState, bytes: Uint8Array, checks: string[]): CaptureEvent {
  const h = cs.vh.header;
  return {
    deviceAddr: dev, seq: h.seq, ts: h.ts, m: h.m, keyId: toHex(h.keyId), mode: h.mode, contentType: h.contentType,
    captureLen: h.captureLen, c: h.c, headerDigest: cs.digestHex, prevHeaderDigest: toHex(h.prevHeaderDigest),
    manufacturerAddr: toHex(h.manufacturerAddr), ownerAddr: toHex(h.ownerAddr), bytes, checks, verdict: 'verified',
  };
}
