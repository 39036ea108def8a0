/**
 * Hands key cycles to the injected register hook (SCHEME.md §7), oldest
 * unregistered first, one at a time, retrying after a failure; records each
 * success in the keyId chain.
 */
import type { Clock } from '../platform/clock.js';
import { findEntry, pendingRegistrations } from './key-chain.js';
import type { ReportFn } from './key-persist.js';
import type { KeyStates } from './key-states.js';
import type { RegisterFn } from './key-types.js';

/** What the registrar needs from the key manager. */
export interface RegistrarHost {
  readonly clock: Clock;
  readonly register: RegisterFn;
  readonly retryMs: bigint;
  readonly states: KeyStates;
  readonly report: ReportFn;
  /** Runs fn serialised with every other state change. */
  exclusive(fn: () => Promise<void>): Promise<void>;
  /** True while the manager run that started a registration is still current. */
  current(epoch: number): boolean;
  /** The current run. */
  epoch(): number;
  /** Called after each attempt (the manager re-arms its timer). */
  settled(): void;
}

/** Registration driver of the key manager. */
export class KeyRegistrar {
  private inflight: Promise<void> | null = null;
  private retryAt: bigint | null = null;

  /** Only assigns. */
  constructor(private readonly host: RegistrarHost) {}

  /** The attempt in flight, if any. */
  get pending(): Promise<void> | null {
    return this.inflight;
  }

  /** When a failed registration is due again (null: nothing waiting). */
  get retryDue(): bigint | null {
    return this.inflight ? null : this.retryAt;
  }

  /** Starts the next registration when one is due and none is in flight. */
  kick(): void {
    const h = this.host;
    const epoch = h.epoch();
    if (!h.current(epoch) || this.inflight) return;
    const now = h.clock.now();
    if (this.retryAt !== null && now < this.retryAt) return;
    for (const entry of pendingRegistrations(h.states.meta, now)) {
      const st = h.states.held(entry.keyId);
      if (!st) continue;
      const pk = st.publicKey;
      this.inflight = h
        .register(pk, entry.prevKeyId)
        .then(
          () =>
            h.exclusive(async () => {
              if (!h.current(epoch) || !findEntry(h.states.meta, pk.keyId)) return;
              this.retryAt = null;
              await h.states.markRegistered(pk.keyId);
            }),
          (e: unknown) => {
            this.retryAt = h.clock.now() + h.retryMs;
            h.report('KEY_REGISTER_FAILED', 'key registration failed (will retry)', e);
          },
        )
        .finally(() => {
          this.inflight = null;
          if (h.current(epoch)) {
            this.kick();
            h.settled();
          }
        });
      return;
    }
  }
}
