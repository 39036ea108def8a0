/**
 * SaveHash batching of one device's verified captures (DSTP SaveHash,
 * docs/LEDGER.md §7) with durable state in the receiver store. On each
 * completed capture: add its headerDigest; when ω are pending, close the
 * batch, sign the save-hash record with the receiver key, write the batch
 * file, then every member's inclusion (the bundle "saveHash" field), then the
 * chain state; the ledger append follows, in batch order, off the hot path.
 * Write order makes recovery simple (see {@link DeviceBatcher.open}).
 */
import { signSaveHashRecord, encodeRecord, decodeRecord, type SaveHashRecord } from '../../ledger/index.js';
import { equalBytes, toHex } from '../../platform/bytes.js';
import { isSealcamError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { SaveHashChain, type SaveHashBatch } from '../../ledger/savehash/savehash.js';
import { chainToJson, inclusionToJson } from '../../ledger/savehash/json.js';
import { decodeSaveHashState, encodeSaveHashState } from '../../ledger/savehash/state.js';
import { batchKs, ledgerMarked, markLedger, putBatch, putChainState, readBatch, readChainState, type BatchFile } from './batch-store.js';
import { receiverError } from '../errors.js';
import type { ReceiverIdentity } from '../identity.js';
import type { ReceiverStore } from '../store/store.js';

/** Where signed save-hash records go (a `Ledger` from src/ledger fits). */
export interface LedgerSink {
  append(rec: SaveHashRecord): Promise<unknown>;
}

/** A closed batch, as reported in the receiver's 'batch' event. */
export interface BatchInfo {
  readonly deviceAddr: string;
  readonly k: bigint;
  readonly size: number;
  readonly root: string;
  readonly hash: string;
  readonly seqs: readonly bigint[];
  readonly record: SaveHashRecord;
}

/** What a batcher needs. */
export interface BatcherDeps {
  readonly store: ReceiverStore;
  readonly identity: ReceiverIdentity;
  readonly omega: number;
  readonly ledger: LedgerSink | null;
  readonly logger: Logger;
  readonly onLedgerError: (dev: string, k: bigint, err: unknown) => void;
  readonly onLedgerAppend: (dev: string, k: bigint) => void;
}

/** Batches kept in the chain state (only the head is needed to link the next). */
const RETAIN = 16;

/** The bundle "saveHash" field of member `index` of a batch. */
export function saveHashField(omega: number, b: SaveHashBatch, index: number): Record<string, unknown> {
  return {
    inclusion: inclusionToJson(b.inclusions[index]!),
    chain: chainToJson({ omega, first: b.k, prevHash: b.prevHash, batches: [{ k: b.k, size: b.size, root: b.root, hash: b.hash }] }),
  };
}

/** SaveHash chain of one device. Create with {@link DeviceBatcher.open}. */
export class DeviceBatcher {
  private ledgerQueue: Promise<void> = Promise.resolve();
  private ledgerBlocked = false;

  private constructor(
    private readonly deps: BatcherDeps, private readonly dev: string, private readonly addr: Uint8Array,
    private chain: SaveHashChain, private pendingSeqs: bigint[],
  ) {}

  /** Captures waiting for the current batch. */
  get pending(): number {
    return this.pendingSeqs.length;
  }

  /**
   * Restores the device's chain and repairs what a crash interrupted: batch files
   * beyond the stored state are replayed (their inclusions rewritten), completed
   * captures found neither batched nor pending (`unbatched`, seq order) are added,
   * and batches missing from the ledger are queued for it.
   * @param known seq of every stored completed capture by headerDigest hex (for pending members).
   * @throws SealcamError RECEIVER_STORE when the stored state and batch files disagree.
   */
  static async open(
    deps: BatcherDeps, dev: string, addr: Uint8Array, known: ReadonlyMap<string, bigint>,
    unbatched: readonly { seq: bigint; digest: Uint8Array }[],
  ): Promise<DeviceBatcher> {
    const stateBytes = await readChainState(deps.store, dev);
    let chain: SaveHashChain;
    try {
      chain = stateBytes === null ? new SaveHashChain(deps.omega, RETAIN) : decodeSaveHashState(stateBytes);
    } catch (e) {
      throw receiverError('RECEIVER_STORE', `SaveHash state of ${dev}: ${(e as Error).message}`, e);
    }
    if (chain.omega !== deps.omega) deps.logger.warn({ dev, stored: chain.omega, configured: deps.omega }, 'keeping the stored SaveHash batch size');
    const pendingSeqs = chain.pendingDigests().map((d) => known.get(toHex(d)) ?? 0n);
    const b = new DeviceBatcher(deps, dev, addr, chain, pendingSeqs);
    const ks = await batchKs(deps.store, dev);
    const done = new Set<string>();
    for (const k of ks.filter((x) => x > chain.k)) for (const d of await b.replay(k)) done.add(d);
    for (const d of b.chain.pendingDigests()) done.add(toHex(d));
    for (const u of unbatched) if (!done.has(toHex(u.digest))) await b.add(u.seq, u.digest);
    if (deps.ledger !== null) {
      for (const k of ks) if (!(await ledgerMarked(deps.store, dev, k))) b.queueLedger(k, null);
    }
    return b;
  }

  /** Replays stored batch k onto the chain; returns its members' digests (hex). */
  private async replay(k: bigint): Promise<string[]> {
    const f = await readBatch(this.deps.store, this.dev, k);
    if (f === null) return [];
    const pend = this.chain.pendingDigests();
    if (pend.length > f.members.length || pend.some((d, i) => !equalBytes(d, f.members[i]!.headerDigest))) {
      throw receiverError('RECEIVER_STORE', `batch ${k} of ${this.dev} does not extend the stored pending digests`);
    }
    let closed: SaveHashBatch | null = null;
    for (const m of f.members.slice(pend.length)) closed = this.chain.add(m.headerDigest);
    if (closed === null || closed.k !== k || !equalBytes(closed.hash, f.hash)) {
      throw receiverError('RECEIVER_STORE', `batch ${k} of ${this.dev} does not replay to its stored hash`);
    }
    this.pendingSeqs = [];
    await this.finish(closed, f);
    return f.members.map((m) => toHex(m.headerDigest));
  }

  /**
   * Adds a completed capture; closes and persists a batch when ω are pending.
   * @returns the closed batch, or null.
   */
  async add(seq: bigint, headerDigest: Uint8Array): Promise<BatchInfo | null> {
    this.pendingSeqs.push(seq);
    const closed = this.chain.add(headerDigest);
    if (closed === null) {
      await putChainState(this.deps.store, this.dev, encodeSaveHashState(this.chain));
      return null;
    }
    return this.close(closed);
  }

  /** Closes a partial batch now (e.g. at exit); null when nothing is pending. */
  async flush(): Promise<BatchInfo | null> {
    const closed = this.chain.flush();
    return closed === null ? null : this.close(closed);
  }

  private async close(closed: SaveHashBatch): Promise<BatchInfo> {
    const seqs = this.pendingSeqs;
    this.pendingSeqs = [];
    const { identity } = this.deps;
    const record = signSaveHashRecord({
      receiverSuite: identity.suite, receiverSecret: identity.secret, deviceAddr: this.addr,
      k: closed.k, size: closed.size, root: closed.root, hash: closed.hash,
    });
    const file: BatchFile = {
      k: closed.k, size: closed.size, root: closed.root, prevHash: closed.prevHash, hash: closed.hash,
      members: closed.headerDigests.map((d, i) => ({ seq: seqs[i] ?? 0n, headerDigest: d })), record: encodeRecord(record),
    };
    await putBatch(this.deps.store, this.dev, file);
    await this.finish(closed, file);
    return { deviceAddr: this.dev, k: closed.k, size: closed.size, root: toHex(closed.root), hash: toHex(closed.hash), seqs, record };
  }

  /** Writes every member's inclusion, then the chain state, then queues the ledger append. */
  private async finish(closed: SaveHashBatch, file: BatchFile): Promise<void> {
    for (let i = 0; i < file.members.length; i++) {
      await this.deps.store.putMarker(this.dev, file.members[i]!.seq, 'savehash', saveHashField(this.chain.omega, closed, i));
    }
    await putChainState(this.deps.store, this.dev, encodeSaveHashState(this.chain));
    if (this.deps.ledger !== null) this.queueLedger(closed.k, decodeRecord(file.record) as SaveHashRecord);
  }

  private queueLedger(k: bigint, rec: SaveHashRecord | null): void {
    const ledger = this.deps.ledger!;
    this.ledgerQueue = this.ledgerQueue.then(async () => {
      if (this.ledgerBlocked) return;
      try {
        const r = rec ?? (decodeRecord((await readBatch(this.deps.store, this.dev, k))!.record) as SaveHashRecord);
        await ledger.append(r);
        await markLedger(this.deps.store, this.dev, k);
        this.deps.onLedgerAppend(this.dev, k);
      } catch (e) {
        // Later batches must not overtake this one (the ledger chains k = 1, 2, …): stop until restart.
        this.ledgerBlocked = true;
        this.deps.logger.warn({ dev: this.dev, k: k.toString(), code: isSealcamError(e) ? e.code : undefined }, 'ledger append failed');
        this.deps.onLedgerError(this.dev, k, e);
      }
    });
  }

  /** Resolves when every queued ledger append has settled. */
  idle(): Promise<void> {
    return this.ledgerQueue;
  }
}
