/**
 * Device side of the BLE transport: advertises through a
 * {@link PeripheralBackend}, runs the handshake on every central that
 * subscribed (SUBSCRIBE or RESUME → CHALLENGE → AUTH → SESSION, docs/BLE.md),
 * refuses everyone but the bound owner (counted per reason), and turns each
 * authorised session into a {@link BleConnection} handed to the listener's
 * handler. Suspended sessions wait for RESUME in a bounded {@link SessionTable}.
 */
import { abytes, aint } from '../../platform/bytes.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { transportError } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type ConnectionHandler, type Listener } from '../transport.js';
import { verifyAuth } from './auth.js';
import { BleConnection } from './connection.js';
import { bleError, type BleErrorCode } from './errors.js';
import { BLE_PROTOCOL_VERSION, encodeDeviceInfo, PREFERRED_ATT_MTU } from './link/gatt.js';
import { ControlReader, sendControl } from './handshake-io.js';
import type { BleLink, PeripheralBackend } from './link/link.js';
import { CHALLENGE_BYTES, type ControlPdu } from './link/pdu.js';
import { SessionTable } from './session.js';
import type { BleTuning } from './session-types.js';

/** Options of the device side. */
export interface BleDeviceOptions extends BleTuning {
  backend: PeripheralBackend;
  /** The device's DSTP address (20 bytes). */
  deviceAddr: Uint8Array;
  /** The bound owner's address, read at every AUTH (20 zero bytes = unbound: everyone is refused). */
  ownerAddr: () => Uint8Array;
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
  /** Largest frame sent or accepted (default 8 MiB). */
  maxFrameBytes?: number;
  /** A central must authenticate within this time after subscribing (default 10 s). */
  handshakeTimeoutMs?: number;
  /** How long a suspended session is kept for RESUME (default 120 s). */
  resumeTimeoutMs?: number;
  /** Sessions held at most (default 4). */
  maxSessions?: number;
  /** Connection interval hint for the central, in 1.25 ms units (default 6–12 = 7.5–15 ms). */
  connIntervalMin?: number;
  connIntervalMax?: number;
}

/** Counters of a device listener (authorisation failures per precise reason). */
export interface BleDeviceStats {
  sessions: number;
  resumes: number;
  authFailures: Partial<Record<BleErrorCode, number>>;
}

/** The device's BLE {@link Listener}. */
export class BleDeviceListener implements Listener {
  readonly url: string;
  readonly connections = new Set<Connection>();
  readonly stats: BleDeviceStats = { sessions: 0, resumes: 0, authFailures: {} };
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly maxFrame: number;
  private readonly handshakeMs: number;
  private readonly table: SessionTable;
  private open = true;

  /** Use {@link listenBle}. @throws TypeError/RangeError for invalid options. */
  constructor(
    private readonly o: BleDeviceOptions,
    private readonly onConnection: ConnectionHandler,
  ) {
    abytes(o.deviceAddr, 'deviceAddr', 20);
    if (typeof o.ownerAddr !== 'function') throw new TypeError('ownerAddr must be a function');
    this.url = o.backend.url;
    this.clock = o.clock ?? systemClock;
    this.rng = o.rng ?? systemRng;
    this.log = o.logger ?? silentLogger;
    this.maxFrame = aint(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 1024, 0xffffffff);
    this.handshakeMs = aint(o.handshakeTimeoutMs ?? 10_000, 'handshakeTimeoutMs', 1, 600_000);
    this.table = new SessionTable({ clock: this.clock, rng: this.rng, resumeTimeoutMs: o.resumeTimeoutMs, maxSessions: o.maxSessions });
  }

  /** The info characteristic value. */
  info(): Uint8Array {
    const o = this.o;
    return encodeDeviceInfo({
      protocolMin: BLE_PROTOCOL_VERSION,
      protocolMax: BLE_PROTOCOL_VERSION,
      deviceAddr: o.deviceAddr,
      mtuHint: PREFERRED_ATT_MTU,
      connIntervalMin: o.connIntervalMin ?? 6,
      connIntervalMax: o.connIntervalMax ?? 12,
      maxFrameBytes: this.maxFrame,
      window: o.window ?? 128,
      ownerBound: o.ownerAddr().some((b) => b !== 0),
    });
  }

  /** Runs the handshake on a central that subscribed. */
  accept(link: BleLink): void {
    if (!this.open) return link.close();
    const reader = new ControlReader();
    let step: { challenge: Uint8Array; sessionId: Uint8Array; resume: BleConnection | undefined } | undefined;
    let done = false;
    const finish = (code?: BleErrorCode, sendCode: BleErrorCode | undefined = code): void => {
      if (done) return;
      done = true;
      timer.cancel();
      if (code === undefined) return;
      this.log.warn({ remote: link.remote, code }, 'ble: handshake refused');
      if (sendCode) sendControl(link, 'data', { type: 'error', code: sendCode });
      this.clock.setTimer(this.o.closeTimeoutMs ?? 2000, () => link.close());
    };
    const refuseAuth = (code: BleErrorCode): void => {
      this.stats.authFailures[code] = (this.stats.authFailures[code] ?? 0) + 1;
      finish(code, 'BLE_AUTH_FAILED');
    };
    const timer = this.clock.setTimer(this.handshakeMs, () => refuseAuth('BLE_AUTH_TIMEOUT'));
    const onPdu = (p: ControlPdu): void => {
      if (!step && (p.type === 'subscribe' || p.type === 'resume')) {
        if (p.version !== BLE_PROTOCOL_VERSION) return finish('BLE_PROTOCOL_VERSION');
        const resume = p.type === 'resume' ? this.table.get(p.sessionId) : undefined;
        if (p.type === 'resume' && !resume) return finish('BLE_SESSION_UNKNOWN');
        step = { challenge: this.rng.bytes(CHALLENGE_BYTES), sessionId: resume?.sessionId ?? this.table.newSessionId(), resume };
        return sendControl(link, 'data', { type: 'challenge', challenge: step.challenge, sessionId: step.sessionId });
      }
      if (!step || p.type !== 'auth') return finish('BLE_PDU_STATE');
      const why = verifyAuth(p, { deviceAddr: this.o.deviceAddr, ownerAddr: this.o.ownerAddr(), challenge: step.challenge, sessionId: step.sessionId });
      if (why) return refuseAuth(why);
      const conn = step.resume;
      if (conn) {
        const token = this.table.resume(conn, p.resumeToken);
        if (!token) return refuseAuth('BLE_RESUME_TOKEN');
        finish();
        this.stats.resumes += 1;
        this.attach(conn, link, token, true, p);
        return;
      }
      if (p.rxNext !== 0) return finish('BLE_PDU_STATE');
      if (!this.table.makeRoom()) return finish('BLE_SESSION_LIMIT');
      finish();
      const c = this.newConnection(link, step.sessionId, p.maxFrameBytes);
      this.attach(c, link, this.table.add(c), false, p);
      this.stats.sessions += 1;
      this.connections.add(c);
      this.onConnection(c);
    };
    link.setHandler({
      receive: (ch, v) => {
        if (done) return;
        try {
          if (ch !== 'control') return finish('BLE_PDU_CHANNEL');
          const p = reader.read(v);
          if (p) onPdu(p);
        } catch (e) {
          finish(e instanceof Error && 'code' in e ? (e.code as BleErrorCode) : 'BLE_PDU_MALFORMED');
        }
      },
      drain: () => {},
      mtu: () => {},
      closed: () => finish(),
    });
  }

  private newConnection(link: BleLink, sessionId: Uint8Array, peerMax: number): BleConnection {
    return new BleConnection({
      ...this.o,
      role: 'device',
      remote: `ble:${link.remote}`,
      clock: this.clock,
      logger: this.log,
      sessionId,
      maxFrameBytes: this.maxFrame,
      peerMaxFrameBytes: peerMax,
      hooks: {
        detached: (c) => (this.open ? this.table.suspend(c) : c.expire(transportError('CONN_RESET', 'listener closed'))),
        ended: (c) => {
          this.table.remove(c);
          this.connections.delete(c);
        },
      },
    });
  }

  private attach(conn: BleConnection, link: BleLink, token: Uint8Array, resumed: boolean, auth: { rxNext: number; rxLimit: number }): void {
    const rx = conn.rxStateForResume();
    sendControl(link, 'data', { type: 'session', sessionId: conn.sessionId, resumeToken: token, resumed, rxNext: rx.next, rxLimit: rx.limit, maxFrameBytes: this.maxFrame });
    try {
      conn.attach(link, auth.rxNext, auth.rxLimit);
    } catch (e) {
      link.close();
      conn.expire(transportError('CONN_RESET', 'resume failed', e));
    }
  }

  /** Stops advertising; closes attached sessions gracefully and drops suspended ones. */
  async close(): Promise<void> {
    if (this.open) {
      this.open = false;
      await this.o.backend.stop().catch((e: unknown) => this.log.warn({ err: String(e) }, 'ble: backend stop failed'));
    }
    await Promise.all(
      this.table.all().map((c) => (c.attached ? c.close() : c.close(transportError('CONN_RESET', 'listener closed', bleError('BLE_SESSION_EXPIRED', 'listener closed'))))),
    );
  }
}

/**
 * Starts the device side: advertises and accepts owner sessions.
 * @throws (rejects) TransportError LISTEN_FAILED (cause: the backend's BleError, e.g. BLE_ADAPTER_MISSING).
 */
export async function listenBle(o: BleDeviceOptions, onConnection: ConnectionHandler): Promise<BleDeviceListener> {
  const l = new BleDeviceListener(o, onConnection);
  try {
    await o.backend.start(() => l.info(), (link) => l.accept(link));
  } catch (e) {
    throw transportError('LISTEN_FAILED', `BLE: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return l;
}
