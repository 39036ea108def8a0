/**
 * Message I/O helpers of a device session: send a codec message, wait with a
 * deadline, the HELLO exchange and the peer's identity check, and the
 * authorisation challenge of a receiver (SESSION-PROTOCOL step 1).
 */
import { equalBytes } from '../../platform/bytes.js';
import type { Clock } from '../../platform/clock.js';
import { SealcamError } from '../../platform/errors.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type HelloMessage, type Message } from '../../transport/messages.js';
import type { Connection } from '../../transport/transport.js';
import { AUTH_CHALLENGE_BYTES, AUTH_SESSION_ID_BYTES, verifyPeerAuth } from '../../protocol/peer-auth.js';
import type { Rng } from '../../platform/rng.js';
import { isZero, speaksFor, type Destination } from './destinations.js';

/** Why a session ended early. */
export type SessionErrorCode =
  | 'SESSION_TIMEOUT'
  | 'SESSION_CLOSED'
  | 'SESSION_PROTOCOL'
  | 'SESSION_UNKNOWN_PEER'
  /** The peer did not prove it holds a key that speaks for its destination. */
  | 'AUTH_FAILED';

/** A session failure (sent to the peer as ERROR when the link still works). */
export class SessionError extends SealcamError<SessionErrorCode> {}

/** Messages a peer may have sent before its HELLO reached us (answers of an earlier session). */
const STALE_BEFORE_HELLO: ReadonlySet<Message['type']> = new Set(['status', 'ack', 'reg-ack', 'error']);

/** Sends one codec message. @throws (rejects) TransportError from the connection */
export function sendMessage(conn: Connection, msg: Message): Promise<void> {
  return conn.send(encodeMessage(msg));
}

/**
 * Resolves with `p`, or rejects with SESSION_TIMEOUT after `ms`.
 * @throws (rejects) SessionError SESSION_TIMEOUT, or p's rejection
 */
export function withDeadline<T>(p: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = clock.setTimer(ms, () => reject(new SessionError('SESSION_TIMEOUT', `no ${what} within ${ms} ms`)));
    p.then(
      (v) => {
        t.cancel();
        resolve(v);
      },
      (e: unknown) => {
        t.cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Receives and decodes the next message. @throws SessionError SESSION_CLOSED; TransportError on a bad frame */
export async function receiveMessage(conn: Connection): Promise<Message> {
  const frame = await conn.receive();
  if (frame === undefined) throw new SessionError('SESSION_CLOSED', 'the peer closed the connection');
  return decodeMessage(frame);
}

/**
 * The HELLO exchange, device side: sends ours, reads the peer's and finds its
 * destination. The peer's role must fit the destination (SERVER for storage
 * servers, RECEIVER otherwise) and its address must be the destination's.
 * STATUS, ACK, REG_ACK and ERROR messages before the HELLO are skipped: over
 * MQTT the device's answer topic may still hold answers of an earlier session
 * and the server's retained STATUS (the deadline covers the whole wait).
 * @throws SessionError SESSION_PROTOCOL | SESSION_UNKNOWN_PEER | SESSION_TIMEOUT | SESSION_CLOSED; TransportError
 */
export async function helloExchange(
  conn: Connection,
  deviceAddr: Uint8Array,
  destinations: ReadonlyMap<string, Destination>,
  timeoutMs: number,
  clock: Clock,
): Promise<{ dest: Destination; hello: HelloMessage }> {
  await sendMessage(conn, { type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr: deviceAddr, maxFrameBytes: conn.maxFrameBytes, id: '' });
  const msg = await withDeadline((async () => {
    for (;;) {
      const m = await receiveMessage(conn);
      if (!STALE_BEFORE_HELLO.has(m.type)) return m;
    }
  })(), timeoutMs, clock, 'HELLO');
  if (msg.type !== 'hello') throw new SessionError('SESSION_PROTOCOL', `expected HELLO, got ${msg.type}`);
  if (msg.role !== Role.RECEIVER && msg.role !== Role.SERVER) throw new SessionError('SESSION_PROTOCOL', 'peer role must be RECEIVER or SERVER');
  const dest = destinations.get(msg.id);
  if (!dest) throw new SessionError('SESSION_UNKNOWN_PEER', `no destination '${msg.id}' is configured`);
  if ((dest.kind === 'server') !== (msg.role === Role.SERVER)) {
    throw new SessionError('SESSION_UNKNOWN_PEER', `destination '${msg.id}' is a ${dest.kind}, the peer says role ${msg.role}`);
  }
  const addr = dest.key?.address ?? dest.ownerAddr;
  if (!addr || isZero(addr)) throw new SessionError('SESSION_UNKNOWN_PEER', 'the device is not bound to an owner');
  if (!equalBytes(addr, msg.addr)) throw new SessionError('SESSION_UNKNOWN_PEER', `the peer's address is not that of '${msg.id}'`);
  return { dest, hello: msg };
}

/**
 * The authorisation challenge, device side (src/protocol/peer-auth.ts, link
 * 'lan'): sends a fresh challenge and session id, waits for AUTH and checks
 * that its key speaks for `dest` and its signature verifies. Nothing is sent
 * to the peer before this succeeds.
 * @throws SessionError AUTH_FAILED (the reason in the message: log it, tell the peer only AUTH_FAILED) | SESSION_TIMEOUT | SESSION_CLOSED; TransportError
 */
export async function challengePeer(
  conn: Connection, deviceAddr: Uint8Array, dest: Destination, rng: Rng, timeoutMs: number, clock: Clock,
): Promise<void> {
  const challenge = rng.bytes(AUTH_CHALLENGE_BYTES);
  const sessionId = rng.bytes(AUTH_SESSION_ID_BYTES);
  await sendMessage(conn, { type: 'auth-challenge', challenge, sessionId });
  const msg = await withDeadline(receiveMessage(conn), timeoutMs, clock, 'AUTH');
  if (msg.type !== 'auth') throw new SessionError('AUTH_FAILED', `expected AUTH, got ${msg.type}`);
  const why = verifyPeerAuth(msg, {
    link: 'lan', deviceAddr, challenge, sessionId, accepts: (suite, publicKey) => speaksFor(dest, suite, publicKey),
  });
  if (why !== null) throw new SessionError('AUTH_FAILED', why);
}

/** Best effort: tells the peer why we close, then closes. Never throws. */
export async function closeWithError(conn: Connection, code: string, message: string): Promise<void> {
  try {
    if (!conn.closed) await sendMessage(conn, { type: 'error', code: code.replace(/[^A-Za-z0-9._:@-]/g, '_').slice(0, 64) || 'ERROR', message: message.slice(0, 512) });
  } catch {
    /* the link is gone */
  }
  await conn.close().catch(() => {});
}
