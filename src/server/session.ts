/**
 * One device session at the storage server (SESSION-PROTOCOL.md): HELLO both
 * ways, latest STATUS, then REG → REG_ACK (or ERROR with the REG_* reason) and
 * BLOCK → signed ACK, in block order. Blocks are pipelined: verification of
 * the next block overlaps the group commit of the previous ones, bounded by
 * `maxInflight`. Received bytes are hostile: every message is handled inside a
 * catch-all, every violation is counted with its reason and answered with
 * ERROR, and a session with too many violations is closed. Never throws.
 */
import { equalBytes, toHex } from '../platform/bytes.js';
import type { Clock } from '../platform/clock.js';
import { isSealcamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { signBlockAck } from '../protocol/block-ack.js';
import { transportError } from '../transport/errors.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type BlockMessage, type Message } from '../transport/messages.js';
import { MqttConnection } from '../transport/mqtt/mqtt-connection.js';
import type { Connection } from '../transport/transport.js';
import type { ServerReason } from './errors.js';
import { handleRegistration, type RegistrationDeps } from './registration.js';
import type { ServerIdentity } from './server-key.js';
import type { ServerStats } from './stats.js';
import type { BlockVerdict, BlockVerifier } from './verifier.js';

/** Everything a session needs from its server. */
export interface SessionContext {
  readonly serverId: string;
  readonly identity: ServerIdentity;
  readonly verifier: BlockVerifier;
  readonly registration: RegistrationDeps;
  readonly stats: ServerStats;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly helloTimeoutMs: number;
  readonly maxInflight: number;
  readonly maxViolations: number;
  /** The latest signed STATUS, if any. */
  readonly status: () => Uint8Array | undefined;
  /** Serialises registrations (the chain check reads, then writes, the last keyId). */
  readonly serialize: <T>(fn: () => Promise<T>) => Promise<T>;
}

const send = (conn: Connection, m: Message): Promise<void> => conn.send(encodeMessage(m));

function errorMessage(code: string, message: string): Message {
  return { type: 'error', code: code.replace(/[^A-Za-z0-9._:@-]/g, '_').slice(0, 64) || 'ERROR', message: message.slice(0, 512) };
}

async function firstMessage(conn: Connection, ms: number, clock: Clock): Promise<Message | null> {
  let timer: { cancel(): void } | undefined;
  const frame = await Promise.race([
    conn.receive(),
    new Promise<'timeout'>((resolve) => (timer = clock.setTimer(ms, () => resolve('timeout')))),
  ]).finally(() => timer?.cancel());
  if (frame === 'timeout' || frame === undefined) return null;
  return decodeMessage(frame);
}

/** Runs one session to its end. */
export async function runSession(conn: Connection, c: SessionContext): Promise<void> {
  const log = c.logger.child({ conn: conn.id, remote: conn.remote });
  c.stats.sessionsOpen += 1;
  c.stats.sessionsTotal += 1;
  let acks: Promise<void> = Promise.resolve();
  const inflight = new Set<Promise<unknown>>();
  let violations = 0;
  const violation = async (reason: ServerReason, message: string): Promise<void> => {
    c.stats.reason(reason);
    violations += 1;
    log.debug({ reason, message }, 'server: protocol violation');
    await send(conn, errorMessage(reason, message)).catch(() => undefined);
    if (violations >= c.maxViolations) await conn.close(transportError('CONN_RESET', 'too many protocol violations'));
  };
  const greet = async (): Promise<void> => {
    await send(conn, { type: 'hello', protocol: PROTOCOL_VERSION, role: Role.SERVER, addr: c.identity.address, maxFrameBytes: conn.maxFrameBytes, id: c.serverId });
    const st = c.status();
    if (st !== undefined) await send(conn, { type: 'status', payload: st });
  };
  // In a shared MQTT group the device is known from its topic and the HELLO may reach
  // another member; only the member that received the OPEN answers registrations.
  const group = conn instanceof MqttConnection && conn.group && conn.deviceAddr !== undefined ? conn : undefined;
  try {
    let device: Uint8Array;
    if (group !== undefined) {
      device = group.deviceAddr!;
    } else {
      let hello: Message | null;
      try {
        hello = await firstMessage(conn, c.helloTimeoutMs, c.clock);
      } catch (e) {
        hello = null;
        c.stats.reason(isSealcamError(e) ? (e.code as ServerReason) : 'INTERNAL');
      }
      if (hello === null || hello.type !== 'hello' || hello.role !== Role.DEVICE) {
        const reason: ServerReason = hello?.type === 'hello' ? 'BAD_ROLE' : 'HELLO_REQUIRED';
        if (hello !== null) c.stats.reason(reason);
        await send(conn, errorMessage(reason, 'a session starts with the device HELLO')).catch(() => undefined);
        return;
      }
      device = Uint8Array.from(hello.addr);
      await greet();
    }
    const deviceHex = toHex(device);
    const silentRegs = group?.adopted === true;
    const ackBlock = async (msg: BlockMessage, v: BlockVerdict): Promise<void> => {
      c.stats.block(v.status, v.reason);
      const signature = signBlockAck(c.identity.suite, c.identity.secret, {
        signerAddr: c.identity.address, deviceAddr: device, headerDigest: v.headerDigest, index: msg.index, status: v.status,
      });
      await send(conn, { type: 'ack', dest: c.serverId, seq: v.seq, index: msg.index, status: v.status, reason: v.reason, signature });
    };
    for (;;) {
      let frame;
      try {
        frame = await conn.receive();
      } catch (e) {
        c.stats.reason(isSealcamError(e) ? (e.code as ServerReason) : 'INTERNAL');
        log.debug({ err: (e as Error).message }, 'server: session ended with an error');
        return;
      }
      if (frame === undefined) return;
      let msg: Message;
      try {
        msg = decodeMessage(frame);
      } catch (e) {
        await violation(isSealcamError(e) ? (e.code as ServerReason) : 'INTERNAL', (e as Error).message);
        if (conn.closed) return;
        continue;
      }
      try {
        if (msg.type === 'block') {
          while (inflight.size >= c.maxInflight) await Promise.race(inflight);
          const p = c.verifier.handle(deviceHex, msg);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          acks = acks.then(async () => ackBlock(msg, await p)).catch((e: unknown) => {
            log.debug({ err: (e as Error).message }, 'server: ACK not sent');
          });
        } else if (msg.type === 'reg') {
          const payload = msg.payload;
          const r = await c.serialize(() => handleRegistration(c.registration, device, payload, c.clock.now()));
          if (r.ok) {
            if (r.fresh) c.stats.registrations += 1;
            else c.stats.registrationsRepeated += 1;
            log.info({ device: deviceHex, keyId: r.keyIdHex, fresh: r.fresh }, 'server: key cycle registered');
            if (!silentRegs) await send(conn, { type: 'reg-ack', payload: r.ack });
          } else {
            c.stats.reason(r.reason);
            log.info({ device: deviceHex, reason: r.reason, message: r.message }, 'server: registration refused');
            if (!silentRegs) await send(conn, errorMessage(r.reason, r.message));
          }
        } else if (msg.type === 'hello' && group !== undefined && msg.role === Role.DEVICE && equalBytes(msg.addr, device)) {
          await greet();
        } else if (msg.type === 'error') {
          log.info({ code: msg.code, message: msg.message }, 'server: device reported an error');
        } else {
          await violation('UNEXPECTED_MESSAGE', `a storage server does not take ${msg.type}`);
          if (conn.closed) return;
        }
      } catch (e) {
        if (conn.closed) return;
        c.stats.reason('INTERNAL', false);
        log.error({ err: (e as Error).message }, 'server: message handling failed');
      }
    }
  } finally {
    await Promise.allSettled([...inflight]);
    await acks;
    await conn.close().catch(() => undefined);
    c.stats.sessionsOpen -= 1;
  }
}
