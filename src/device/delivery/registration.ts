/**
 * The registration part of a device session (SCHEME.md §7 v1.1,
 * SESSION-PROTOCOL steps 2–3): send the destination the key chain after the
 * last keyId it acknowledged (from C₁ when none), one message at a time until
 * it holds the newest cycle; accept a REG_ACK only when its signature
 * verifies, its signer speaks for the destination, and it names this device
 * and the message's newest keyId. Acks are recorded durably in the AckBook;
 * an ack of a restarted cycle is a witness acknowledgement and goes into the
 * key chain (onWitness). A REG_CHAIN answer (the peer lost what it had
 * acknowledged) is retried once from C₁.
 */
import { decodeRecord } from '../../ledger/record-codec.js';
import { verifyAckRecord } from '../../ledger/records.js';
import { equalBytes, fromHex } from '../../platform/bytes.js';
import type { Connection } from '../../transport/transport.js';
import type { Message } from '../../transport/messages.js';
import { speaksFor, type Destination } from './destinations.js';
import type { SessionDeps } from './types.js';
import type { RegistrationMessage } from '../keys/registrations.js';
import { sendMessage, withDeadline } from './session-io.js';

/** REG answers that mean "never for these cycles" (their blocks are finished as rejected for this destination). */
export const PERMANENT_REG_FAILURES: readonly string[] = ['REG_EXPIRED', 'REG_FORK'];

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

  /** Registers the key chain up to its newest cycle with the destination, one message at a time. */
  registerAll(): Promise<RegOutcome> {
    return this.serial(async () => {
      let fromStart = false;
      for (;;) {
        if (this.conn.closed) return { ok: false as const, code: 'SESSION_CLOSED', permanent: false };
        const msg = this.deps.registrations.next(fromStart ? null : this.lastAcked());
        if (msg === null) return { ok: true as const };
        const out = await this.attempt(msg);
        if (out.ok) {
          fromStart = false;
          continue;
        }
        if (out.code === 'REG_CHAIN' && !fromStart) {
          fromStart = true;
          continue;
        }
        return out;
      }
    });
  }

  /** The newest keyId (hex) of the chain that the destination acknowledged, or null. */
  private lastAcked(): string | null {
    const ids = this.deps.registrations.keyIds();
    for (let j = ids.length - 1; j >= 0; j--) if (this.deps.acks.has(this.dest.id, ids[j]!)) return ids[j]!;
    return null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  private fail(m: RegistrationMessage, code: string, detail: string): RegOutcome {
    const out = { ok: false as const, code, permanent: PERMANENT_REG_FAILURES.includes(code) };
    for (const k of m.keyIds) this.failures.set(k, out);
    this.deps.counters.regFailed++;
    this.deps.logger.warn({ dest: this.dest.id, keyId: m.keyIds[m.keyIds.length - 1], code, detail }, 'delivery: key registration refused');
    return out;
  }

  private async attempt(m: RegistrationMessage): Promise<RegOutcome> {
    const d = this.deps;
    const keyIdHex = m.keyIds[m.keyIds.length - 1]!;
    const reply = new Promise<Message | null>((resolve) => (this.waiter = resolve));
    try {
      await sendMessage(this.conn, { type: 'reg', payload: m.bytes });
      d.counters.regSent++;
    } catch (e) {
      this.waiter = null;
      return this.fail(m, 'SEND_FAILED', (e as Error).message);
    }
    let msg: Message | null;
    try {
      msg = await withDeadline(reply, this.timeoutMs, d.clock, 'REG_ACK');
    } catch (e) {
      this.waiter = null;
      return this.fail(m, 'REG_TIMEOUT', (e as Error).message);
    }
    if (msg === null) return this.fail(m, 'SESSION_CLOSED', 'the link closed');
    if (msg.type === 'error') return this.fail(m, msg.code, msg.message);
    if (msg.type !== 'reg-ack') return this.fail(m, 'SESSION_PROTOCOL', `unexpected ${msg.type}`);
    let ack;
    try {
      ack = decodeRecord(msg.payload);
    } catch (e) {
      return this.fail(m, 'REG_FORMAT', (e as Error).message);
    }
    if (ack.kind !== 'ack') return this.fail(m, 'REG_FORMAT', `REG_ACK carries a ${ack.kind} record`);
    const sig = verifyAckRecord(ack);
    if (sig !== null) return this.fail(m, 'REG_ACK_SIGNATURE', sig.message);
    if (!speaksFor(this.dest, ack.serverSuite, ack.serverPublicKey)) return this.fail(m, 'REG_ACK_UNTRUSTED', 'signer does not speak for this destination');
    if (!equalBytes(ack.deviceAddr, d.identity.address) || !equalBytes(ack.keyId, fromHex(keyIdHex))) {
      return this.fail(m, 'REG_ACK_MISMATCH', 'acknowledgement names another device or keyId');
    }
    await d.acks.record(this.dest.id, m.keyIds, { suite: ack.serverSuite, publicKey: ack.serverPublicKey });
    if (m.last.link?.kind === 'restart' && d.onWitness !== undefined) {
      await d.onWitness(ack.keyId, { suite: ack.serverSuite, serverPublicKey: ack.serverPublicKey, seenAt: ack.seenAt, signature: ack.signature });
    }
    for (const k of m.keyIds) this.failures.delete(k);
    d.counters.regAcked++;
    d.logger.info({ dest: this.dest.id, keyId: keyIdHex, cycles: m.keyIds.length }, 'delivery: key chain acknowledged');
    return { ok: true };
  }
}
