/**
 * One device ↔ peer session over any Connection (SESSION-PROTOCOL): HELLO,
 * REG/REG_ACK of the key chain the destination lacks, then the
 * destination's queued blocks in order, each finished only by an ACK signed
 * with that destination's key (STORED/DUPLICATE delivered, REJECTED finished
 * and counted, RETRY_LATER/NOT_REGISTERED retried with the queue's backoff).
 * STATUS from storage servers feeds Algorithm 1. Received bytes are hostile:
 * any protocol violation ends the session with an ERROR.
 */
import { sha256 } from '../../crypto/hash.js';
import { addressOf } from '../../crypto/ecdsa.js';
import { verifyBlockAck } from '../../protocol/block-ack.js';
import { toHex } from '../../platform/bytes.js';
import { isSealcamError } from '../../platform/errors.js';
import { C2PA_RECORD_INDEX } from '../pipeline/types.js';
import { AckStatus, blockPayloadHeader, MessageKind, isDelivered, type AckMessage, type HelloMessage, type Message } from '../../transport/messages.js';
import { HEADER_OFFSETS } from '../../dstp/header.js';
import type { Connection } from '../../transport/transport.js';
import type { Destination } from './destinations.js';
import type { LeasedBlock, SessionDeps } from './types.js';
import { challengePeer, closeWithError, helloExchange, receiveMessage, SessionError } from './session-io.js';
import { systemRng } from '../../platform/rng.js';
import { SessionRegistrar } from './registration.js';

/** A refused (non-permanent) registration is tried again after this long. */
export const REG_RETRY_MS = 30_000;

const blockKey = (seq: bigint, index: number): bigint => (seq << 16n) | BigInt(index);

/** A device-side session on one connection. `run()` resolves when it ends; never rejects. */
export class DeliverySession {
  private readonly ac = new AbortController();
  private readonly inflight = new Map<bigint, { seq: bigint; index: number; digest: Uint8Array; keyIdHex: string }>();
  private poke: (() => void) | null = null;
  private reg: SessionRegistrar | null = null;
  private regFailedAt = new Map<string, bigint>();
  /** The destination, once the HELLO exchange succeeded. */
  dest: Destination | null = null;

  /** Only assigns. */
  constructor(
    readonly conn: Connection,
    private readonly deps: SessionDeps,
  ) {}

  private get timeoutMs(): number {
    return this.deps.replyTimeoutMs ?? 10_000;
  }

  /** Runs the session to its end (link closed, protocol error or stop()). */
  async run(onReady?: (s: DeliverySession) => void): Promise<void> {
    const d = this.deps;
    d.counters.sessions++;
    let hello: HelloMessage;
    try {
      const r = await helloExchange(this.conn, d.identity.address, d.destinations, this.timeoutMs, d.clock);
      this.dest = r.dest;
      hello = r.hello;
    } catch (e) {
      d.counters.protocolErrors++;
      d.logger.warn({ conn: this.conn.id, remote: this.conn.remote, err: (e as Error).message }, 'delivery: peer refused');
      await closeWithError(this.conn, isSealcamError(e) ? e.code : 'SESSION_PROTOCOL', (e as Error).message);
      return;
    }
    const dest = this.dest;
    // A receiver proves it holds a key that speaks for its destination before anything is streamed to it (a LAN
    // host knowing the owner's address gets nothing); a link that authorised the peer itself (BLE) is not asked again.
    if (dest.kind !== 'server' && this.conn.authenticatedAs !== dest.id) {
      try {
        await challengePeer(this.conn, d.identity.address, dest, d.rng ?? systemRng, this.timeoutMs, d.clock);
      } catch (e) {
        d.counters.authFailed++;
        d.onAuthFailure?.(this.conn.remote);
        d.logger.warn({ conn: this.conn.id, remote: this.conn.remote, dest: dest.id, err: (e as Error).message }, 'delivery: peer failed the authorisation challenge');
        this.dest = null;
        await closeWithError(this.conn, 'AUTH_FAILED', 'authorisation failed');
        return;
      }
    }
    d.logger.info({ conn: this.conn.id, remote: this.conn.remote, dest: dest.id }, 'delivery: session started');
    onReady?.(this);
    this.reg = new SessionRegistrar(this.conn, dest, d, this.timeoutMs);
    const onAdded = (): void => {
      void this.reg?.registerAll().then(() => this.wake(), () => {});
    };
    d.registrations.on('changed', onAdded);
    const reader = this.readLoop(dest);
    try {
      await this.reg.registerAll();
      await Promise.race([this.streamLoop(dest, hello), reader]);
    } catch (e) {
      if (!this.ac.signal.aborted && !this.conn.closed) {
        d.counters.protocolErrors++;
        d.logger.warn({ dest: dest.id, err: (e as Error).message }, 'delivery: session failed');
        await closeWithError(this.conn, isSealcamError(e) ? e.code : 'SESSION_PROTOCOL', (e as Error).message);
      }
    } finally {
      d.registrations.off('changed', onAdded);
      this.ac.abort();
      this.reg.abort();
      this.wake();
      for (const f of this.inflight.values()) d.queue.release(dest.id, f.seq, f.index);
      this.inflight.clear();
      await this.conn.close().catch(() => {});
      await reader.catch(() => {});
      d.logger.info({ dest: dest.id, conn: this.conn.id }, 'delivery: session ended');
    }
  }

  /** Ends the session (graceful close). */
  async stop(): Promise<void> {
    this.ac.abort();
    this.wake();
    await this.conn.close().catch(() => {});
  }

  private wake(): void {
    const p = this.poke;
    this.poke = null;
    p?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = this.deps.clock.setTimer(ms, () => this.wake());
      this.poke = () => {
        t.cancel();
        resolve();
      };
      if (this.ac.signal.aborted) this.wake();
    });
  }

  private async readLoop(dest: Destination): Promise<void> {
    const d = this.deps;
    for (;;) {
      let msg: Message;
      try {
        msg = await receiveMessage(this.conn);
      } catch (e) {
        if (isSealcamError(e, 'SESSION_CLOSED') || this.ac.signal.aborted) return;
        throw e;
      }
      if (this.reg?.offer(msg)) continue;
      switch (msg.type) {
        case 'ack':
          await this.onAck(dest, msg);
          break;
        case 'status': {
          const refused = d.space.accept(dest, msg.payload, d.clock.now());
          if (refused) d.logger.warn({ dest: dest.id, code: refused }, 'delivery: server status refused');
          break;
        }
        case 'error':
          d.logger.warn({ dest: dest.id, code: msg.code, message: msg.message }, 'delivery: peer reported an error');
          break;
        case 'hello':
        case 'reg-ack':
          // Over MQTT answers may repeat or come late (QoS 1, every member of a group answers a REG):
          // a HELLO, or a REG_ACK no registration waits for, changes nothing.
          d.logger.debug({ dest: dest.id, type: msg.type }, 'delivery: repeated or late answer ignored');
          break;
        default:
          throw new SessionError('SESSION_PROTOCOL', `unexpected ${msg.type} from a ${dest.kind}`);
      }
    }
  }

  private async onAck(dest: Destination, a: AckMessage): Promise<void> {
    const d = this.deps;
    const f = this.inflight.get(blockKey(a.seq, a.index));
    if (!f || a.dest !== dest.id) {
      d.logger.debug({ dest: dest.id, seq: a.seq.toString(), index: a.index }, 'delivery: ACK for no block in flight');
      return;
    }
    const signer = d.acks.signer(dest.id);
    const valid = signer !== null && a.signature !== undefined && verifyBlockAck(signer.suite, signer.publicKey, {
      signerAddr: addressOf(signer.suite, signer.publicKey), deviceAddr: d.identity.address, headerDigest: f.digest, index: a.index, status: a.status,
    }, a.signature) === null;
    this.inflight.delete(blockKey(a.seq, a.index));
    if (!valid) {
      d.counters.badAcks++;
      d.logger.warn({ dest: dest.id, seq: a.seq.toString(), index: a.index }, 'delivery: ACK signature invalid; block will be resent');
      d.queue.retry(dest.id, f.seq, f.index);
    } else if (isDelivered(a.status)) {
      d.counters.delivered++; // counted with the record's removal (synchronous in done), not after its fsync
      await d.queue.done(dest.id, f.seq, f.index);
    } else if (a.status === AckStatus.REJECTED) {
      d.counters.rejected++;
      d.logger.warn({ dest: dest.id, seq: a.seq.toString(), index: a.index, reason: a.reason }, 'delivery: block REJECTED by the destination');
      await d.queue.done(dest.id, f.seq, f.index);
    } else {
      d.counters.retried++;
      if (a.status === AckStatus.NOT_REGISTERED) {
        await d.acks.forget(dest.id, f.keyIdHex);
      }
      d.queue.retry(dest.id, f.seq, f.index);
    }
    this.wake();
  }

  private async streamLoop(dest: Destination, hello: HelloMessage): Promise<void> {
    const d = this.deps;
    const maxFrame = Math.min(this.conn.maxFrameBytes, hello.maxFrameBytes);
    const signal = this.ac.signal;
    while (!signal.aborted && !this.conn.closed) {
      let b: LeasedBlock;
      try {
        b = await d.queue.pull(dest.id, signal);
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
      if (b.index === C2PA_RECORD_INDEX) {
        if (!(await this.sendC2pa(dest, b, maxFrame))) return;
        continue;
      }
      const header = blockPayloadHeader(b.data);
      const keyIdHex = toHex(header.subarray(HEADER_OFFSETS.keyId, HEADER_OFFSETS.keyId + 32));
      if (!d.acks.has(dest.id, keyIdHex)) {
        await this.unregistered(dest, b, keyIdHex);
        continue;
      }
      if (1 + b.data.length > maxFrame) {
        d.counters.rejected++;
        d.logger.error({ dest: dest.id, seq: b.seq.toString(), index: b.index, bytes: b.data.length }, 'delivery: block larger than the link allows; finished as rejected');
        await d.queue.done(dest.id, b.seq, b.index);
        continue;
      }
      const entry = { seq: b.seq, index: b.index, digest: sha256(header), keyIdHex };
      this.inflight.set(blockKey(b.seq, b.index), entry);
      try {
        await this.conn.send({ kind: MessageKind.BLOCK, payload: b.data });
        d.counters.blocksSent++;
      } catch (e) {
        if (this.inflight.delete(blockKey(b.seq, b.index))) d.queue.release(dest.id, b.seq, b.index);
        if (signal.aborted || this.conn.closed) return;
        throw e;
      }
    }
  }

  /**
   * A capture's C2PA message record (pipeline.ts C2PA_RECORD_INDEX): sent once
   * after the capture's blocks and finished for this destination (the
   * receiver verifies, stores or counts it and answers nothing). Storage
   * servers are never queued one; one larger than the link allows is
   * finished unsent. False when the session ended while sending.
   */
  private async sendC2pa(dest: Destination, b: LeasedBlock, maxFrame: number): Promise<boolean> {
    const d = this.deps;
    if (dest.kind === 'server' || 1 + b.data.length > maxFrame) {
      d.logger.warn({ dest: dest.id, seq: b.seq.toString(), bytes: b.data.length }, 'delivery: C2PA manifest not sent (a server, or larger than the link allows)');
      await d.queue.done(dest.id, b.seq, b.index);
      return true;
    }
    try {
      await this.conn.send({ kind: MessageKind.C2PA, payload: b.data });
    } catch (e) {
      d.queue.release(dest.id, b.seq, b.index);
      if (this.ac.signal.aborted || this.conn.closed) return false;
      throw e;
    }
    d.counters.c2paSent++;
    await d.queue.done(dest.id, b.seq, b.index);
    return true;
  }

  /** The block's key cycle is not acknowledged by dest: register it, finish it (permanent refusal) or wait. */
  private async unregistered(dest: Destination, b: LeasedBlock, keyIdHex: string): Promise<void> {
    const d = this.deps;
    const reg = d.registrations.has(keyIdHex);
    const failure = this.reg!.failures.get(keyIdHex);
    if (reg && failure?.permanent) {
      d.counters.rejected++;
      d.logger.warn({ dest: dest.id, seq: b.seq.toString(), index: b.index, code: failure.code }, 'delivery: key cycle refused for good; block finished as rejected');
      await d.queue.done(dest.id, b.seq, b.index);
      return;
    }
    d.queue.release(dest.id, b.seq, b.index);
    const now = d.clock.now();
    const last = this.regFailedAt.get(keyIdHex);
    if (reg && (!failure || (last !== undefined && now - last >= BigInt(REG_RETRY_MS)))) {
      const out = await this.reg!.registerAll();
      if (!out.ok) this.regFailedAt.set(keyIdHex, d.clock.now());
      return;
    }
    if (!reg) d.logger.error({ dest: dest.id, keyId: keyIdHex }, 'delivery: a queued block names a key cycle that is not in the key chain');
    await this.pause(REG_RETRY_MS);
  }
}
