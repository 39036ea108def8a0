/**
 * The daemon's uplink to its storage servers over MQTT (docs/DAEMON.md
 * "Transports", docs/MQTT.md): one broker client, and per configured server
 * (`mqtt.servers[]`) a loop that opens an MQTT connection, hands it to the
 * delivery (outbox destination = server id; the session runs HELLO, REG for
 * every key cycle the server lacks, then streams and checks signed ACKs and
 * STATUS), waits until the session ends, and opens a new one after a
 * backoff (the shared reconnect loop, src/platform/reconnect.ts). There is no MQTT session to lose: broker reconnects
 * are the MQTT link's business (it retries until stopped), a server restart
 * changes nothing here (it answers every message on its own), and a block
 * whose ACK never comes is handed out again by the outbox after its ack
 * deadline. A session ends when the server does not answer the HELLO or the
 * session meets a protocol error. Lifecycle: start() / stop().
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { runReconnectLoop } from '../../platform/reconnect.js';
import type { Rng } from '../../platform/rng.js';
import type { MqttPeerAddress } from '../../transport/mqtt/index.js';
import type { Connection, ConnectOptions } from '../../transport/transport.js';

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

  private run(s: ServerState): Promise<void> {
    const { o } = this;
    const log = o.logger;
    return runReconnectLoop<Connection>({
      signal: this.ac.signal, clock: o.clock, rng: o.rng,
      backoff: { initialMs: o.initialBackoffMs ?? 1000, maxMs: o.maxBackoffMs ?? 60_000 },
      dial: (signal) => o.transport.connect({ deviceAddr: o.deviceAddr, serverId: s.id }, { signal }),
      session: async (conn) => {
        s.conn = conn;
        s.sessions++;
        const opened = o.clock.now();
        log.info({ server: s.id, conn: conn.id, sessions: s.sessions }, 'mqtt: session with the storage server opened');
        o.attach(conn);
        const err = await conn.whenClosed();
        s.conn = null;
        if (err) s.lastError = err.code;
        return o.clock.now() - opened >= BigInt(o.healthyAfterMs ?? 10_000);
      },
      close: (conn) => conn.close(),
      onDialFailed: (code, e, retryInMs) => {
        s.openFailures++;
        s.lastError = code === 'DIAL_FAILED' ? 'CONNECT_FAILED' : code;
        log.warn({ server: s.id, code: s.lastError, err: (e as Error).message, retryInMs }, 'mqtt: cannot open a session with the storage server');
      },
      onSessionEnded: (retryInMs) => log.info({ server: s.id, code: s.lastError, retryInMs }, 'mqtt: session with the storage server ended; reopening'),
    });
  }
}
