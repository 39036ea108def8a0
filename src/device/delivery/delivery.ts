/**
 * Delivery of queued blocks to connected peers (SESSION-PROTOCOL): the LAN
 * TCP listener (the device LISTENS; receivers connect) plus any Connection
 * handed to `attach` (MQTT, BLE). One DeliverySession per connection; a
 * second session for the same destination replaces the older one (a phone
 * that reconnected leaves a half-dead socket behind) — but only once it has
 * passed the authorisation challenge: a failed one replaces nothing, is
 * counted, and its host is refused for a while after repeated failures
 * (auth-throttle.ts).
 */
import type { Outbox } from '../../outbox/outbox.js';
import { listenTcp, type TcpListenOptions } from '../../transport/tcp/tcp-transport.js';
import type { Connection, Listener } from '../../transport/transport.js';
import { DeliverySession } from './session.js';
import type { BlockQueue, LeasedBlock, SessionDeps } from './types.js';
import { AuthThrottle } from '../links/auth-throttle.js';

/**
 * The outbox as a {@link BlockQueue}. `beforeDone(seq)` resolves once forgetting capture `seq` is
 * safe — the chain head covers it (ChainState.cover): a block is sent as soon as it is stored, and
 * only the acknowledgement that may complete its record waits for the head.
 */
export function outboxQueue(outbox: Outbox, beforeDone: (seq: bigint) => Promise<void>): BlockQueue {
  return {
    pull: async (dest, signal): Promise<LeasedBlock> => {
      const it = await outbox.pull(dest, { signal });
      return { seq: it.seq, index: it.index, data: it.data };
    },
    done: async (dest, seq, index) => {
      try {
        await beforeDone(seq);
      } catch (e) {
        outbox.nack(dest, seq, index); // kept, and sent again after the backoff
        throw e;
      }
      await outbox.ack(dest, seq, index);
    },
    retry: (dest, seq, index) => outbox.nack(dest, seq, index),
    release: (dest, seq, index) => outbox.release(dest, seq, index),
  };
}

/** One live session, for status. */
export interface SessionInfo {
  readonly conn: string;
  readonly transport: string;
  readonly remote: string;
  readonly dest: string | null;
}

/** Options of {@link Delivery}. */
export interface DeliveryOptions {
  /** LAN TCP listener options, or null for none. */
  readonly tcp: TcpListenOptions | null;
}

/** Sessions and listeners of the daemon. Lifecycle: new → start() → stop(). */
export class Delivery {
  private listener: Listener | null = null;
  private readonly sessions = new Map<DeliverySession, Promise<void>>();
  private readonly byDest = new Map<string, DeliverySession>();
  private readonly throttle: AuthThrottle;
  private readonly deps: SessionDeps;
  private stopped = false;

  /** Only assigns. */
  constructor(deps: SessionDeps, private readonly opts: DeliveryOptions) {
    this.throttle = new AuthThrottle({ clock: deps.clock });
    this.deps = {
      ...deps,
      onAuthFailure: (remote) => {
        this.throttle.failed(remote);
        deps.onAuthFailure?.(remote);
      },
    };
  }

  /** The TCP listener URL (e.g. tcp://0.0.0.0:7447), or null. */
  get url(): string | null {
    return this.listener?.url ?? null;
  }

  /** Starts listening. @throws (rejects) TransportError LISTEN_FAILED | TLS_CONFIG */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.opts.tcp) {
      this.listener = await listenTcp({ ...this.opts.tcp, logger: this.deps.logger }, (conn) => this.attach(conn));
      this.deps.logger.info({ url: this.listener.url }, 'delivery: listening for receivers');
    }
  }

  /** Runs a session on any connected peer (the connection is owned from now on). */
  attach(conn: Connection): void {
    if (this.stopped) {
      void conn.close();
      return;
    }
    if (conn.authenticatedAs === undefined && this.throttle.blocked(conn.remote)) {
      this.deps.counters.authRefused++;
      void conn.close();
      return;
    }
    const s = new DeliverySession(conn, this.deps);
    const done = s
      .run((ready) => {
        const dest = ready.dest!.id;
        const old = this.byDest.get(dest);
        this.byDest.set(dest, ready);
        if (old) {
          this.deps.logger.info({ dest, old: old.conn.id, new: conn.id }, 'delivery: a newer session replaces the old one');
          void old.stop();
        }
      })
      .catch((e: unknown) => this.deps.logger.error({ err: (e as Error).message }, 'delivery: session crashed'))
      .finally(() => {
        this.sessions.delete(s);
        if (s.dest && this.byDest.get(s.dest.id) === s) this.byDest.delete(s.dest.id);
      });
    this.sessions.set(s, done);
  }

  /** Live sessions. */
  list(): SessionInfo[] {
    return [...this.sessions.keys()].map((s) => ({ conn: s.conn.id, transport: s.conn.transport, remote: s.conn.remote, dest: s.dest?.id ?? null }));
  }

  /** Stops accepting, ends every session (in-flight blocks go back to the queue). Never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    const l = this.listener;
    this.listener = null;
    await Promise.all([...this.sessions.keys()].map((s) => s.stop()));
    await l?.close().catch(() => {});
    await Promise.all([...this.sessions.values()]);
  }
}
