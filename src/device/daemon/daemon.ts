/**
 * The device daemon's composition root (ARCHITECTURE.md device/, STYLE.md §11):
 * keystore → identity → outbox → chain state → registrations/acks → key
 * manager → pipeline → delivery (TCP listener) → camera + capture loop.
 * The constructor only assigns; `start()` brings components up in that order
 * and `stop()` takes them down in reverse, one failure not blocking the
 * others. Stopping lets the camera drain, finishes the captures being signed
 * and waits until they are durably queued (bounded by `drainMs`).
 */
import { ecdsaSign } from '../../crypto/ecdsa.js';
import type { Camera } from '../../capture/camera.js';
import { createCaptureCamera } from '../../capture/factory.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import { Outbox } from '../../outbox/outbox.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import type { Notifier } from '../../platform/sd-notify.js';
import { toHex } from '../../platform/bytes.js';
import { AckBook } from '../delivery/ack-book.js';
import { ChainState } from '../keys/chain-state.js';
import type { DeviceConfig } from './config.js';
import { ConfigError } from './config.js';
import * as build from './build.js';
import { ServiceNotifier } from '../../platform/service-notifier.js';
import { buildStatus, statusLine, type DaemonState, type DaemonStatus } from './status.js';
import { Delivery, outboxQueue } from '../delivery/delivery.js';
import { newCounters, type SessionDeps } from '../delivery/types.js';
import { configuredDestinations, type Destination } from '../delivery/destinations.js';
import { initDeviceState, loadDeviceIdentity, type DeviceIdentity } from '../identity/identity.js';
import { KeyManager } from '../keys/manager.js';
import { CaptureRunner } from './camera-progress.js';
import type { KeygenFn } from '../keys/types.js';
import { CapturePipeline } from '../pipeline/pipeline.js';
import type { SignedForOutbox } from '../pipeline/capture-signer.js';
import { captureManifestStore, deviceC2paSigner, signedCaptureBundle } from '../pipeline/c2pa-photo.js';
import { newPipelineStats } from '../pipeline/types.js';
import { Registrations } from '../keys/registrations.js';
import { keyChainOf, writeKeychainFile } from '../keys/chain-file.js';
import { ServerSpaceBook } from '../delivery/server-space.js';
import { ensureStateDir, STATE_FILES, statePath } from './state-dir.js';
import { startTransports, type DeviceTransportSeams } from '../links/start.js';

/** Options of {@link DeviceDaemon}. */
export interface DaemonOptions {
  readonly config: DeviceConfig;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly notifier?: Notifier;
  /** Create a missing device identity with a throwaway DEV manufacturer (never for production). */
  readonly dev?: boolean;
  /** Key generation (default: fresh safe primes in a worker). */
  readonly keygen?: KeygenFn;
  /** Camera factory (default: capture/ createCaptureCamera from the config). */
  readonly camera?: () => Promise<Camera>;
  /** How long stop() waits for captures being signed/stored (ms, default 10 000). */
  readonly drainMs?: number;
  /** Transport seams (tests: the simulated BLE radio, an injected MQTT transport). */
  readonly transports?: DeviceTransportSeams;
}

/** The daemon. Lifecycle: `new` → `start()` → `stop()`; `status()` any time. */
export class DeviceDaemon {
  private state: DaemonState = 'idle';
  private startedAt: bigint | null = null;
  private readonly stops: { name: string; fn: () => Promise<void> }[] = [];
  private readonly counters = newCounters();
  private readonly space = new ServerSpaceBook();
  private readonly clock: Clock;
  private readonly log: Logger;
  private identity: DeviceIdentity | null = null;
  private outbox: Outbox | null = null;
  private chain: ChainState | null = null;
  private km: KeyManager | null = null;
  private pipeline: CapturePipeline | null = null;
  private delivery: Delivery | null = null;
  private runner: CaptureRunner | null = null;
  private notify: ServiceNotifier | null = null;
  private lastError: { code: string; message: string; at: bigint } | null = null;

  /** Only assigns. */
  constructor(private readonly o: DaemonOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger;
  }

  private onStop(name: string, fn: () => Promise<void>): void {
    this.stops.push({ name, fn });
  }

  /**
   * Starts every component in order; on failure stops what was started and rethrows.
   * @throws ConfigError CONFIG_INVALID (destinations); DeviceStateError; KeyStoreError; KeyManagerError; OutboxError; TransportError; CaptureError
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`daemon is ${this.state}`);
    this.state = 'starting';
    try {
      await this.startAll();
      this.state = 'running';
      this.startedAt = this.clock.now();
      this.notify?.ready();
      this.log.info({ device: this.identity?.toJSON(), listening: this.delivery?.url }, 'device daemon running');
    } catch (e) {
      this.lastError = { code: (e as { code?: string }).code ?? 'START_FAILED', message: (e as Error).message, at: this.clock.now() };
      await this.stop();
      this.state = 'failed';
      throw e;
    }
  }

  private async startAll(): Promise<void> {
    const { config: cfg } = this.o;
    const env = this.o.env ?? process.env;
    const log = this.log;
    const stateDir = cfg.stateDir;
    await ensureStateDir(stateDir);
    const ks = await FileKeyStore.open({
      dir: statePath(stateDir, STATE_FILES.keys), credentialName: cfg.keys.credentialName,
      requireEncryption: cfg.keys.requireEncryption, logger: log.child({ component: 'keystore' }),
    });
    this.onStop('keystore', () => ks.close());
    const params = { k: cfg.keys.modulusBits, n: cfg.keys.blocks, T: cfg.keys.periods, delta: cfg.keys.periodMs };
    const keygen = this.o.keygen;
    const id = this.o.dev
      ? await initDeviceState(stateDir, {
        keystore: ks, factory: 'dev', suite: build.deviceSuite(cfg), logger: log, params, clock: this.clock, ...(keygen ? { keygen } : {}),
      })
      : await loadDeviceIdentity(stateDir, ks);
    this.identity = id;
    this.onStop('identity', () => Promise.resolve(id.destroy()));
    const { destinations, problems } = configuredDestinations(cfg, id);
    if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', problems);
    const destMap = new Map<string, Destination>(destinations.map((d) => [d.id, d]));

    const outbox = await Outbox.open(build.outboxOptions(cfg, stateDir, this.clock, log));
    this.outbox = outbox;
    this.onStop('outbox', async () => {
      this.outbox = null;
      await outbox.close();
    });
    for (const d of destinations) await outbox.addDestination(d.id);
    const stale = outbox.destinations().filter((d) => !destMap.has(d));
    if (stale.length > 0) log.warn({ stale }, 'device: the outbox holds destinations no longer configured; their records are kept (sealcam export)');

    const chain = new ChainState(stateDir);
    await chain.load(await build.recoverChainHead(outbox, log));
    this.chain = chain;
    this.onStop('chain', () => chain.flush());
    const acks = new AckBook(stateDir);
    await acks.load();

    const km = new KeyManager({
      store: ks, clock: this.clock, rng: this.o.rng ?? systemRng, logger: log.child({ component: 'keys' }),
      params: { ...params, deviceAddr: id.address }, issuedAt: id.factory.issuedAt,
      nextCycleFraction: cfg.keys.nextCycleAt, nextCycleLeadMs: cfg.keys.nextCycleLeadMs,
      ...(keygen ? { keygen } : {}),
    });
    const regs = new Registrations(id, () => km.chain, () => this.clock.now());
    // Every chain change: sessions register again, and the public copy follows (device/keys/chain-file.ts).
    const mirror = (): void => {
      void writeKeychainFile(stateDir, id.factory, km.chain).catch((e: unknown) => log.error({ err: (e as Error).message }, 'keys: cannot write keychain.json'));
    };
    km.on('chain', () => {
      regs.changed();
      mirror();
    });
    km.on('cycle-switch', (e) => log.info({ from: e.from ? toHex(e.from) : null, to: toHex(e.to), m: e.m }, 'keys: key cycle switched'));
    km.on('next-cycle-ready', (e) => log.info({ keyId: toHex(e.keyId), t0: e.t0.toString() }, 'keys: next key cycle ready'));
    km.on('period', (e) => log.debug({ m: e.m, from: e.from }, 'keys: period'));
    km.on('error', (e) => (this.lastError = { code: e.code, message: e.message, at: this.clock.now() }));
    await km.start();
    this.km = km;
    this.onStop('key manager', () => km.stop());
    await writeKeychainFile(stateDir, id.factory, km.chain);

    const ids = destinations.map((d) => d.id);
    const servers = destinations.filter((d) => d.kind === 'server');
    // Capture-time Content Credentials for receivers (docs/C2PA.md "Credentials through the receiver"):
    // a suite-2 device with a certificate signs each JPEG capture's C2PA manifest store right after the capture.
    const c2paSigner = await deviceC2paSigner(stateDir, id).catch((e: unknown) => {
      log.info({ code: (e as { code?: string }).code }, 'device: no capture-time C2PA manifests (suite 1 or no certificate.pem)');
      return null;
    });
    const rng = this.o.rng ?? systemRng;
    const pipeline = new CapturePipeline({
      identity: id, keys: km, chain, outbox, destinations: () => ids, maxBlockBytes: build.MAX_BLOCK_BYTES,
      servers: (n) => this.space.spaces(servers, n, this.clock.now()), serverIds: () => servers.map((s) => s.id),
      clock: this.clock, logger: log.child({ component: 'pipeline' }),
      ...(c2paSigner ? {
        credentials: (jpeg: Uint8Array, s: SignedForOutbox) =>
          captureManifestStore(jpeg, signedCaptureBundle(s.payloads, id.suite, id.publicKey, keyChainOf(id.factory, km.chain)), c2paSigner, rng),
      } : {}),
    });
    this.pipeline = pipeline;
    outbox.on('full', () => pipeline.setFull(true));
    outbox.on('available', () => pipeline.setFull(false));
    pipeline.on('full', () => this.notify?.status());
    pipeline.on('available', () => this.notify?.status());

    const deps: SessionDeps = {
      identity: id, destinations: destMap, registrations: regs, acks, queue: outboxQueue(outbox, (seq) => chain.cover(seq)), space: this.space,
      onWitness: (keyId, ack) => km.addWitness(keyId, ack),
      counters: this.counters, clock: this.clock, logger: log.child({ component: 'delivery' }),
    };
    const delivery = new Delivery(deps, { tcp: await build.tcpOptions(cfg, this.clock) });
    this.delivery = delivery;
    this.onStop('delivery', () => delivery.stop());
    await delivery.start();
    // MQTT uplink to the storage servers and the BLE peripheral for the owner's phone (src/device/transport-*.ts)
    const transports = await startTransports({
      config: cfg, deviceAddr: id.address, ownerAddr: () => (this.identity ?? id).ownerAddr, attach: (c) => delivery.attach(c),
      clock: this.clock, rng: this.o.rng ?? systemRng, logger: log, ...(this.o.transports ? { seams: this.o.transports } : {}),
      // Preview thumbnails are signed with the device key; the secret never leaves the identity.
      thumbnailSigner: { suite: id.suite, sign: (m) => ecdsaSign(id.suite, (this.identity ?? id).secret, m) },
    });
    for (const t of transports) this.onStop(t.name, () => t.stop());

    const runner = new CaptureRunner({
      pipeline, clock: this.clock, logger: log, drainMs: this.o.drainMs ?? 10_000,
      onError: (code, message) => (this.lastError = { code, message, at: this.clock.now() }),
    });
    this.runner = runner;
    this.notify = new ServiceNotifier(this.o.notifier, this.clock, () => statusLine(this.status()), (ms) => runner.healthy(ms), env);
    this.onStop('camera', () => runner.stop());
    await runner.start(() => this.makeCamera(cfg));
  }

  private makeCamera(cfg: DeviceConfig): Promise<Camera> {
    if (this.o.camera) return this.o.camera();
    const env = this.o.env ?? process.env;
    return createCaptureCamera(build.cameraConfig(cfg), build.policyConfig(cfg), { clock: this.clock, logger: this.log.child({ component: 'camera' }), env });
  }

  /**
   * Restarts the camera with the camera/capture settings of `cfg` (SIGHUP reload, src/device/daemon/reload.ts).
   * @throws Error when not running; CaptureError when the new camera cannot start
   */
  async restartCamera(cfg: DeviceConfig): Promise<void> {
    if (this.state !== 'running' || !this.runner) throw new Error(`daemon is ${this.state}`);
    await this.runner.restart(() => this.makeCamera(cfg));
  }

  /** The loaded identity while running (the bind inbox signs with it; never log it), else null. */
  get deviceIdentity(): DeviceIdentity | null {
    return this.state === 'running' ? this.identity : null;
  }

  /** True when captures made progress within `thresholdMs` (watchdog and health file; device/daemon/camera-progress.ts). */
  healthy(thresholdMs: number): boolean {
    return this.state === 'running' && this.runner !== null && this.runner.healthy(thresholdMs);
  }

  /** Attaches any connected peer (MQTT/BLE adapters, tests) to a delivery session. */
  attach(conn: Parameters<Delivery['attach']>[0]): void {
    if (!this.delivery) throw new Error('daemon is not running');
    this.delivery.attach(conn);
  }

  /** The TCP listener URL, or null. */
  get url(): string | null {
    return this.delivery?.url ?? null;
  }

  /** Stops everything started, in reverse order; errors are logged, not thrown. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.notify?.stopping();
    if (wasRunning) this.log.info('device daemon stopping');
    for (const s of this.stops.splice(0).reverse()) {
      try {
        await s.fn();
      } catch (e) {
        this.lastError = { code: (e as { code?: string }).code ?? 'STOP_FAILED', message: (e as Error).message, at: this.clock.now() };
        this.log.error({ component: s.name, err: (e as Error).message }, 'device: stopping a component failed');
      }
    }
    await this.notify?.flush();
    this.state = 'stopped';
    if (wasRunning) this.log.info({ captures: this.pipeline?.stats.queued ?? 0 }, 'device daemon stopped');
  }

  /** The status snapshot (docs/DAEMON.md "Status"); `pending` adds the oldest queued seq (costs a scan of the outbox index). */
  status(opts: { pending?: boolean } = {}): DaemonStatus {
    const id = this.identity;
    const cam = this.runner?.camera ?? null;
    return buildStatus({
      state: this.state, startedAt: this.startedAt,
      device: id && { address: id.address, manufacturerAddr: id.manufacturerAddr, ownerAddr: id.ownerAddr, suite: id.suite },
      pipeline: this.pipeline?.stats ?? newPipelineStats(),
      outbox: this.outbox?.status() ?? null,
      ...(opts.pending && this.outbox ? { oldestSeq: this.outbox.listPending()[0]?.seq ?? null } : {}),
      keys: this.km?.status() ?? null, committedSeq: this.chain?.committed ?? 0n,
      listening: this.delivery?.url ?? null, sessions: this.delivery?.list() ?? [], counters: this.counters,
      camera: cam && { stats: cam.stats(), health: cam.health() }, lastError: this.lastError,
    });
  }
}
