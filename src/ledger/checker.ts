/**
 * Incremental ledger verifier: chain (index, prevEntryHash), every record
 * signature, and the semantic rules of docs/LEDGER.md (a bind/restart is
 * signed by a device whose factory record exists; one owner at a time; unbind
 * and save hash by the current owner; nonces used once per device; a key
 * cycle is restarted at most once — the ledger holds no endorsed cycles, so
 * a restart's prevKeyId is checked by the key chain, not here; save-hash
 * entries chain by hash_k).
 * Used by verifyLedger and by Ledger.append (which refuses a bad entry). Pure.
 */
import type { EcdsaReason } from '../crypto/ecdsa.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { LifecycleReason } from './errors.js';
import { entryHash, GENESIS_HASH, recordFromEntry, type LedgerEntry } from './entry.js';
import { rawAddress } from './messages.js';
import { verifyRecord } from './records.js';
import type { LifecycleRecord, RecordKind } from './record-spec.js';
import { isTrusted, type TrustedKey } from './trust.js';
import { saveHashLink } from './savehash/savehash.js';

/** One problem found at the entry in position `index` (from 0) of the ledger as read. */
export interface LedgerProblem {
  readonly index: bigint;
  readonly code: LifecycleReason;
  readonly message: string;
  readonly detail?: EcdsaReason;
}

/** A published checkpoint: entry #index must have this entryHash (e.g. from a public-ledger anchor). */
export interface LedgerAnchor {
  readonly index: bigint;
  readonly entryHash: Uint8Array;
}

/** Options of ledger verification. */
export interface LedgerCheckOptions {
  /** When given, factory entries must be signed by one of these manufacturers. */
  readonly trustedManufacturers?: readonly TrustedKey[];
  /** Checkpoints the chain must contain (detects a dropped tail or a rewritten history). */
  readonly anchors?: readonly LedgerAnchor[];
  /** Problems recorded before giving up listing them (default 1000). */
  readonly maxProblems?: number;
}

interface DeviceState {
  readonly suite: number;
  readonly pub: Uint8Array;
  owner: Uint8Array | null;
  readonly keyIds: Set<string>;
  readonly nonces: Set<string>;
  readonly saveHash: Map<string, { k: bigint; hash: Uint8Array }>;
}

type Verdict = { readonly code: LifecycleReason; readonly message: string; readonly detail?: EcdsaReason };

/** Stateful checker over entries given in order. */
export class LedgerChecker {
  private readonly devices = new Map<string, DeviceState>();
  private readonly anchors: Map<bigint, Uint8Array>;
  private readonly seenAnchors = new Set<bigint>();
  private lastIndex = -1n;
  private lastHash: Uint8Array = GENESIS_HASH;
  private n = 0;
  readonly problems: LedgerProblem[] = [];
  readonly counts: Partial<Record<RecordKind, number>> = {};

  constructor(private readonly opts: LedgerCheckOptions = {}) {
    this.anchors = new Map((opts.anchors ?? []).map((a) => [a.index, a.entryHash]));
  }

  /** Entries pushed so far. */
  get entries(): number {
    return this.n;
  }

  /** Index and entryHash of the last entry pushed, or null. */
  get head(): { index: bigint; entryHash: Uint8Array } | null {
    return this.n === 0 ? null : { index: this.lastIndex, entryHash: this.lastHash };
  }

  /** Index and prevEntryHash the next appended entry must carry. */
  next(): { index: bigint; prevEntryHash: Uint8Array } {
    return { index: this.lastIndex + 1n, prevEntryHash: this.lastHash };
  }

  /** Problems of `e` as the next entry, without changing state. */
  inspect(e: LedgerEntry): LedgerProblem[] {
    return this.evaluate(e).problems;
  }

  /** Checks `e` as the next entry, applies it, records and returns its problems. */
  push(e: LedgerEntry): LedgerProblem[] {
    const { problems, hash, apply } = this.evaluate(e);
    apply?.();
    const max = this.opts.maxProblems ?? 1000;
    for (const p of problems) {
      if (this.problems.length < max) this.problems.push(p);
      else if (this.problems.length === max) {
        this.problems.push({ index: BigInt(this.n), code: 'LEDGER_TOO_MANY_PROBLEMS', message: `more than ${max} problems; listing stopped` });
      }
    }
    if (hash !== null) {
      const anchored = this.anchors.get(BigInt(this.n));
      if (anchored !== undefined) {
        this.seenAnchors.add(BigInt(this.n));
        if (!equalBytes(anchored, hash)) this.note(BigInt(this.n), 'LEDGER_HEAD', 'entry hash differs from the anchored checkpoint');
      }
      this.lastHash = hash;
      this.lastIndex = typeof e.index === 'bigint' ? e.index : this.lastIndex + 1n;
    }
    this.n++;
    return problems;
  }

  /** Final checks (anchors beyond the end). Call once after the last push. */
  finish(): void {
    for (const idx of this.anchors.keys()) {
      if (!this.seenAnchors.has(idx)) this.note(idx, 'LEDGER_HEAD', 'anchored entry is missing (ledger truncated or rewritten)');
    }
  }

  private note(index: bigint, code: LifecycleReason, message: string): void {
    this.problems.push({ index, code, message });
  }

  private evaluate(e: LedgerEntry): { problems: LedgerProblem[]; hash: Uint8Array | null; apply?: () => void } {
    const problems: LedgerProblem[] = [];
    const at = BigInt(this.n);
    let hash: Uint8Array;
    try {
      hash = entryHash(e);
    } catch (err) {
      return { problems: [{ index: at, code: 'LEDGER_FORMAT', message: String((err as Error).message) }], hash: null };
    }
    const want = this.next();
    if (e.index !== want.index) problems.push({ index: at, code: 'LEDGER_INDEX', message: `entry index ${e.index}, expected ${want.index}` });
    if (!equalBytes(e.prevEntryHash, want.prevEntryHash)) {
      problems.push({ index: at, code: 'LEDGER_PREV_HASH', message: 'prevEntryHash is not the hash of the previous entry' });
    }
    let rec: LifecycleRecord;
    try {
      rec = recordFromEntry(e);
    } catch (err) {
      const code = isSealcamError(err) ? (err.code as LifecycleReason) : 'LEDGER_PAYLOAD';
      problems.push({ index: at, code, message: String((err as Error).message) });
      return { problems, hash };
    }
    const sig = verifyRecord(rec);
    const verdict: Verdict | null = sig !== null
      ? (sig.code === 'RECORD_FORMAT' ? { ...sig, code: 'LEDGER_PAYLOAD' } : sig)
      : this.semantic(rec);
    if (verdict !== null) {
      problems.push({ index: at, ...verdict });
      return { problems, hash };
    }
    return { problems, hash, apply: () => this.apply(rec) };
  }

  private device(addr: Uint8Array): DeviceState | undefined {
    return this.devices.get(toHex(addr));
  }

  private semantic(rec: LifecycleRecord): Verdict | null {
    if (rec.kind === 'factory') {
      const t = this.opts.trustedManufacturers;
      if (t !== undefined && !isTrusted(t, rec.manufacturerSuite, rec.manufacturerPublicKey)) {
        return { code: 'REG_MANUFACTURER_UNTRUSTED', message: 'factory record signed by an untrusted manufacturer' };
      }
      if (this.device(rawAddress(rec.devicePublicKey)) !== undefined) {
        return { code: 'LEDGER_DUPLICATE_FACTORY', message: 'device already has a factory record' };
      }
      return null;
    }
    const addr = rec.kind === 'bind' || rec.kind === 'restart' ? rawAddress(rec.devicePublicKey) : rec.deviceAddr;
    const d = this.device(addr);
    if (d === undefined) return { code: 'LEDGER_UNKNOWN_DEVICE', message: `no factory record for device ${toHex(addr)}` };
    switch (rec.kind) {
      case 'bind':
      case 'restart':
        if (rec.deviceSuite !== d.suite || !equalBytes(rec.devicePublicKey, d.pub)) {
          return { code: 'LEDGER_SIGNER', message: 'signed by a key other than the factory-certified device key' };
        }
        if (rec.kind === 'restart') {
          // A restart names the cycle it follows; key cycles themselves travel in the key chain (SCHEME.md §7).
          return d.keyIds.has(toHex(rec.keyId)) ? { code: 'REG_CHAIN', message: 'this key cycle was restarted before' } : null;
        }
        if (d.owner !== null) return { code: 'LEDGER_ALREADY_BOUND', message: 'device is bound; the owner must unbind first' };
        return d.nonces.has(toHex(rec.nonce)) ? { code: 'BIND_NONCE_REUSED', message: 'nonce already used for this device' } : null;
      case 'unbind':
        if (d.owner === null || !equalBytes(d.owner, rawAddress(rec.ownerPublicKey))) {
          return { code: 'LEDGER_NOT_OWNER', message: 'unbind not signed by the current owner' };
        }
        return d.nonces.has(toHex(rec.nonce)) ? { code: 'BIND_NONCE_REUSED', message: 'nonce already used for this device' } : null;
      case 'savehash': {
        if (d.owner === null || !equalBytes(d.owner, rawAddress(rec.receiverPublicKey))) {
          return { code: 'LEDGER_NOT_OWNER', message: 'save hash not signed by the current owner' };
        }
        const prev = d.saveHash.get(toHex(rawAddress(rec.receiverPublicKey))) ?? { k: 0n, hash: new Uint8Array(32) };
        if (rec.k !== prev.k + 1n) return { code: 'SAVEHASH_CHAIN', message: `expected batch k = ${prev.k + 1n}` };
        if (!equalBytes(rec.hash, saveHashLink(prev.hash, rec.k, rec.root))) {
          return { code: 'SAVEHASH_CHAIN', message: 'hash_k ≠ H(hash_{k-1} || u64(k) || root)' };
        }
        return null;
      }
      default:
        return { code: 'LEDGER_TYPE', message: `${rec.kind} is not a ledger event` };
    }
  }

  private apply(rec: LifecycleRecord): void {
    this.counts[rec.kind] = (this.counts[rec.kind] ?? 0) + 1;
    if (rec.kind === 'factory') {
      this.devices.set(toHex(rawAddress(rec.devicePublicKey)), {
        suite: rec.deviceSuite, pub: rec.devicePublicKey, owner: null,
        keyIds: new Set(), nonces: new Set(), saveHash: new Map(),
      });
      return;
    }
    const d = this.device(rec.kind === 'bind' || rec.kind === 'restart' ? rawAddress(rec.devicePublicKey) : (rec as { deviceAddr: Uint8Array }).deviceAddr)!;
    if (rec.kind === 'bind') {
      d.owner = rec.ownerAddr;
      d.nonces.add(toHex(rec.nonce));
    } else if (rec.kind === 'unbind') {
      d.owner = null;
      d.nonces.add(toHex(rec.nonce));
    } else if (rec.kind === 'restart') {
      d.keyIds.add(toHex(rec.keyId));
    } else if (rec.kind === 'savehash') {
      d.saveHash.set(toHex(rawAddress(rec.receiverPublicKey)), { k: rec.k, hash: rec.hash });
    }
  }
}
