/**
 * One device session over a Connection (TCP, TLS, loopback, the BLE
 * central's link), the same for a storage server and for the owner's
 * receiver (docs/PROTOCOL.md "The exchange"):
 *
 * 1. The peer sends its HELLO (and its greeting, e.g. the server's latest
 *    STATUS) at once and waits `helloTimeoutMs` for the device's. Anything
 *    else ends the session with ERROR: `HELLO_TIMEOUT`, a `MSG_*` decode
 *    code, `HELLO_REQUIRED` (another message first), `BAD_ROLE` (a HELLO not
 *    from a device) or `DEVICE_PIN_MISMATCH` (a peer pinned to another device).
 * 2. Then, until the connection closes: BLOCKs are judged as they come —
 *    pipelined, at most `maxInflight` unanswered, so verifying the next
 *    overlaps the group commit of the previous ones — and their signed ACKs
 *    sent in arrival order, each followed by its verdict's `after`. Every
 *    other message is handled once the blocks before it are answered: REG →
 *    REG_ACK or ERROR, AUTH_CHALLENGE → AUTH, ERROR logged; any other is a
 *    violation (`UNEXPECTED_MESSAGE`). Frame kinds a peer takes beyond the
 *    protocol (the receiver's C2PA and BLE-layer frames) go to its hook.
 *
 * Received bytes are hostile: a frame that does not decode is a violation
 * too; each violation is answered with ERROR and counted, and the session is
 * closed at `maxViolations` (1 for a receiver: the first one ends it). A
 * fault inside the peer is counted INTERNAL and logged, never fatal. Never
 * rejects.
 */
import { toHex, equalBytes } from '../platform/bytes.js';
import type { Clock } from '../platform/clock.js';
import { isSealcamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { decodeMessage, encodeMessage, Role, type Message } from '../transport/messages.js';
import type { Connection, Frame } from '../transport/transport.js';
import { answerAuth, answerBlock, answerReg, errorMessage, helloMessage, type DevicePeer, type PeerIdentity, type PeerJudge } from './answers.js';

/** How a session ended. */
export interface SessionResult {
  /** The device address announced in its HELLO (hex), when one was received. */
  readonly deviceAddr?: string;
  /** Frames handled after HELLO. */
  readonly frames: number;
  /** BLOCK messages among them. */
  readonly blocks: number;
  /** The code of the last ERROR the device sent (e.g. it refused this peer), if any. */
  readonly deviceError?: string;
  /** The code of the protocol or transport error that ended it (none for a clean close). */
  readonly error?: string;
}

/** The hooks of one session: the peer's judgement plus what it does with frames of its own. */
export interface SessionHooks extends PeerJudge {
  /**
   * A frame before decoding: true when the peer took it (a kind outside the device protocol's
   * core, e.g. the receiver's C2PA and BLE-layer frames); false to handle it as a message.
   * A coded SealcamError thrown here is a violation.
   */
  frame?(peer: DevicePeer, frame: Frame): Promise<boolean>;
  /** Called once when the session ends (its device, if it said HELLO). */
  closed?(result: SessionResult): void;
}

/** A peer that takes device sessions. */
export interface SessionPeer {
  readonly identity: PeerIdentity;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly helloTimeoutMs: number;
  /** Blocks judged but not yet answered, at most (1: one block at a time). */
  readonly maxInflight: number;
  /** Violations that close the session. */
  readonly maxViolations: number;
  /** Only this device may open a session (receivers pinned to their device). */
  readonly expectedDevice?: Uint8Array | undefined;
  /** Messages sent right after the peer's HELLO (the server's latest STATUS). */
  greeting?(): readonly Message[];
  /** Counts (and logs) one violation of the session protocol. */
  violation(code: string, message: string, conn: Connection): void;
  /** A new session's hooks (per-session state lives in them). */
  open(conn: Connection): SessionHooks;
}

/** Ends a session with a code after its ERROR was sent. */
class SessionEnd extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Runs one session on `conn` to its end; never rejects. */
export async function runPeerSession(conn: Connection, p: SessionPeer): Promise<SessionResult> {
  const log = p.logger.child({ conn: conn.id, remote: conn.remote });
  const hooks = p.open(conn);
  const send = (m: Message): Promise<void> => conn.send(encodeMessage(m));
  let frames = 0;
  let blocks = 0;
  let deviceError: string | undefined;
  let violations = 0;
  let peer: DevicePeer | undefined;
  let error: string | undefined;
  /** The ACK chain: every block's answer, in arrival order. */
  let answered: Promise<void> = Promise.resolve();
  const inflight = new Set<Promise<void>>();

  /** Counts a violation, answers ERROR, and ends the session when it is fatal or one too many. */
  const violation = async (code: string, message: string, fatal = false): Promise<void> => {
    p.violation(code, message, conn);
    violations += 1;
    await send(errorMessage(code, message)).catch(() => undefined);
    if (fatal || violations >= p.maxViolations) throw new SessionEnd(code);
  };
  const end = async (code: string, message: string): Promise<never> => {
    await violation(code, message, true);
    throw new SessionEnd(code);
  };
  const decode = async (frame: Frame): Promise<Message | null> => {
    try {
      return decodeMessage(frame);
    } catch (e) {
      if (!isSealcamError(e)) throw e;
      await violation(e.code, e.message.slice(0, 200));
      return null;
    }
  };

  try {
    await send(helloMessage(p.identity, conn.maxFrameBytes));
    for (const m of p.greeting?.() ?? []) await send(m);
    const first = await firstFrame(conn, p.helloTimeoutMs, p.clock);
    if (first === undefined) throw new SessionEnd('CONN_CLOSED');
    if (first === 'timeout') return await end('HELLO_TIMEOUT', `no HELLO within ${p.helloTimeoutMs} ms`);
    let msg: Message;
    try {
      msg = decodeMessage(first);
    } catch (e) {
      if (!isSealcamError(e)) throw e;
      return await end(e.code, e.message.slice(0, 200));
    }
    if (msg.type !== 'hello') return await end('HELLO_REQUIRED', 'a session starts with the device HELLO');
    if (msg.role !== Role.DEVICE) return await end('BAD_ROLE', 'the HELLO must come from a device');
    if (p.expectedDevice !== undefined && !equalBytes(p.expectedDevice, msg.addr)) return await end('DEVICE_PIN_MISMATCH', 'this peer is pinned to another device');
    const device = Uint8Array.from(msg.addr);
    const dev: DevicePeer = { device, deviceHex: toHex(device), send };
    peer = dev;

    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = await conn.receive();
      } catch (e) {
        // the transport's own codes (FRAME_TOO_LARGE, CONN_TIMEOUT, …): counted, the session is over
        if (!isSealcamError(e)) throw e;
        p.violation(e.code, e.message, conn);
        throw new SessionEnd(e.code);
      }
      if (frame === undefined) break;
      frames += 1;
      try {
        if (hooks.frame !== undefined) {
          await answered;
          if (await hooks.frame(dev, frame)) continue;
        }
      } catch (e) {
        if (!isSealcamError(e)) throw e;
        await violation(e.code, e.message.slice(0, 200));
        continue;
      }
      const m = await decode(frame);
      if (m === null) continue;
      if (m.type === 'block') {
        blocks += 1;
        while (inflight.size >= p.maxInflight) await Promise.race(inflight);
        // judged now (its synchronous verification runs here), answered after every earlier block
        const judged = answerBlock(p.identity, hooks, dev, m);
        const task = answered.then(async () => {
          const a = await judged;
          try {
            await send(a.ack);
          } finally {
            await a.after?.();
          }
        }).catch((e: unknown) => {
          if (!isSealcamError(e)) internal(p, conn, log, e);
          else log.debug({ err: e.message }, 'peer: ACK not sent');
        });
        answered = task;
        inflight.add(task);
        void task.finally(() => inflight.delete(task));
        continue;
      }
      await answered;
      try {
        switch (m.type) {
          case 'reg':
            await send(await answerReg(hooks, dev, m.payload));
            break;
          case 'auth-challenge':
            await send(answerAuth(p.identity, dev, m));
            break;
          case 'error':
            deviceError = m.code;
            log.info({ code: m.code, message: m.message }, 'peer: the device reported an error');
            break;
          default:
            await violation('UNEXPECTED_MESSAGE', `a ${roleName(p.identity.role)} does not take ${m.type}`);
        }
      } catch (e) {
        if (e instanceof SessionEnd || isSealcamError(e)) throw e;
        internal(p, conn, log, e);
      }
    }
  } catch (e) {
    if (e instanceof SessionEnd) error = e.code;
    else if (isSealcamError(e)) {
      // a send failed: the device is gone
      error = e.code;
      log.debug({ err: e.message }, 'peer: session ended with an error');
    } else {
      error = 'INTERNAL';
      internal(p, conn, log, e);
    }
  } finally {
    await Promise.allSettled([...inflight]);
    await answered;
    await conn.close().catch(() => undefined);
  }
  const result: SessionResult = { frames, blocks, ...(deviceError !== undefined ? { deviceError } : {}), ...(peer ? { deviceAddr: peer.deviceHex } : {}), ...(error !== undefined ? { error } : {}) };
  hooks.closed?.(result);
  return result;
}

function roleName(role: Role): string {
  return role === Role.SERVER ? 'storage server' : 'receiver';
}

/** A fault inside the peer (a bug): counted INTERNAL and logged; the session goes on. */
function internal(p: SessionPeer, conn: Connection, log: Logger, e: unknown): void {
  p.violation('INTERNAL', (e as Error).message, conn);
  log.error({ err: (e as Error).message }, 'peer: message handling failed');
}

/** The first frame, undefined when the connection closed first, or 'timeout'. @throws (rejects) TransportError */
async function firstFrame(conn: Connection, ms: number, clock: Clock): Promise<Frame | undefined | 'timeout'> {
  let timer: { cancel(): void } | undefined;
  const first = conn.receive();
  first.catch(() => undefined);
  return Promise.race([first, new Promise<'timeout'>((resolve) => (timer = clock.setTimer(ms, () => resolve('timeout'))))]).finally(() => timer?.cancel());
}
