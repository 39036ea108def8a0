/**
 * The registration part of a device session (SCHEME.md §7, SESSION-PROTOCOL
 * steps 2–3): send REG for each key cycle the destination has not
 * acknowledged, oldest first, one at a time; accept a REG_ACK only when its
 * signature verifies, its signer speaks for the destination, and it names
 * this device and this keyId. Acks are recorded durably in the AckBook.
 */
import { decodeRecord } from '../ledger/record-codec.js';
import { verifyAckRecord } from '../ledger/records.js';
import { equalBytes } from '../platform/bytes.js';
import type { Connection } from '../transport/transport.js';
import type { Message } from '../transport/messages.js';
import { speaksFor, type Destination } from './destinations.js';
import type { SessionDeps } from './delivery-types.js';
import type { StoredRegistration } from './registrations.js';
import { sendMessage, withDeadline } from './session-io.js';

/** REG answers that mean "never for this cycle" (its blocks are finished as rejected for this destination). */
export const PERMANENT_REG_FAILURES: readonly string[] = ['REG_EXPIRED'];

/** Outcome of one registration attempt. */
export type RegOutcome = { ok: true } | { ok: false; code: string; permanent: boolean };

/** Registration driver of one session. */
export class SessionRegistrar {
  private chain: Promise<unknown> = Promise.resolve();
  private waiter: ((m: Message | null) => void) | null = null;
  /** keyId hex → last failure in this session. */
  readonly failures = new Map<string, RegOutcome & { ok: false }>();

  /** Only assigns. */
  constructor(
    private readonly conn: Connection,
    private readonly dest: Destination,
    private readonly deps: SessionDeps,
    private readonly timeoutMs: number,
  ) {}

  /** Routes a REG_ACK or ERROR to the pending registration; false when none waits. */
  offer(msg: Message): boolean {
    if (!this.waiter || (msg.type !== 'reg-ack' && msg.type !== 'error')) return false;
    const w = this.waiter;
    this.waiter = null;
    w(msg);
    return true;
  }

  /** Ends a pending wait (link closed). */
  abort(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }

  /** Registers every stored cycle the destination has not acknowledged, oldest first. */
  registerAll(): Promise<void> {
    return this.serial(async () => {
      for (const r of this.deps.registrations.ordered()) {
        if (this.conn.closed) return;
        if (!this.deps.acks.has(this.dest.id, r.keyIdHex)) await this.attempt(r);
      }
    });
  }

  /** Registers one cycle (queued behind any attempt in flight). */
  register(r: StoredRegistration): Promise<RegOutcome> {
    return this.serial(() => (this.deps.acks.has(this.dest.id, r.keyIdHex) ? Promise.resolve({ ok: true as const }) : this.attempt(r)));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  private fail(r: StoredRegistration, code: string, detail: string): RegOutcome {
    const out = { ok: false as const, code, permanent: PERMANENT_REG_FAILURES.includes(code) };
    this.failures.set(r.keyIdHex, out);
    this.deps.counters.regFailed++;
    this.deps.logger.warn({ dest: this.dest.id, keyId: r.keyIdHex, code, detail }, 'delivery: key registration refused');
    return out;
  }

  private async attempt(r: StoredRegistration): Promise<RegOutcome> {
    const d = this.deps;
    const reply = new Promise<Message | null>((resolve) => (this.waiter = resolve));
    try {
      await sendMessage(this.conn, { type: 'reg', payload: r.bytes });
      d.counters.regSent++;
    } catch (e) {
      this.waiter = null;
      return this.fail(r, 'SEND_FAILED', (e as Error).message);
    }
    let msg: Message | null;
    try {
      msg = await withDeadline(reply, this.timeoutMs, d.clock, 'REG_ACK');
    } catch (e) {
      this.waiter = null;
      return this.fail(r, 'REG_TIMEOUT', (e as Error).message);
    }
    if (msg === null) return this.fail(r, 'SESSION_CLOSED', 'the link closed');
    if (msg.type === 'error') return this.fail(r, msg.code, msg.message);
    if (msg.type !== 'reg-ack') return this.fail(r, 'SESSION_PROTOCOL', `unexpected ${msg.type}`);
    let ack;
    try {
      ack = decodeRecord(msg.payload);
    } catch (e) {
      return this.fail(r, 'REG_FORMAT', (e as Error).message);
    }
    if (ack.kind !== 'ack') return this.fail(r, 'REG_FORMAT', `REG_ACK carries a ${ack.kind} record`);
    const sig = verifyAckRecord(ack);
    if (sig !== null) return this.fail(r, 'REG_ACK_SIGNATURE', sig.message);
    if (!speaksFor(this.dest, ack.serverSuite, ack.serverPublicKey)) return this.fail(r, 'REG_ACK_UNTRUSTED', 'signer does not speak for this destination');
    if (!equalBytes(ack.deviceAddr, d.identity.address) || !equalBytes(ack.keyId, r.keyId)) {
      return this.fail(r, 'REG_ACK_MISMATCH', 'acknowledgement names another device or keyId');
    }
    await d.acks.record(this.dest.id, r.keyIdHex, { suite: ack.serverSuite, publicKey: ack.serverPublicKey });
    this.failures.delete(r.keyIdHex);
    d.counters.regAcked++;
    d.logger.info({ dest: this.dest.id, keyId: r.keyIdHex }, 'delivery: key cycle acknowledged');
    return { ok: true };
  }
}
