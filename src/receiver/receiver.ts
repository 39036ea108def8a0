/**
 * The phone-side receiver (ARCHITECTURE.md "receiver/", docs/RECEIVER.md):
 * accepts device sessions over any Connection, verifies registrations and
 * blocks (SCHEME.md §6–7), stores blocks durably before acknowledging them,
 * reassembles and verifies captures, tracks the prevHeaderDigest chain and
 * batches captures into the SaveHash chain, emitting typed events.
 *
 * Lifecycle (STYLE.md §11): the constructor only assigns; `start()` opens the
 * store and restores state; `handle(conn)` runs one session; `stop()` closes
 * sessions, waits for them and for pending ledger appends.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { KeyRegistry } from '../peer/key-registry.js';
import { toHex } from '../platform/bytes.js';
import type { TimerHandle } from '../platform/clock.js';
import type { Connection } from '../transport/transport.js';
import { ReceiverCore, resolveOptions, type ResolvedOptions } from './core.js';
import { receiverError } from './errors.js';
import { runPeerSession, type SessionResult } from '../peer/session.js';
import { receiverPeer } from './peer.js';
import { ReceiverStore } from './store/store.js';
import type { ReceiverEvents, ReceiverOptions, ReceiverStats } from './types.js';

/** A device's registered key cycles, as reported by {@link Receiver.devices}. */
export interface DeviceSummary {
  readonly deviceAddr: string;
  readonly suite: 1 | 2;
  readonly keyIds: readonly string[];
  readonly pendingCaptures: number;
  readonly saveHashPending: number;
  readonly chainTip: bigint | null;
  readonly openGaps: number;
}

/** The receiver. See the file comment for the lifecycle. */
export class Receiver extends EventEmitter<ReceiverEvents> {
  private core: ReceiverCore | null = null;
  private readonly sessions = new Map<Connection, Promise<SessionResult>>();
  private sweepTimer: TimerHandle | null = null;
  private stopped = false;
  private ownsStore = false;
  private readonly resolved: ResolvedOptions;

  /**
   * Only checks and assigns options.
   * @throws TypeError / RangeError on a bad option (named).
   */
  constructor(private readonly options: ReceiverOptions) {
    super();
    this.resolved = resolveOptions(options);
  }

  /**
   * Opens the store, restores registrations, captures, chain and SaveHash state
   * (finishing what a crash interrupted) and starts the eviction sweep.
   * @throws SealcamError RECEIVER_STORE on an unusable store, RECEIVER_STORE_LOCKED when another
   *   receiver uses it; RECEIVER_STOPPED after stop().
   */
  async start(): Promise<void> {
    if (this.stopped) throw receiverError('RECEIVER_STOPPED', 'receiver was stopped');
    if (this.core !== null) return;
    const o = this.options;
    const owned = typeof o.store === 'string';
    const store = typeof o.store === 'string' ? await ReceiverStore.open(o.store, { logger: this.resolved.logger, lock: true }) : o.store;
    const id = this.resolved.identity;
    let registry: KeyRegistry;
    try {
      registry = await KeyRegistry.open(join(store.dir, 'chains'), {
        identity: { suite: id.suite, secret: id.secret, publicKey: id.publicKey },
        trustedManufacturers: o.trustedManufacturers ?? [], trustedWitnesses: o.trustedWitnesses ?? [],
        ...(o.expectedDevice !== undefined ? { expectedDevice: o.expectedDevice } : {}),
        maxDevices: o.maxDevices ?? 64, logger: this.resolved.logger,
      });
    } catch (e) {
      if (owned) await store.close();
      throw receiverError('RECEIVER_STORE', `cannot open the key chains of ${store.dir}: ${(e as Error).message}`, e);
    }
    const emit = ((event: keyof ReceiverEvents, ...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args)) as ConstructorParameters<typeof ReceiverCore>[3];
    const core = new ReceiverCore(this.resolved, store, registry, emit);
    try {
      await core.load();
    } catch (e) {
      if (owned) await store.close();
      throw e;
    }
    this.ownsStore = owned;
    this.core = core;
    this.armSweep();
  }

  private armSweep(): void {
    const ms = this.resolved.sweepIntervalMs;
    if (ms === 0 || this.stopped) return;
    this.sweepTimer = this.resolved.clock.setTimer(ms, () => {
      void this.sweep().catch((e: unknown) => this.resolved.logger.warn({ err: (e as Error).message }, 'sweep failed')).finally(() => this.armSweep());
    });
  }

  private ready(): ReceiverCore {
    if (this.stopped) throw receiverError('RECEIVER_STOPPED', 'receiver was stopped');
    if (this.core === null) throw receiverError('RECEIVER_STOPPED', 'receiver is not started');
    return this.core;
  }

  /**
   * Runs one device session on `conn` until it closes (HELLO, REG, BLOCK…).
   * Resolves with how it ended; never rejects for peer behaviour.
   * @throws SealcamError RECEIVER_STOPPED when not started or stopped.
   */
  handle(conn: Connection): Promise<SessionResult> {
    const core = this.ready();
    const p = runPeerSession(conn, receiverPeer(core)).finally(() => this.sessions.delete(conn));
    this.sessions.set(conn, p);
    return p;
  }

  /** Evicts incomplete captures idle for longer than evictAfterMs; returns how many. */
  sweep(): Promise<number> {
    const core = this.ready();
    return core.exclusive(() => core.sweep());
  }

  /** Closes every device's partial SaveHash batch now (e.g. before exporting at exit). */
  flushSaveHash(): Promise<void> {
    const core = this.ready();
    return core.exclusive(() => core.flushSaveHash());
  }

  private started(): ReceiverCore {
    if (this.core === null) throw receiverError('RECEIVER_STOPPED', 'receiver is not started');
    return this.core;
  }

  /** A snapshot of the counters (also after stop()). @throws SealcamError RECEIVER_STOPPED before start(). */
  stats(): ReceiverStats {
    const s = this.started().stats;
    return { ...s, acks: { ...s.acks }, rejections: { ...s.rejections }, protocolErrors: { ...s.protocolErrors }, previews: { ...s.previews }, c2pa: { ...s.c2pa } };
  }

  /** The registered devices with their key cycles and progress (also after stop()). */
  devices(): DeviceSummary[] {
    const core = this.started();
    return [...core.registry.all()].map((d) => {
      const addrHex = toHex(d.device.addr);
      const ds = core.devices.get(addrHex);
      return {
        deviceAddr: addrHex, suite: d.device.suite, keyIds: d.cycles.map((c) => c.keyIdHex),
        pendingCaptures: ds?.pending().length ?? 0, saveHashPending: ds?.batcher?.pending ?? 0,
        chainTip: ds?.tracker.tip ?? null, openGaps: ds?.tracker.openGaps().length ?? 0,
      };
    });
  }

  /** The store (for exports while running). */
  get store(): ReceiverStore {
    return this.ready().store;
  }

  /**
   * Closes every open session, waits for them and for queued ledger appends.
   * Idempotent; never rejects.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sweepTimer?.cancel();
    const open = [...this.sessions];
    await Promise.allSettled(open.map(([conn]) => conn.close()));
    await Promise.allSettled(open.map(([, p]) => p));
    if (this.core !== null) await this.core.exclusive(() => this.core!.idle()).catch(() => undefined);
    if (this.core !== null && this.ownsStore) await this.core.store.close();
  }
}
