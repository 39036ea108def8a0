/**
 * Central side of the BLE transport (the phone, or `sealcam receive --ble` on
 * a Linux laptop): connects through a {@link CentralBackend}, checks the
 * device info, answers the challenge with the owner's signature, and returns
 * the session as a {@link BleConnection}. When the link drops it reconnects
 * with backoff (injected Clock) and resumes the session (RESUME + AUTH with
 * the resume token and its receive state), so nothing acknowledged is resent
 * and nothing is delivered twice; it gives up after `resumeTimeoutMs` or when
 * the device no longer knows the session.
 */
import { aint, equalBytes } from '../../platform/bytes.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { isSealcamError, SealcamError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { transportError } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport.js';
import { authMessage, type OwnerSigner } from './auth.js';
import { BleConnection } from './connection.js';
import { bleError } from './errors.js';
import { BLE_PROTOCOL_VERSION, decodeDeviceInfo, type Channel } from './link/gatt.js';
import { ControlReader, sendControl } from './handshake-io.js';
import type { BleLink, CentralBackend, LinkHandler } from './link/link.js';
import { RESUME_TOKEN_BYTES, type ControlPdu } from './link/pdu.js';
import type { BleTuning } from './session-types.js';

/** Options of the central side. */
export interface BleCentralOptions<A> extends BleTuning {
  backend: CentralBackend<A>;
  /** Signs the challenge with the owner key. */
  owner: OwnerSigner;
  /** Refuse a device whose info names another address (BLE_DEVICE_MISMATCH). */
  expectDevice?: Uint8Array;
  clock?: Clock;
  logger?: Logger;
  /** Largest frame sent or accepted (default 8 MiB). */
  maxFrameBytes?: number;
  /** Per handshake (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Keep trying to resume for this long after a drop (default 120 s). */
  resumeTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap, ms (default 250 and 5000). */
  reconnectDelayMs?: number;
  reconnectMaxDelayMs?: number;
}

type SessionPdu = Extract<ControlPdu, { type: 'session' }>;
interface Handshake {
  session: SessionPdu;
  replay(h: LinkHandler): void;
}
/** Codes after which resuming is pointless. */
const FATAL = ['BLE_SESSION_UNKNOWN', 'BLE_AUTH_FAILED', 'BLE_DEVICE_MISMATCH', 'BLE_PROTOCOL_VERSION', 'BLE_ACK_INVALID', 'BLE_PDU_STATE'];

function handshake<A>(o: BleCentralOptions<A>, link: BleLink, rawInfo: Uint8Array, resume?: { conn: BleConnection; token: Uint8Array }): Promise<Handshake> {
  const clock = o.clock ?? systemClock;
  const info = decodeDeviceInfo(rawInfo);
  if (info.protocolMin > BLE_PROTOCOL_VERSION || info.protocolMax < BLE_PROTOCOL_VERSION) {
    throw bleError('BLE_PROTOCOL_VERSION', `device speaks ${info.protocolMin}..${info.protocolMax}`);
  }
  if (o.expectDevice && !equalBytes(o.expectDevice, info.deviceAddr)) throw bleError('BLE_DEVICE_MISMATCH', 'device address differs from the expected one');
  return new Promise((resolve, reject) => {
    const reader = new ControlReader();
    const early: ([Channel, Uint8Array] | Error | undefined)[] = [];
    let challenge: Extract<ControlPdu, { type: 'challenge' }> | undefined;
    let state: 'run' | 'failed' | 'done' = 'run';
    const fail = (e: unknown): void => {
      if (state !== 'run') return;
      state = 'failed';
      timer.cancel();
      reject(e);
    };
    const timer = clock.setTimer(o.handshakeTimeoutMs ?? 10_000, () => fail(bleError('BLE_AUTH_TIMEOUT', 'handshake timed out')));
    const onPdu = (p: ControlPdu): void => {
      if (p.type === 'error') return fail(new SealcamError(p.code, `device refused: ${p.code}`));
      if (p.type === 'challenge' && !challenge) {
        if (resume && !equalBytes(p.sessionId, resume.conn.sessionId)) return fail(bleError('BLE_PDU_STATE', 'challenge for another session'));
        challenge = p;
        const rx = resume ? resume.conn.rxStateForResume() : { next: 0, limit: o.window ?? 128 };
        void Promise.resolve(o.owner.sign(authMessage(info.deviceAddr, p.challenge, p.sessionId))).then((signature) => {
          if (state !== 'run') return;
          const token = resume?.token ?? new Uint8Array(RESUME_TOKEN_BYTES);
          const pk = o.owner.publicKey;
          sendControl(link, 'control', { type: 'auth', suite: o.owner.suite, publicKey: pk, signature, resumeToken: token, rxNext: rx.next, rxLimit: rx.limit, maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
        }, fail);
        return;
      }
      if (p.type === 'session' && challenge && equalBytes(p.sessionId, challenge.sessionId) && p.resumed === !!resume) {
        state = 'done';
        timer.cancel();
        resolve({ session: p, replay: (h) => early.splice(0).forEach((x) => (Array.isArray(x) ? h.receive(...x) : h.closed(x))) });
        return;
      }
      fail(bleError('BLE_PDU_STATE', `unexpected ${p.type} during the handshake`));
    };
    link.setHandler({
      receive: (ch, v) => {
        if (state === 'done') return void early.push([ch, v]);
        if (state !== 'run') return;
        try {
          if (ch !== 'data') throw bleError('BLE_PDU_CHANNEL', `value on ${ch}`);
          const p = reader.read(v);
          if (p) onPdu(p);
        } catch (e) {
          fail(e);
        }
      },
      drain: () => {},
      mtu: () => {},
      closed: (r) => (state === 'done' ? early.push(r ?? bleError('BLE_LINK_LOST', 'link closed')) : fail(bleError('BLE_LINK_LOST', 'link closed during the handshake', r))),
    });
    const version = BLE_PROTOCOL_VERSION;
    sendControl(link, 'control', resume ? { type: 'resume', version, sessionId: resume.conn.sessionId } : { type: 'subscribe', version });
  });
}

/**
 * Connects to a device and opens an owner session.
 * @throws (rejects) TransportError CONNECT_FAILED (cause: the backend error or the device's refusal,
 *   e.g. BLE_AUTH_FAILED, BLE_DEVICE_MISMATCH, BLE_ADAPTER_MISSING).
 */
export async function connectBle<A>(o: BleCentralOptions<A>, address: A, signal?: AbortSignal): Promise<BleConnection> {
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? silentLogger;
  const maxFrameBytes = aint(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 1024, 0xffffffff);
  const resumeMs = aint(o.resumeTimeoutMs ?? 120_000, 'resumeTimeoutMs', 1, 86_400_000);
  const delay0 = aint(o.reconnectDelayMs ?? 250, 'reconnectDelayMs', 1, 600_000);
  const delayMax = aint(o.reconnectMaxDelayMs ?? 5000, 'reconnectMaxDelayMs', delay0, 600_000);
  let token: Uint8Array = new Uint8Array(RESUME_TOKEN_BYTES);

  const open = async (resume?: BleConnection): Promise<{ link: BleLink; hs: Handshake }> => {
    if (signal?.aborted) throw transportError('CONNECT_FAILED', 'aborted');
    const { link, info } = await o.backend.connect(address, resume ? undefined : signal);
    try {
      return { link, hs: await handshake(o, link, info, resume && { conn: resume, token }) };
    } catch (e) {
      link.close();
      throw e;
    }
  };

  const reconnect = async (conn: BleConnection): Promise<void> => {
    const deadline = Number(clock.now()) + resumeMs;
    let delay = delay0;
    while (!conn.closed) {
      try {
        const { link, hs } = await open(conn);
        if (conn.closed) return link.close();
        token = hs.session.resumeToken;
        conn.attach(link, hs.session.rxNext, hs.session.rxLimit, hs.replay);
        log.info({ conn: conn.id }, 'ble: session resumed');
        return;
      } catch (e) {
        const fatal = isSealcamError(e, ...FATAL);
        if (fatal || Number(clock.now()) + delay > deadline) {
          return conn.expire(transportError('CONN_RESET', `BLE session not resumed: ${e instanceof Error ? e.message : String(e)}`, fatal ? e : bleError('BLE_SESSION_EXPIRED', 'resume timeout', e)));
        }
        await clock.sleep(delay);
        delay = Math.min(delayMax, delay * 2);
      }
    }
  };

  let first: { link: BleLink; hs: Handshake };
  try {
    first = await open();
  } catch (e) {
    throw transportError('CONNECT_FAILED', `BLE: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const s = first.hs.session;
  token = s.resumeToken;
  const conn = new BleConnection({
    ...o,
    role: 'central',
    remote: `ble:${first.link.remote}`,
    clock,
    logger: log,
    sessionId: s.sessionId,
    maxFrameBytes,
    peerMaxFrameBytes: s.maxFrameBytes,
    hooks: { detached: (c) => void reconnect(c), ended: () => {} },
  });
  conn.attach(first.link, s.rxNext, s.rxLimit, first.hs.replay);
  return conn;
}
