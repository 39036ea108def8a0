/**
 * The transport abstraction (ARCHITECTURE.md "transport/"): a message-oriented,
 * bidirectional {@link Connection} carrying typed {@link Frame}s, a
 * {@link Listener} that accepts connections, and a {@link Transport} factory.
 *
 * It is deliberately link-agnostic so one contract fits:
 * - LAN TCP (optionally TLS with pinned certificates): one socket = one connection;
 *   frames are length-prefixed on the byte stream (framing.ts).
 * - MQTT: one logical connection per (device, storage server) pair over
 *   per-server topics; a frame maps to one self-contained publish.
 * - BLE GATT: one connection per central; frames are chunked to the MTU by the
 *   BLE layer and reassembled before they reach this interface.
 *
 * Semantics every implementation must honour (checked by test/transport/contract.ts):
 * - frames arrive complete and unmodified, or the connection closes; stream
 *   links (TCP, loopback, BLE) also deliver them in send order, exactly once,
 *   end the peer's connection on close and hold a sender back when the peer
 *   does not read. MQTT does none of these (docs/MQTT.md): frames may come in
 *   any order or twice, a close stays local, and a receiver refuses (and
 *   counts) what exceeds its byte budget — the protocol above needs no more;
 * - `send` resolves when the link accepted the frame (written to the socket or
 *   handed to the broker/GATT stack), NOT when the peer processed it: delivery
 *   acknowledgements are application messages (ACK);
 * - every buffer is bounded: `send` rejects with FRAME_TOO_LARGE above
 *   `maxFrameBytes` and SEND_QUEUE_FULL when the per-connection queue is full;
 *   a slow consumer never grows memory (backpressure, or refusal on MQTT);
 * - after close, `send` rejects with CONN_CLOSED; frames already received can
 *   still be read, then reading ends (clean close) or throws the close error.
 */
import type { TransportError } from './errors.js';

/** Frame kind reserved for link-level keep-alives; never surfaced to callers. */
export const KEEPALIVE_KIND = 0;

/** Default (and recommended) maximum frame size: 8 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * One message on a connection: a kind byte (1..255, see messages.ts
 * `MessageKind`) and its payload (for codec messages: version byte + body).
 */
export interface Frame {
  readonly kind: number;
  readonly payload: Uint8Array;
}

/** Events of a {@link Connection}. */
export interface ConnectionEvents {
  /** Emitted once when the connection is closed; `error` is undefined for a clean close. */
  close: [error: TransportError | undefined];
  /** Emitted once before `close` when it closes because of an error (only if a listener exists). */
  error: [error: TransportError];
}

/** A bidirectional, message-oriented link to one peer (ordered on stream links). */
export interface Connection {
  /** Process-unique id, for logs. */
  readonly id: string;
  /** Transport name: 'loopback', 'tcp', 'tls', later 'mqtt', 'ble'. */
  readonly transport: string;
  /** Human-readable peer description (e.g. 'tcp:192.168.1.5:50412'); not authenticated. */
  readonly remote: string;
  /** Largest frame (kind byte + payload) this connection sends or accepts. */
  readonly maxFrameBytes: number;
  /** SHA-256 of the peer's certificate (DER) when the link authenticated one, else undefined. */
  readonly peerCertSha256: Uint8Array | undefined;
  /**
   * The destination id the link layer itself already authorised (BLE: 'owner',
   * after the BLE owner proof), so the session skips its own challenge; absent
   * on links that authenticate nobody (TCP, loopback, MQTT).
   */
  readonly authenticatedAs?: string;
  /** True once closed (locally, by the peer or by an error). */
  readonly closed: boolean;

  /**
   * Sends one frame. The link may keep a reference to `frame.payload` until
   * it is written: do not modify the payload after calling send.
   * @throws (rejects) TypeError/RangeError for a malformed frame (kind not 1..255),
   *   TransportError FRAME_TOO_LARGE, SEND_QUEUE_FULL, CONN_CLOSED.
   */
  send(frame: Frame): Promise<void>;

  /**
   * Next received frame, waiting if none is queued; undefined after a clean
   * close once every received frame was read.
   * @throws (rejects) the close error (e.g. FRAME_TOO_LARGE, CONN_TIMEOUT, CONN_RESET)
   *   once the queue is drained after an error close.
   */
  receive(): Promise<Frame | undefined>;

  /** Async iteration over received frames (same queue as {@link receive}; one consumer). */
  [Symbol.asyncIterator](): AsyncIterator<Frame>;

  /**
   * Closes the connection. Without `error`: graceful (queued frames are
   * flushed first). With `error`: abortive, queued sends reject with it.
   * Idempotent; resolves when the link is fully closed.
   */
  close(error?: TransportError): Promise<void>;

  /** Resolves with the close error (undefined when clean) once closed. */
  whenClosed(): Promise<TransportError | undefined>;

  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  once<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  off<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
}

/** Called for every accepted connection. Must not throw; errors are the handler's own. */
export type ConnectionHandler = (conn: Connection) => void;

/** The accepting side of a transport. */
export interface Listener {
  /** Where it listens, as a URL-ish string (e.g. 'tcp://0.0.0.0:7447', 'loopback://name'). */
  readonly url: string;
  /** Currently open accepted connections. */
  readonly connections: ReadonlySet<Connection>;
  /** Stops accepting and closes every accepted connection gracefully. Idempotent. */
  close(): Promise<void>;
}

/** Options accepted by {@link Transport.connect}. */
export interface ConnectOptions {
  /** Aborts a pending connection attempt (rejects with CONNECT_FAILED). */
  signal?: AbortSignal;
}

/** A transport factory: listens for peers or connects to one. `A` is its address type. */
export interface Transport<A = unknown> {
  /** Transport name, as reported by its connections. */
  readonly name: string;
  /**
   * Starts accepting connections.
   * @throws (rejects) TransportError LISTEN_FAILED, TLS_CONFIG.
   */
  listen(onConnection: ConnectionHandler): Promise<Listener>;
  /**
   * Connects to a peer.
   * @throws (rejects) TransportError CONNECT_FAILED, TLS_PIN_MISMATCH, TLS_CONFIG.
   */
  connect(address: A, opts?: ConnectOptions): Promise<Connection>;
}
