/**
 * The daemon's uplink to its storage servers over MQTT (docs/DAEMON.md
 * "Transports", docs/MQTT.md): one broker client, and per configured server
 * (`mqtt.servers[]`) a loop that opens an MQTT session, hands it to the
 * delivery (outbox destination = server id; the session runs HELLO, REG for
 * every key cycle the server lacks, then streams and checks signed ACKs and
 * STATUS), waits until it ends, and opens a new one with jittered exponential
 * backoff. Broker reconnects are the MQTT link's own business and keep the
 * session; a session the server lost (restart, idle timeout, sequence gap)
 * ends, and the next one re-runs HELLO and REG from scratch while the outbox
 * re-sends every unacknowledged block. Lifecycle: start() / stop().
 */
import type { Clock } from '../platform/clock.js';
import { isSealcamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Rng } from '../platform/rng.js';
import { backoffDelay, type MqttPeerAddress } from '../transport/mqtt/index.js';
import type { Connection, ConnectOptions } from '../transport/transport.js';

/** The part of MqttTransport the uplink uses (injectable in tests). */
export interface MqttUplinkTransport {
  connect(address: MqttPeerAddress, opts?: ConnectOptions): Promise<Connection>;
  close(): Promise<void>;
}

/** Options of {@link MqttUplink}. */
export interface MqttUplinkOptions {
  readonly transport: MqttUplinkTransport;
  readonly deviceAddr: Uint8Array;
  /** Storage server ids (outbox destinations), in configuration order. */
  readonly serverIds: readonly string[];
  /** Runs a delivery session on the connection (DeviceDaemon.attach / Delivery.attach). */
  readonly attach: (conn: Connection) => void;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Reopen backoff: first delay and cap in ms (default 1000 and 60 000). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A session that lasted this long resets the backoff (ms, default 10 000). */
  readonly healthyAfterMs?: number;
}

/** Per-server state, for status and logs. */
export interface MqttServerLinkStatus {
  readonly id: string;
  /** A session is open now. */
  readonly open: boolean;
  /** Sessions opened so far. */
  readonly sessions: number;
  /** Failed opens so far. */
  readonly openFailures: number;
  /** Code of the last open failure or session end error, if any. */
  readonly lastError: string | null;
}

interface ServerState {
  id: string;
  conn: Connection | null;
  sessions: number;
  openFailures: number;
  lastError: string | null;
}

/** Keeps one delivery session open per storage server. */
export class MqttUplink {
  private readonly ac = new AbortController();
  private readonly state: ServerState[];
  private loops: Promise<void>[] = [];

  /** Only assigns. */
  constructor(private readonly o: MqttUplinkOptions) {
    this.state = o.serverIds.map((id) => ({ id, conn: null, sessions: 0, openFailures: 0, lastError: null }));
  }

  /** Starts one session loop per server (returns at once; sessions open in the background). */
  start(): void {
    if (this.loops.length > 0 || this.ac.signal.aborted) return;
    this.loops = this.state.map((s) => this.run(s));
  }

  /** Per-server session state. */
  status(): MqttServerLinkStatus[] {
    return this.state.map((s) => ({ id: s.id, open: s.conn !== null && !s.conn.closed, sessions: s.sessions, openFailures: s.openFailures, lastError: s.lastError }));
  }

  /** Ends the loops, closes the open sessions (in-flight blocks go back to the outbox) and the broker client. Never throws. */
  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all(this.state.map((s) => (s.conn ? s.conn.close().catch(() => {}) : Promise.resolve())));
    await Promise.all(this.loops);
    await this.o.transport.close().catch((e: unknown) => this.o.logger.warn({ err: (e as Error).message }, 'mqtt: closing the broker client failed'));
  }

  private async run(s: ServerState): Promise<void> {
    const { o } = this;
    const signal = this.ac.signal;
    const log = o.logger;
    let attempt = 0;
    while (!signal.aborted) {
      let conn: Connection;
      try {
        conn = await o.transport.connect({ deviceAddr: o.deviceAddr, serverId: s.id }, { signal });
      } catch (e) {
        if (signal.aborted) break;
        s.openFailures++;
        s.lastError = isSealcamError(e) ? e.code : 'CONNECT_FAILED';
        const delay = this.delay(attempt++);
        log.warn({ server: s.id, code: s.lastError, err: (e as Error).message, retryInMs: delay }, 'mqtt: cannot open a session with the storage server');
        await this.sleep(delay);
        continue;
      }
      if (signal.aborted) {
        await conn.close().catch(() => {});
        break;
      }
      s.conn = conn;
      s.sessions++;
      const opened = o.clock.now();
      log.info({ server: s.id, conn: conn.id, sessions: s.sessions }, 'mqtt: session with the storage server opened');
      o.attach(conn);
      const err = await conn.whenClosed();
      s.conn = null;
      if (signal.aborted) break;
      if (err) s.lastError = err.code;
      if (o.clock.now() - opened >= BigInt(o.healthyAfterMs ?? 10_000)) attempt = 0;
      const delay = this.delay(attempt++);
      log.info({ server: s.id, code: err?.code ?? null, retryInMs: delay }, 'mqtt: session with the storage server ended; reopening');
      await this.sleep(delay);
    }
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, { initialMs: this.o.initialBackoffMs ?? 1000, maxMs: this.o.maxBackoffMs ?? 60_000 }, this.o.rng);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.ac.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        t.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = this.o.clock.setTimer(ms, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
