/**
 * Composition root of a storage server (ARCHITECTURE.md "server/",
 * docs/SERVER.md): data directory (lock, server key, registry, block store),
 * verifier, the devices' messages over the MQTT transport from the
 * configuration, each answered on its own (mqtt-service.ts) — or one session
 * per connection of an injected transport (loopback for the demo, TCP) — and
 * the periodic signed STATUS (retained on MQTT). `stop()` reverses the start,
 * and one failing step does not block the others.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Suite } from '../crypto/ecdsa.js';
import { fromHex } from '../platform/bytes.js';
import { systemClock, type Clock, type TimerHandle } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemRng, type Rng } from '../platform/rng.js';
import type { MqttTransport } from '../transport/mqtt/mqtt-transport.js';
import { serverClientId } from '../transport/mqtt/options.js';
import type { Transport } from '../transport/transport.js';
import type { ServerConfig } from './config-schema.js';
import { KeyRegistry } from '../peer/key-registry.js';
import { serveMqtt } from './mqtt-service.js';
import { loadServerKey } from './server-key.js';
import { runPeerSession } from '../peer/session.js';
import { serverPeer, type ServerPeerDeps } from './peer.js';
import { ServerStats, type ServerStatsSnapshot } from './stats.js';
import { buildStatus } from './status.js';
import { BlockStore } from './store.js';
import { BlockVerifier } from './verifier.js';

/** Injected seams of a server. */
export interface StorageServerDeps {
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
  /** Listen here (one session per connection) instead of on MQTT from the configuration (loopback/TCP in tests and the demo). */
  transport?: Transport<unknown>;
  /** HELLO deadline of a new session (default 10 000 ms). */
  helloTimeoutMs?: number;
  /** Where systemd put the service's credentials (default $CREDENTIALS_DIRECTORY; null: none). */
  credentialsDirectory?: string | null;
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
  /** False while the MQTT broker is not connected (always true for an injected transport). */
  connected(): boolean;
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
    sessionExpirySec: m.sessionExpirySec, topicPrefix: m.topicPrefix, serverId: cfg.id,
    maxFrameBytes: cfg.limits.maxFrameBytes, maxHeldBytes: m.maxHeldBytes,
    ...(m.shareGroup !== undefined ? { shareGroup: m.shareGroup } : {}),
    ...(m.username !== undefined ? { username: m.username } : {}), ...(m.password !== undefined ? { password: m.password } : {}),
    ...(m.caFile !== undefined ? { mqttOptions: { ca: readFileSync(m.caFile) } } : {}),
    clock, rng, logger,
  });
}

/**
 * Starts a storage server from a validated configuration.
 * @throws SealcamError STORE_LOCKED, STORE_CORRUPT, SERVER_KEY_PERMISSIONS, SERVER_KEY_FORMAT, SERVER_KEY_CONFLICT;
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
    const credentialsDirectory = deps.credentialsDirectory === undefined ? process.env['CREDENTIALS_DIRECTORY'] : deps.credentialsDirectory;
    const { identity, source } = await loadServerKey(cfg.dataDir, cfg.key.suite as Suite, { credentialsDirectory, name: cfg.key.credentialName });
    if (source === 'created') logger.info({ address: Buffer.from(identity.address).toString('hex') }, 'server: created a new server key');
    if (source === 'credential') logger.info({ credential: cfg.key.credentialName }, 'server: key from the systemd credential');
    const trusted = (l: readonly { suite: number; publicKey: string }[]): { suite: Suite; publicKey: Uint8Array }[] =>
      l.map((t) => ({ suite: t.suite as Suite, publicKey: fromHex(t.publicKey) }));
    const registry = await KeyRegistry.open(join(cfg.dataDir, 'chains'), {
      identity, trustedManufacturers: trusted(cfg.trustedManufacturers), trustedWitnesses: trusted(cfg.trustedWitnesses),
      maxDevices: cfg.verify.maxDevices, keyCache: cfg.verify.keyCache, logger,
    });
    const stats = new ServerStats();
    const minFree = BigInt(cfg.store.minFreeBytes);
    let space = await store.space();
    let status: Uint8Array | undefined;
    const verifier = new BlockVerifier({
      registry, store, clock, logger, freshnessMs: cfg.verify.freshnessMs, headerCache: cfg.verify.headerCache,
      freeBytes: () => space.free, minFreeBytes: minFree,
    });
    const ctx: ServerPeerDeps = {
      serverId: cfg.id, identity, verifier, stats, clock, logger, helloTimeoutMs: deps.helloTimeoutMs ?? 10_000,
      maxInflight: cfg.limits.maxInflightPerSession, maxViolations: cfg.limits.maxViolationsPerSession,
      status: () => status, serialize: serializer(), registry,
    };
    let publishStatus: ((status: Uint8Array) => Promise<void>) | undefined;
    let url: string;
    let mqtt: MqttTransport | undefined;
    if (deps.transport === undefined) {
      const transport = await mqttFromConfig(cfg, clock, rng, logger);
      mqtt = transport;
      cleanup.push(() => transport.close());
      const intake = await serveMqtt(transport, ctx);
      cleanup.push(() => intake.close());
      publishStatus = (st) => intake.publishStatus(st);
      url = intake.url;
    } else {
      const sessions = new Set<Promise<void>>();
      const peer = serverPeer(ctx);
      const listener = await deps.transport.listen((conn) => {
        const s = runPeerSession(conn, peer).then(() => undefined);
        sessions.add(s);
        void s.finally(() => sessions.delete(s));
      });
      cleanup.push(async () => {
        await listener.close();
        await Promise.allSettled([...sessions]);
      });
      url = listener.url;
    }
    const signStatus = async (): Promise<Uint8Array> => {
      space = await store.space();
      status = buildStatus(identity, { now: clock.now(), free: space.free, total: space.total, minFreeBytes: minFree, accepted: store.blockCount, rejected: stats.rejected });
      return status;
    };
    const refreshStatus = async (): Promise<void> => {
      await publishStatus?.(await signStatus());
    };
    // The first STATUS is published when the broker takes it: a server starts without its broker.
    void publishStatus?.(await signStatus()).catch((e: Error) => logger.warn({ err: e.message }, 'server: first STATUS not published'));
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
    logger.info({ url, devices: registry.deviceCount, blocks: store.blockCount }, 'server: started');
    let stopping: Promise<void> | undefined;
    return {
      serverId: cfg.id, suite: identity.suite, publicKey: identity.publicKey, address: identity.address, url, dataDir: cfg.dataDir,
      stats: () => ({ ...stats.snapshot(store), ...(mqtt !== undefined ? { mqtt: mqtt.stats() } : {}) }),
      connected: () => mqtt?.link.connected ?? true,
      refreshStatus,
      stop: () => (stopping ??= undo().then(() => logger.info(stats.snapshot(store), 'server: stopped'))),
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
