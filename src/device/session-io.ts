/**
 * Message I/O helpers of a device session: send a codec message, wait with a
 * deadline, the HELLO exchange and the peer's identity check
 * (SESSION-PROTOCOL step 1).
 */
import { equalBytes } from '../platform/bytes.js';
import type { Clock } from '../platform/clock.js';
import { SealcamError } from '../platform/errors.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type HelloMessage, type Message } from '../transport/messages.js';
import type { Connection } from '../transport/transport.js';
import { isZero, type Destination } from './destinations.js';

/** Why a session ended early. */
export type SessionErrorCode =
  | 'SESSION_TIMEOUT'
  | 'SESSION_CLOSED'
  | 'SESSION_PROTOCOL'
  | 'SESSION_UNKNOWN_PEER';

/** A session failure (sent to the peer as ERROR when the link still works). */
export class SessionError extends SealcamError<SessionErrorCode> {}

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
  const msg = await withDeadline(receiveMessage(conn), timeoutMs, clock, 'HELLO');
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

/** Best effort: tells the peer why we close, then closes. Never throws. */
export async function closeWithError(conn: Connection, code: string, message: string): Promise<void> {
  try {
    if (!conn.closed) await sendMessage(conn, { type: 'error', code: code.replace(/[^A-Za-z0-9._:@-]/g, '_').slice(0, 64) || 'ERROR', message: message.slice(0, 512) });
  } catch {
    /* the link is gone */
  }
  await conn.close().catch(() => {});
}
