/**
 * Composition root of a storage server (ARCHITECTURE.md "server/",
 * docs/SERVER.md): data directory (lock, server key, registry, block store),
 * verifier, one session per device connection on the MQTT transport from the
 * configuration (or an injected transport, e.g. loopback for the demo), and the
 * periodic signed STATUS (retained on MQTT). `stop()` reverses the start,
 * and one failing step does not block the others.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Suite } from '../crypto/ecdsa.js';
import { fromHex } from '../platform/bytes.js';
import { systemClock, type Clock, type TimerHandle } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemRng, type Rng } from '../platform/rng.js';
import type { MqttTransport } from '../transport/mqtt/mqtt-transport.js';
import { serverClientId } from '../transport/mqtt/options.js';
import type { Listener, Transport } from '../transport/transport.js';
import type { ServerConfig } from './config-schema.js';
import { DeviceRegistry } from './registry.js';
import { loadOrCreateServerKey } from './server-key.js';
import { runSession, type SessionContext } from './session.js';
import { ServerStats, type ServerStatsSnapshot } from './stats.js';
import { buildStatus } from './status.js';
import { BlockStore } from './store.js';
import { BlockVerifier } from './verifier.js';

/** Injected seams of a server. */
export interface StorageServerDeps {
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
  /** Listen here instead of on MQTT from the configuration (loopback/TCP in tests and the demo). */
  transport?: Transport<unknown>;
  /** HELLO deadline of a new session (default 10 000 ms). */
  helloTimeoutMs?: number;
}

/** A running storage server. */
export interface StorageServer {
  readonly serverId: string;
  readonly suite: Suite;
  /** 65-byte public key: the devices' mqtt.servers[].publicKey. */
  readonly publicKey: Uint8Array;
  /** DSTP address of the server key (20 bytes). */
  readonly address: Uint8Array;
  /** Where it listens. */
  readonly url: string;
  readonly dataDir: string;
  stats(): ServerStatsSnapshot;
  /** Signs and publishes a fresh STATUS now. */
  refreshStatus(): Promise<void>;
  /** Stops accepting, finishes sessions and commits, releases the store. Idempotent. */
  stop(): Promise<void>;
}

/** Runs `fn` calls one at a time. */
function serializer(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
}

/** The MQTT transport of the configuration (mqtt.js is loaded only here). */
async function mqttFromConfig(cfg: ServerConfig, clock: Clock, rng: Rng, logger: Logger): Promise<MqttTransport> {
  const m = cfg.mqtt;
  const { MqttTransport } = await import('../transport/mqtt/mqtt-transport.js');
  return new MqttTransport({
    url: m.url, clientId: m.clientId ?? serverClientId(cfg.id, m.member), protocolVersion: m.protocolVersion as 4 | 5,
    sessionExpirySec: m.sessionExpirySec, topicPrefix: m.topicPrefix, serverId: cfg.id, chunkBytes: m.chunkBytes,
    maxFrameBytes: cfg.limits.maxFrameBytes, maxConnections: m.maxConnections, idleTimeoutMs: m.idleTimeoutMs, gapTimeoutMs: m.gapTimeoutMs,
    ...(m.shareGroup !== undefined ? { shareGroup: m.shareGroup } : {}), ...(m.ordered !== undefined ? { ordered: m.ordered } : {}),
    ...(m.username !== undefined ? { username: m.username } : {}), ...(m.password !== undefined ? { password: m.password } : {}),
    ...(m.caFile !== undefined ? { mqttOptions: { ca: readFileSync(m.caFile) } } : {}),
    clock, rng, logger,
  });
}

/**
 * Starts a storage server from a validated configuration.
 * @throws SealcamError STORE_LOCKED, STORE_CORRUPT, SERVER_KEY_PERMISSIONS, SERVER_KEY_FORMAT;
 *   TransportError LISTEN_FAILED; RangeError when MQTT is disabled and no transport is injected.
 */
export async function startStorageServer(cfg: ServerConfig, deps: StorageServerDeps = {}): Promise<StorageServer> {
  const clock = deps.clock ?? systemClock;
  const rng = deps.rng ?? systemRng;
  const logger = (deps.logger ?? silentLogger).child({ server: cfg.id });
  if (deps.transport === undefined && !cfg.mqtt.enabled) throw new RangeError('mqtt.enabled is false and no transport was injected');
  await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
  const store = await BlockStore.open(cfg.dataDir, { maxBatch: cfg.store.maxBatch, segmentBytes: cfg.store.segmentBytes });
  const cleanup: (() => Promise<void>)[] = [() => store.close()];
  const undo = async (): Promise<void> => {
    for (const f of cleanup.reverse()) await f().catch((e: Error) => logger.error({ err: e.message }, 'server: stop step failed'));
  };
  try {
    for (const p of store.problems) logger.error({ problem: p }, 'server: index problem');
    const { identity, created } = await loadOrCreateServerKey(cfg.dataDir, cfg.key.suite as Suite);
    if (created) logger.info({ address: Buffer.from(identity.address).toString('hex') }, 'server: created a new server key');
    const registry = await DeviceRegistry.open(cfg.dataDir, cfg.verify.keyCache);
    const stats = new ServerStats();
    const minFree = BigInt(cfg.store.minFreeBytes);
    let space = await store.space();
    let status: Uint8Array | undefined;
    const verifier = new BlockVerifier({
      registry, store, clock, logger, freshnessMs: cfg.verify.freshnessMs, headerCache: cfg.verify.headerCache,
      freeBytes: () => space.free, minFreeBytes: minFree,
    });
    const ctx: SessionContext = {
      serverId: cfg.id, identity, verifier, stats, clock, logger, helloTimeoutMs: deps.helloTimeoutMs ?? 10_000,
      maxInflight: cfg.limits.maxInflightPerSession, maxViolations: cfg.limits.maxViolationsPerSession,
      status: () => status, serialize: serializer(),
      registration: {
        registry, identity, maxDevices: cfg.verify.maxDevices,
        trustedManufacturers: cfg.trustedManufacturers.map((t) => ({ suite: t.suite as Suite, publicKey: fromHex(t.publicKey) })),
      },
    };
    const sessions = new Set<Promise<void>>();
    const transport = deps.transport ?? (await mqttFromConfig(cfg, clock, rng, logger));
    if (deps.transport === undefined) cleanup.push(() => (transport as MqttTransport).close());
    const listener: Listener = await transport.listen((conn) => {
      const s = runSession(conn, ctx);
      sessions.add(s);
      void s.finally(() => sessions.delete(s));
    });
    cleanup.push(async () => {
      await listener.close();
      await Promise.allSettled([...sessions]);
    });
    const refreshStatus = async (): Promise<void> => {
      space = await store.space();
      status = buildStatus(identity, { now: clock.now(), free: space.free, total: space.total, minFreeBytes: minFree, accepted: store.blockCount, rejected: stats.rejected });
      const publish = (listener as Partial<{ publishStatus(b: Uint8Array): Promise<void> }>).publishStatus;
      if (typeof publish === 'function') await publish.call(listener, status);
    };
    await refreshStatus().catch((e: Error) => logger.warn({ err: e.message }, 'server: first STATUS not published'));
    let timer: TimerHandle | undefined;
    let stopped = false;
    const tick = (): void => {
      timer = clock.setTimer(cfg.status.intervalMs, () => {
        refreshStatus().catch((e: Error) => logger.warn({ err: e.message }, 'server: STATUS not published')).finally(() => {
          if (!stopped) tick();
        });
      });
    };
    tick();
    cleanup.push(async () => {
      stopped = true;
      timer?.cancel();
    });
    logger.info({ url: listener.url, devices: registry.deviceCount, blocks: store.blockCount }, 'server: started');
    let stopping: Promise<void> | undefined;
    return {
      serverId: cfg.id, suite: identity.suite, publicKey: identity.publicKey, address: identity.address, url: listener.url, dataDir: cfg.dataDir,
      stats: () => stats.snapshot(store),
      refreshStatus,
      stop: () => (stopping ??= undo().then(() => logger.info(stats.snapshot(store), 'server: stopped'))),
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
