/**
 * Whole-ledger verification and its human-readable report
 * (`sealcam ledger verify FILE`, docs/LEDGER.md). Pure.
 */
import { toHex } from '../platform/bytes.js';
import { LedgerChecker, type LedgerCheckOptions, type LedgerProblem } from './checker.js';
import type { LedgerEntry } from './entry.js';
import type { RecordKind } from './record-spec.js';

/** Outcome of a ledger verification. */
export interface LedgerVerifyResult {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** Number of entries examined. */
  readonly entries: number;
  /** Last entry's index and hash (what a public-ledger anchor would publish), or null for an empty ledger. */
  readonly head: { readonly index: bigint; readonly entryHash: Uint8Array } | null;
  /** Valid events by record kind. */
  readonly counts: Readonly<Partial<Record<RecordKind, number>>>;
  /** Every problem found, in ledger order (anchor problems last). */
  readonly problems: readonly LedgerProblem[];
  /** Bytes of an incomplete last entry ignored by the file reader (files only). */
  readonly tornTailBytes?: number;
}

/** Builds the result of a finished checker. */
export function checkerResult(c: LedgerChecker, extra: { tornTailBytes?: number } = {}): LedgerVerifyResult {
  c.finish();
  return {
    ok: c.problems.length === 0, entries: c.entries, head: c.head, counts: { ...c.counts }, problems: [...c.problems], ...extra,
  };
}

/**
 * Verifies a whole ledger given in order: indices from 0 with no gap,
 * prevEntryHash links, every signature, the semantic rules and any anchors.
 * Never throws for entry contents; every defect is a coded problem.
 * @throws TypeError when `entries` is not iterable.
 */
export function verifyLedger(entries: Iterable<LedgerEntry>, opts: LedgerCheckOptions = {}): LedgerVerifyResult {
  const c = new LedgerChecker(opts);
  for (const e of entries) c.push(e);
  return checkerResult(c);
}

/** Async variant of {@link verifyLedger} for a backend's `read()`. */
export async function verifyLedgerAsync(entries: AsyncIterable<LedgerEntry>, opts: LedgerCheckOptions = {}): Promise<LedgerVerifyResult> {
  const c = new LedgerChecker(opts);
  for await (const e of entries) c.push(e);
  return checkerResult(c);
}

/** Human-readable multi-line report of a verification result (ends without a newline). */
export function formatLedgerReport(result: LedgerVerifyResult, name = 'ledger'): string {
  const lines: string[] = [];
  const head = result.head === null ? 'empty' : `head #${result.head.index} ${toHex(result.head.entryHash)}`;
  lines.push(`${name}: ${result.entries} entr${result.entries === 1 ? 'y' : 'ies'}, ${head}`);
  const kinds = Object.entries(result.counts).map(([k, n]) => `${k} ${n}`);
  if (kinds.length > 0) lines.push(`  valid events: ${kinds.join(', ')}`);
  if (result.tornTailBytes !== undefined && result.tornTailBytes > 0) {
    lines.push(`  note: ${result.tornTailBytes} bytes of an incomplete last entry (interrupted append) were ignored`);
  }
  if (result.ok) {
    lines.push('OK: chain, signatures and life-cycle rules verified');
  } else {
    lines.push(`FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
    for (const p of result.problems) {
      lines.push(`  #${p.index} ${p.code}${p.detail !== undefined ? ` (${p.detail})` : ''}: ${p.message}`);
    }
  }
  return lines.join('\n');
}
