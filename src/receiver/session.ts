/**
 * The receiver side of one device session over any Connection
 * (SESSION-PROTOCOL.md): HELLO both ways, then REG → REG_ACK (or ERROR with
 * the reason) and BLOCK → signed ACK, until the connection closes. Malformed
 * messages are protocol errors: ERROR, then close. Transport-agnostic (TCP,
 * loopback, BLE central all hand in a Connection).
 */
import { signBlockAck } from '../protocol/block-ack.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { Connection, Frame } from '../transport/transport.js';
import { AckStatus, decodeMessage, encodeMessage, isBleLayerKind, PROTOCOL_VERSION, Role, type BlockMessage, type HelloMessage, type Message } from '../transport/messages.js';
import { BLE_PREVIEW_KIND } from '../transport/ble/preview.js';
import { handleBlock } from './block-handler.js';
import type { ReceiverCore } from './core.js';
import { PreviewTracker } from './preview.js';
import { handleRegistration } from './registration-handler.js';

/** How a session ended. */
export interface SessionResult {
  /** The device address announced in its HELLO (hex), when one was received. */
  readonly deviceAddr?: string;
  /** Frames handled after HELLO. */
  readonly frames: number;
  /** The code of the protocol or transport error that ended it (none for a clean close). */
  readonly error?: string;
}

const STATUS_NAME: Record<number, string> = Object.fromEntries(Object.entries(AckStatus).map(([k, v]) => [v, k]));

class SessionEnd extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** One session; create and `run()` once. */
export class ReceiverSession {
  private frames = 0;
  private deviceAddr: string | undefined;
  private readonly previews: PreviewTracker;

  /** Only assigns. */
  constructor(private readonly core: ReceiverCore, private readonly conn: Connection) {
    this.previews = new PreviewTracker(core);
  }

  /** Runs the session to its end; never rejects. */
  async run(): Promise<SessionResult> {
    const { core, conn } = this;
    core.stats.connections++;
    core.stats.activeSessions++;
    core.emit('session', { connection: conn.id, remote: conn.remote, event: 'open' });
    let error: string | undefined;
    try {
      await this.send({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.RECEIVER, addr: core.opts.identity.addr, maxFrameBytes: Math.max(1024, Math.min(conn.maxFrameBytes, 0xffffffff)), id: core.opts.identity.id });
      await this.hello();
      for (;;) {
        const frame = await conn.receive();
        if (frame === undefined) break;
        await this.dispatch(frame);
      }
    } catch (e) {
      error = e instanceof SessionEnd ? e.code : isSealcamError(e) ? e.code : 'SESSION_FAILED';
      if (!(e instanceof SessionEnd) && !isSealcamError(e)) core.opts.logger.error({ conn: conn.id, err: (e as Error).message }, 'session failed');
      await conn.close().catch(() => undefined);
    } finally {
      core.stats.activeSessions--;
      core.emit('session', { connection: conn.id, remote: conn.remote, event: 'close', ...(this.deviceAddr ? { deviceAddr: this.deviceAddr } : {}), ...(error ? { error } : {}) });
    }
    return { frames: this.frames, ...(this.deviceAddr ? { deviceAddr: this.deviceAddr } : {}), ...(error !== undefined ? { error } : {}) };
  }

  private async send(msg: Message): Promise<void> {
    await this.conn.send(encodeMessage(msg));
  }

  /** Sends ERROR and ends the session with `code` (counted as a protocol error). */
  private async violation(code: string, message: string): Promise<never> {
    this.core.count(this.core.stats.protocolErrors, code);
    await this.send({ type: 'error', code, message }).catch(() => undefined);
    throw new SessionEnd(code);
  }

  private decode(frame: Frame): Promise<Message> {
    try {
      return Promise.resolve(decodeMessage(frame));
    } catch (e) {
      if (isSealcamError(e)) return this.violation(e.code, e.message.slice(0, 200));
      throw e;
    }
  }

  private async hello(): Promise<void> {
    const { clock, helloTimeoutMs, expectedDevice } = this.core.opts;
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = clock.setTimer(helloTimeoutMs, () => resolve('timeout'))));
    const first = this.conn.receive();
    first.catch(() => undefined);
    const got = await Promise.race([first, timeout]).finally(() => timer?.cancel());
    if (got === 'timeout') return this.violation('HELLO_TIMEOUT', `no HELLO within ${helloTimeoutMs} ms`);
    if (got === undefined) throw new SessionEnd('CONN_CLOSED');
    const msg = await this.decode(got);
    if (msg.type !== 'hello' || msg.role !== Role.DEVICE) return this.violation('HELLO_EXPECTED', 'the first message must be a device HELLO');
    const hello: HelloMessage = msg;
    this.deviceAddr = toHex(hello.addr);
    if (expectedDevice !== undefined && !equalBytes(expectedDevice, hello.addr)) {
      return this.violation('DEVICE_PIN_MISMATCH', 'this receiver is pinned to another device');
    }
  }

  private async dispatch(frame: Frame): Promise<void> {
    if (isBleLayerKind(frame.kind)) return this.bleLayer(frame);
    const msg = await this.decode(frame);
    this.frames++;
    const core = this.core;
    switch (msg.type) {
      case 'reg': {
        const r = await core.exclusive(() => handleRegistration(core, msg.payload));
        if (r.ok) {
          await this.send({ type: 'reg-ack', payload: r.ack });
          return;
        }
        core.count(core.stats.rejections, r.reason);
        core.emit('rejected', { kind: 'registration', reason: r.reason, status: 'ERROR', ...(r.deviceAddr ? { deviceAddr: r.deviceAddr } : {}) });
        await this.send({ type: 'error', code: r.reason, message: r.message.slice(0, 512) });
        return;
      }
      case 'block':
        await this.block(msg);
        return;
      case 'error':
        core.opts.logger.warn({ conn: this.conn.id, code: msg.code }, 'device reported an error');
        return;
      default:
        core.opts.logger.debug({ conn: this.conn.id, type: msg.type }, 'ignoring a message a receiver does not handle');
    }
  }

  /** BLE-layer frames (0xB0–0xBF): PREVIEW is checked against the stripped blocks (preview.ts); others are ignored. */
  private async bleLayer(frame: Frame): Promise<void> {
    this.frames++;
    const core = this.core;
    if (frame.kind !== BLE_PREVIEW_KIND) {
      core.opts.logger.debug({ conn: this.conn.id, kind: frame.kind }, 'ignoring a BLE-layer frame this receiver does not know');
      return;
    }
    let e;
    try {
      e = await this.previews.preview(frame);
    } catch (err) {
      if (isSealcamError(err)) return this.violation(err.code, err.message.slice(0, 200));
      throw err;
    }
    core.count(core.stats.previews, e === null ? 'UNMATCHED' : (e.reason ?? 'VERIFIED'));
    if (e !== null) core.emit('preview', e);
  }

  private async block(msg: BlockMessage): Promise<void> {
    const core = this.core;
    // decide and store under the receiver lock; send outside it (a slow peer must not stall other sessions)
    const o = await core.exclusive(() => handleBlock(core, msg));
    const status = STATUS_NAME[o.status]!;
    core.count(core.stats.acks, status);
    if (o.reason !== '') {
      core.count(core.stats.rejections, o.reason);
      core.emit('rejected', { kind: 'block', reason: o.reason, status, deviceAddr: toHex(o.deviceAddr), seq: o.seq, index: o.index });
    }
    const { identity } = core.opts;
    const signature = signBlockAck(identity.suite, identity.secret, {
      signerAddr: identity.addr, deviceAddr: o.deviceAddr, headerDigest: o.headerDigest, index: o.index, status: o.status,
    });
    if (msg.data.length === 0 && o.reason === 'DATA_REQUIRED') this.previews.stripped(msg); // header verified: wait for its PREVIEW
    try {
      await this.send({ type: 'ack', dest: identity.id, seq: o.seq, index: o.index, status: o.status, reason: o.reason, signature });
    } finally {
      // completion failures leave the capture fully stored; start() finishes it after a restart
      if (o.after) {
        await core.exclusive(o.after).catch((e: unknown) => core.opts.logger.error({ seq: o.seq.toString(), err: (e as Error).message }, 'capture completion failed'));
      }
    }
  }
}
