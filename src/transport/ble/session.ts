/**
 * The device's table of BLE sessions (docs/BLE.md "Resumption"): session id
 * and resume token per session, suspension with an expiry timer (injected
 * Clock), and a bound on the number of sessions, so un-acknowledged state
 * kept for absent centrals stays bounded. Tokens are compared in constant
 * time and rotated on every successful (re)attach.
 */
import { aint, equalBytes, toHex } from '../../platform/bytes.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Rng } from '../../platform/rng.js';
import { transportError } from '../errors.js';
import type { BleConnection } from './connection.js';
import { bleError } from './errors.js';
import { RESUME_TOKEN_BYTES, SESSION_ID_BYTES } from './link/pdu.js';

interface Entry {
  conn: BleConnection;
  token: Uint8Array;
  timer: TimerHandle | undefined;
  suspendedAt: number;
}

/** Options of a {@link SessionTable}. */
export interface SessionTableOptions {
  clock: Clock;
  rng: Rng;
  /** How long a suspended session waits for its central (default 120 s). */
  resumeTimeoutMs?: number;
  /** Sessions held at most, attached or suspended (default 4). */
  maxSessions?: number;
}

/** Sessions of one listener. */
export class SessionTable {
  private readonly byId = new Map<string, Entry>();
  private readonly resumeMs: number;
  private readonly max: number;

  /** @throws RangeError for invalid options. */
  constructor(private readonly o: SessionTableOptions) {
    this.resumeMs = aint(o.resumeTimeoutMs ?? 120_000, 'resumeTimeoutMs', 1, 86_400_000);
    this.max = aint(o.maxSessions ?? 4, 'maxSessions', 1, 1024);
  }

  /** Number of sessions held. */
  get size(): number {
    return this.byId.size;
  }

  /** A fresh random session id. */
  newSessionId(): Uint8Array {
    return this.o.rng.bytes(SESSION_ID_BYTES);
  }

  /**
   * Makes room for one more session by expiring the longest-suspended one.
   * @returns false when every held session is attached (refuse the newcomer).
   */
  makeRoom(): boolean {
    if (this.byId.size < this.max) return true;
    let victim: Entry | undefined;
    for (const e of this.byId.values()) {
      if (e.timer && (!victim || e.suspendedAt < victim.suspendedAt)) victim = e;
    }
    if (!victim) return false;
    this.expire(victim, 'evicted for a new session');
    return true;
  }

  /** Registers an attached session; returns its first resume token. */
  add(conn: BleConnection): Uint8Array {
    const token = this.o.rng.bytes(RESUME_TOKEN_BYTES);
    this.byId.set(toHex(conn.sessionId), { conn, token, timer: undefined, suspendedAt: 0 });
    return token;
  }

  /** The session with this id, if held. */
  get(sessionId: Uint8Array): BleConnection | undefined {
    return this.byId.get(toHex(sessionId))?.conn;
  }

  /**
   * Checks a resume token (constant time) and, if it matches, rotates it and
   * cancels the expiry. @returns the new token, or undefined on mismatch.
   */
  resume(conn: BleConnection, token: Uint8Array): Uint8Array | undefined {
    const e = this.byId.get(toHex(conn.sessionId));
    if (!e || !equalBytes(e.token, token)) return undefined;
    e.timer?.cancel();
    e.timer = undefined;
    e.token = this.o.rng.bytes(RESUME_TOKEN_BYTES);
    return e.token;
  }

  /** The session lost its link: expire it unless resumed within the timeout. */
  suspend(conn: BleConnection): void {
    const e = this.byId.get(toHex(conn.sessionId));
    if (!e || e.timer) return;
    e.suspendedAt = Number(this.o.clock.now());
    e.timer = this.o.clock.setTimer(this.resumeMs, () => this.expire(e, `not resumed within ${this.resumeMs} ms`));
  }

  /** Forgets an ended session. */
  remove(conn: BleConnection): void {
    const k = toHex(conn.sessionId);
    const e = this.byId.get(k);
    if (e?.conn !== conn) return;
    e.timer?.cancel();
    this.byId.delete(k);
  }

  /** Every session held. */
  all(): BleConnection[] {
    return [...this.byId.values()].map((e) => e.conn);
  }

  private expire(e: Entry, why: string): void {
    e.timer?.cancel();
    this.byId.delete(toHex(e.conn.sessionId));
    e.conn.expire(transportError('CONN_RESET', `BLE session ${why}`, bleError('BLE_SESSION_EXPIRED', why)));
  }
}
