/**
 * The life-cycle ledger: an append-only, hash-chained log of signed records
 * kept in a {@link LedgerBackend}. The writer checks each new record against
 * the whole history (same rules as verifyLedger) before it is stored, so a
 * ledger written through it always verifies. Backends: in-memory (tests),
 * file (file-backend.ts), later a public-ledger anchor (docs/LEDGER.md).
 */
import { SealcamError } from '../platform/errors.js';
import { LedgerChecker, type LedgerCheckOptions } from './checker.js';
import { entryFromRecord, type LedgerEntry } from './entry.js';
import type { LifecycleRecord } from './record-spec.js';

/** Where entries are stored. `append` must be durable when it resolves. */
export interface LedgerBackend {
  /** Stores `entry` after the current last one. */
  append(entry: LedgerEntry): Promise<void>;
  /** All stored entries, in order. */
  read(): AsyncIterable<LedgerEntry>;
}

/** A backend keeping entries in memory (tests, ephemeral receivers). */
export class MemoryLedgerBackend implements LedgerBackend {
  readonly entries: LedgerEntry[] = [];

  append(entry: LedgerEntry): Promise<void> {
    this.entries.push(entry);
    return Promise.resolve();
  }

  async *read(): AsyncIterable<LedgerEntry> {
    // snapshot: entries appended while reading are not yielded
    const n = this.entries.length;
    for (let i = 0; i < n; i++) yield await Promise.resolve(this.entries[i]!);
  }
}

/** Appends records to a backend, keeping the chain and life-cycle rules. */
export class Ledger {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly backend: LedgerBackend, private readonly checker: LedgerChecker) {}

  /**
   * Reads and verifies the backend's history, then returns a writer.
   * @throws SealcamError with the first problem's code when the stored ledger does not verify,
   *   and whatever the backend's read throws.
   */
  static async open(backend: LedgerBackend, opts: LedgerCheckOptions = {}): Promise<Ledger> {
    if (typeof backend?.append !== 'function' || typeof backend.read !== 'function') {
      throw new TypeError('backend must implement LedgerBackend');
    }
    const checker = new LedgerChecker(opts);
    for await (const e of backend.read()) {
      const p = checker.push(e)[0];
      if (p !== undefined) throw new SealcamError(p.code, `stored ledger entry #${p.index} is invalid: ${p.message}`);
    }
    return new Ledger(backend, checker);
  }

  /** Number of entries. */
  get size(): number {
    return this.checker.entries;
  }

  /** Index and hash of the last entry (null when empty): the value to anchor publicly. */
  get head(): { index: bigint; entryHash: Uint8Array } | null {
    return this.checker.head;
  }

  /**
   * Checks `rec` against the history and appends it as the next entry.
   * Appends are serialised; a refused record changes nothing.
   * @returns the stored entry.
   * @throws SealcamError with the problem's code (e.g. BIND_SIGNATURE, LEDGER_UNKNOWN_DEVICE,
   *   LEDGER_NOT_OWNER, REG_CHAIN, SAVEHASH_CHAIN); RangeError for a non-ledger record kind;
   *   the backend's error when storing fails.
   */
  append(rec: LifecycleRecord): Promise<LedgerEntry> {
    const run = async (): Promise<LedgerEntry> => {
      const { index, prevEntryHash } = this.checker.next();
      const entry = entryFromRecord(rec, index, prevEntryHash);
      const p = this.checker.inspect(entry)[0];
      if (p !== undefined) {
        throw new SealcamError(p.code, p.detail === undefined ? p.message : `${p.message} (${p.detail})`);
      }
      await this.backend.append(entry);
      this.checker.push(entry);
      return entry;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
