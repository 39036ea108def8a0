/**
 * The owner's receiver as a protocol peer (src/peer/): its judgement of
 * blocks (block-handler.ts, under the receiver lock; the ACK is sent outside
 * it, then the capture is completed) and registrations
 * (registration-handler.ts), its counters and events, and the frames only a
 * receiver takes: C2PA manifest stores (c2pa-handler.ts) and the BLE layer's
 * PREVIEW (preview.ts). The session itself (src/peer/session.ts) is the same
 * as a storage server's; a receiver ends a session at its first violation
 * and judges one block at a time.
 */
import { isSealcamError } from '../platform/errors.js';
import type { BlockVerdict, DevicePeer, PeerIdentity } from '../peer/answers.js';
import type { SessionHooks, SessionPeer } from '../peer/session.js';
import type { Connection, Frame } from '../transport/transport.js';
import { AckStatus, decodeMessage, isBleLayerKind, MAX_C2PA_STORE_BYTES, MessageKind, Role, type BlockMessage, type C2paMessage, type Message } from '../transport/messages.js';
import { BLE_PREVIEW_KIND } from '../transport/ble/preview.js';
import { handleBlock } from './block-handler.js';
import { handleC2pa, type C2paOutcome } from './c2pa-handler.js';
import type { ReceiverCore } from './core.js';
import { PreviewTracker } from './preview.js';
import { handleRegistration } from './registration-handler.js';

/** C2PA messages a session keeps while their captures are incomplete (each ≤ MAX_C2PA_STORE_BYTES). */
const MAX_PARKED_C2PA = 16;

const STATUS_NAME: Record<number, string> = Object.fromEntries(Object.entries(AckStatus).map(([k, v]) => [v, k]));

/** The receiver as a session peer. */
export function receiverPeer(core: ReceiverCore): SessionPeer {
  const { identity: id, clock, logger, helloTimeoutMs, expectedDevice } = core.opts;
  const identity: PeerIdentity = { id: id.id, role: Role.RECEIVER, suite: id.suite, secret: id.secret, publicKey: id.publicKey, address: id.addr };
  return {
    identity, clock, logger, helloTimeoutMs, expectedDevice, maxInflight: 1, maxViolations: 1,
    violation: (code, message, conn) => {
      core.count(core.stats.protocolErrors, code);
      if (code === 'INTERNAL') logger.error({ conn: conn.id, err: message }, 'session failed');
    },
    open: (conn) => new ReceiverSession(core, conn),
  };
}

/** The per-session state and hooks of one receiver session. */
class ReceiverSession implements SessionHooks {
  /** C2PA messages that arrived before their capture completed, by seq (oldest first, at most MAX_PARKED_C2PA). */
  private readonly parkedC2pa = new Map<bigint, { readonly m: C2paMessage; readonly dev: string }>();
  private readonly previews: PreviewTracker;

  constructor(private readonly core: ReceiverCore, private readonly conn: Connection) {
    this.previews = new PreviewTracker(core);
    core.stats.connections++;
    core.stats.activeSessions++;
    core.emit('session', { connection: conn.id, remote: conn.remote, event: 'open' });
  }

  /** Decides and stores under the receiver lock; the ACK is sent outside it (a slow peer must not stall other sessions). */
  async block(_peer: DevicePeer, msg: BlockMessage): Promise<BlockVerdict> {
    const core = this.core;
    const o = await core.exclusive(() => handleBlock(core, msg));
    if (msg.data.length === 0 && o.reason === 'DATA_REQUIRED') this.previews.stripped(msg); // header verified: wait for its PREVIEW
    const after = o.after;
    return {
      status: o.status, reason: o.reason, headerDigest: o.headerDigest, seq: o.seq,
      ...(after
        ? {
            // completion failures leave the capture fully stored; start() finishes it after a restart
            after: async () => {
              await core.exclusive(after).catch((e: unknown) => core.opts.logger.error({ seq: o.seq.toString(), err: (e as Error).message }, 'capture completion failed'));
              await this.unparkC2pa(o.seq);
            },
          }
        : {}),
    };
  }

  answered(peer: DevicePeer, msg: BlockMessage, v: BlockVerdict): void {
    const core = this.core;
    const status = STATUS_NAME[v.status]!;
    core.count(core.stats.acks, status);
    if (v.reason !== '') {
      core.count(core.stats.rejections, v.reason);
      core.emit('rejected', { kind: 'block', reason: v.reason as never, status, deviceAddr: peer.deviceHex, seq: v.seq, index: msg.index });
    }
  }

  async register(peer: DevicePeer, payload: Uint8Array): Promise<{ ok: true; ack: Uint8Array } | { ok: false; reason: string; message: string }> {
    const core = this.core;
    const r = await core.exclusive(() => handleRegistration(core, payload, peer.device));
    if (r.ok) return { ok: true, ack: r.ack };
    core.count(core.stats.rejections, r.reason);
    core.emit('rejected', { kind: 'registration', reason: r.reason, status: 'ERROR', ...(r.deviceAddr ? { deviceAddr: r.deviceAddr } : {}) });
    return { ok: false, reason: r.reason, message: r.message };
  }

  /** C2PA frames and BLE-layer frames (0xB0–0xBF) are the receiver's own. */
  async frame(peer: DevicePeer, frame: Frame): Promise<boolean> {
    if (isBleLayerKind(frame.kind)) {
      await this.bleLayer(frame);
      return true;
    }
    if (frame.kind === MessageKind.C2PA) {
      await this.c2pa(peer, frame);
      return true;
    }
    return false;
  }

  closed(result: { deviceAddr?: string; error?: string }): void {
    const core = this.core;
    // C2PA messages whose captures never completed on this session
    for (const [seq, { dev }] of this.parkedC2pa) this.countC2pa({ stored: false, reason: 'C2PA_CAPTURE_UNKNOWN', message: `capture ${seq} did not complete on this session` }, seq, dev);
    this.parkedC2pa.clear();
    core.stats.activeSessions--;
    core.emit('session', { connection: this.conn.id, remote: this.conn.remote, event: 'close', ...(result.deviceAddr ? { deviceAddr: result.deviceAddr } : {}), ...(result.error ? { error: result.error } : {}) });
  }

  /** PREVIEW is checked against the stripped blocks (preview.ts); other BLE-layer kinds are ignored. A malformed one throws its code. */
  private async bleLayer(frame: Frame): Promise<void> {
    const core = this.core;
    if (frame.kind !== BLE_PREVIEW_KIND) {
      core.opts.logger.debug({ conn: this.conn.id, kind: frame.kind }, 'ignoring a BLE-layer frame this receiver does not know');
      return;
    }
    const e = await this.previews.preview(frame);
    core.count(core.stats.previews, e === null ? 'UNMATCHED' : (e.reason ?? 'VERIFIED'));
    if (e !== null) core.emit('preview', e);
  }

  /**
   * A capture's C2PA manifest store (c2pa-handler.ts): verified and stored, or
   * rejected with a code that is counted (stats.c2pa) and logged. One whose
   * capture is not complete yet is kept (PARKED, at most MAX_PARKED_C2PA,
   * the oldest dropped as C2PA_PARKED_DROPPED) and judged when a block
   * completes that capture. No answer is sent and a bad one never ends the
   * session.
   */
  private async c2pa(peer: DevicePeer, frame: Frame): Promise<void> {
    const core = this.core;
    let o: C2paOutcome;
    let seq: bigint | undefined;
    let msg: Message | undefined;
    try {
      msg = decodeMessage(frame);
    } catch (e) {
      if (!isSealcamError(e)) throw e;
      const tooLarge = frame.payload.length > 1 + 8 + 4 + MAX_C2PA_STORE_BYTES;
      o = { stored: false, reason: tooLarge ? 'C2PA_MESSAGE_TOO_LARGE' : 'C2PA_MESSAGE_MALFORMED', message: `${e.code}: ${e.message}` };
    }
    if (msg?.type === 'c2pa') {
      seq = msg.seq;
      o = await this.judgeC2pa(peer.deviceHex, msg);
      if (!o.stored && (o.reason === 'C2PA_CAPTURE_PENDING' || o.reason === 'C2PA_CAPTURE_UNKNOWN')) {
        // Its blocks are still arriving (BLE sends stripped blocks first, which create no capture until their data
        // comes): judged when the capture completes on this session, else counted C2PA_CAPTURE_UNKNOWN at its end.
        if (this.parkedC2pa.size >= MAX_PARKED_C2PA) {
          const oldest = this.parkedC2pa.keys().next().value!;
          this.parkedC2pa.delete(oldest);
          core.count(core.stats.c2pa, 'C2PA_PARKED_DROPPED');
        }
        this.parkedC2pa.set(msg.seq, { m: { ...msg, store: Uint8Array.from(msg.store) }, dev: peer.deviceHex });
        core.count(core.stats.c2pa, 'PARKED');
        return;
      }
    }
    this.countC2pa(o!, seq, peer.deviceHex);
  }

  private judgeC2pa(deviceHex: string, m: C2paMessage): Promise<C2paOutcome> {
    const core = this.core;
    return core.exclusive(() => handleC2pa(core, deviceHex, m)).catch((e: unknown): C2paOutcome => {
      core.opts.logger.error({ seq: m.seq.toString(), err: (e as Error).message }, 'C2PA manifest store could not be stored');
      return { stored: false, reason: 'STORE_IO', message: (e as Error).message };
    });
  }

  /** A parked C2PA message whose capture `seq` just completed is judged now. */
  private async unparkC2pa(seq: bigint): Promise<void> {
    const p = this.parkedC2pa.get(seq);
    if (p === undefined) return;
    this.parkedC2pa.delete(seq);
    this.countC2pa(await this.judgeC2pa(p.dev, p.m), seq, p.dev);
  }

  private countC2pa(outcome: C2paOutcome, seq: bigint | undefined, dev: string | undefined): void {
    const core = this.core;
    const key = outcome.stored ? (outcome.duplicate ? 'DUPLICATE' : 'STORED') : outcome.reason;
    core.count(core.stats.c2pa, key);
    const log = { conn: this.conn.id, dev, seq: seq?.toString(), c2pa: key };
    if (outcome.stored) core.opts.logger.debug(log, 'C2PA manifest store received');
    else core.opts.logger.warn({ ...log, err: outcome.message.slice(0, 200) }, 'C2PA manifest store rejected');
  }
}
