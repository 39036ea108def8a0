/**
 * The capture chain of the device (SCHEME.md §6): the DSTP `seq` (u64,
 * strictly increasing, never reused across restarts) and `prevHeaderDigest`
 * (the last stored capture's headerDigest), persisted in `<stateDir>/chain.json`
 * and `<stateDir>/chain-heads.log`.
 *
 * Seqs are handed out from a durably RESERVED range: before a seq is used
 * chain.json says `reserved ≥ seq`, and a restart continues after the reserved
 * range, so a seq signed just before a crash is never signed again. The head
 * is written after the capture is durably in the outbox (coalesced: at most
 * one write in flight, always the newest head); `committed` is the newest seq
 * whose head is durable, and delivery only sends captures up to it, so the
 * outbox never forgets a capture the chain state does not know yet.
 *
 * A head alone (the reserved range unchanged) is appended to chain-heads.log
 * (platform/journal.ts: fdatasync before it counts, torn tail cut on load) —
 * no new file per capture; chain.json is rewritten atomically when a range is
 * reserved or the log holds {@link HEAD_LOG_MAX} records, and the log is then
 * emptied. The durable head is the newest of chain.json's and the log's.
 * A log record is `u64 seq | digest (32) | first 8 bytes of SHA-256(seq || digest)`.
 */
import { sha256 } from '../../crypto/hash.js';
import { abigint, abytes, equalBytes, fromHex, toHex, U64_MAX } from '../../platform/bytes.js';
import { AppendFile } from '../../platform/journal.js';
import { DeviceStateError, readJsonState, STATE_FILES, statePath, writeJsonState } from '../daemon/state-dir.js';

/** Seqs reserved per durable write. */
export const SEQ_RESERVE = 1024n;

/** Head records appended to chain-heads.log before chain.json is rewritten and the log emptied. */
export const HEAD_LOG_MAX = 4096;

const HEAD_REC = 48;

/** One chain-heads.log record. */
function encodeHead(h: ChainHead): Uint8Array {
  const out = Buffer.allocUnsafe(HEAD_REC);
  out.writeBigUInt64BE(h.seq, 0);
  out.set(h.digest, 8);
  out.set(sha256(out.subarray(0, 40)).subarray(0, 8), 40);
  return out;
}

/** The newest head in a chain-heads.log and the end of its last whole, intact record. */
function parseHeads(buf: Uint8Array): { head: ChainHead | null; good: number; count: number } {
  let head: ChainHead | null = null;
  let o = 0;
  for (; o + HEAD_REC <= buf.length; o += HEAD_REC) {
    const r = buf.subarray(o, o + HEAD_REC);
    if (!equalBytes(sha256(r.subarray(0, 40)).subarray(0, 8), r.subarray(40))) break;
    const seq = Buffer.from(r.buffer, r.byteOffset, 8).readBigUInt64BE(0);
    if (head === null || seq > head.seq) head = { seq, digest: Uint8Array.from(r.subarray(8, 40)) };
  }
  return { head, good: o, count: o / HEAD_REC };
}

/** The newest stored capture. */
export interface ChainHead {
  readonly seq: bigint;
  readonly digest: Uint8Array;
}

interface ChainFile {
  version: 1;
  reserved: string;
  head: { seq: string; digest: string } | null;
}

function parse(v: unknown, path: string): { reserved: bigint; head: ChainHead | null } {
  const bad = (m: string): never => {
    throw new DeviceStateError('STATE_FORMAT', `${path}: ${m}`);
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const f = v as Partial<ChainFile>;
  if (f.version !== 1) bad('unknown version');
  const dec = (s: unknown, name: string): bigint => {
    if (typeof s !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(s) || BigInt(s) > U64_MAX) return bad(`${name} must be a u64 decimal string`);
    return BigInt(s);
  };
  const reserved = dec(f.reserved, 'reserved');
  let head: ChainHead | null = null;
  if (f.head !== null && f.head !== undefined) {
    const d = f.head.digest;
    if (typeof d !== 'string' || !/^[0-9a-f]{64}$/.test(d)) bad('head.digest must be 32 bytes of hex');
    head = { seq: dec(f.head.seq, 'head.seq'), digest: fromHex(d as string) };
    if (head.seq > reserved) bad('head.seq is above the reserved range');
  }
  return { reserved, head };
}

/** Durable seq/chain state. Not re-entrant for `nextSeq` (one producer). */
export class ChainState {
  private reserved = 0n;
  private next = 1n;
  private head: ChainHead | null = null;
  private durableHead: ChainHead | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;
  private lastError: unknown = null;
  /** The reserved range chain.json holds. */
  private fileReserved = 0n;
  /** Records in chain-heads.log. */
  private logCount = 0;

  /**
   * Only assigns. `onCommit` is called with the newest durable seq after each head write;
   * `headLogMax` (default {@link HEAD_LOG_MAX}) is the log length that triggers a chain.json rewrite.
   */
  constructor(
    private readonly stateDir: string,
    private readonly onCommit: (seq: bigint) => void = () => {},
    private readonly headLogMax = HEAD_LOG_MAX,
  ) {}

  private get path(): string {
    return statePath(this.stateDir, STATE_FILES.chain);
  }

  private get logPath(): string {
    return statePath(this.stateDir, STATE_FILES.chainHeads);
  }

  /** Opens chain-heads.log (created if missing), runs `f` on it, closes it. @throws DeviceStateError STATE_IO */
  private async withLog<T>(f: (log: AppendFile) => Promise<T>): Promise<T> {
    let log: AppendFile | undefined;
    try {
      log = await AppendFile.open(this.logPath, { mode: 0o644 });
      return await f(log);
    } catch (e) {
      throw e instanceof DeviceStateError ? e : new DeviceStateError('STATE_IO', `cannot write ${this.logPath}`, { cause: e });
    } finally {
      await log?.close();
    }
  }

  /**
   * Reads chain.json and chain-heads.log (cutting a torn tail); `recovered` (the newest capture
   * found in the outbox, if any) wins when newer than their head. Seqs continue after the reserved range.
   * @throws DeviceStateError STATE_IO | STATE_FORMAT
   */
  async load(recovered: ChainHead | null = null): Promise<void> {
    const raw = await readJsonState(this.path);
    const f = raw === null ? { reserved: 0n, head: null } : parse(raw, this.path);
    const logged = await this.withLog(async (log) => {
      const r = parseHeads(await log.readAt(0, log.size));
      await log.cutTail(r.good);
      return r;
    });
    let durable = f.head;
    if (logged.head && (!durable || logged.head.seq > durable.seq)) durable = logged.head;
    let head = durable;
    if (recovered && (!head || recovered.seq > head.seq)) head = { seq: recovered.seq, digest: Uint8Array.from(recovered.digest) };
    const floor = head && head.seq > f.reserved ? head.seq : f.reserved;
    this.reserved = floor;
    this.fileReserved = f.reserved;
    this.logCount = logged.count;
    this.next = floor + 1n;
    this.head = head;
    this.durableHead = durable;
    this.dirty = head !== durable || floor !== f.reserved;
    await this.flush();
  }

  /** prevHeaderDigest for the next capture (zeros for the first). */
  get prevHeaderDigest(): Uint8Array {
    return this.head ? this.head.digest : new Uint8Array(32);
  }

  /** The newest stored capture (in memory), or null. */
  get latest(): ChainHead | null {
    return this.head;
  }

  /** Newest seq whose head is durable in chain.json (0n when none). */
  get committed(): bigint {
    return this.durableHead?.seq ?? 0n;
  }

  /** The last write error, if the latest write failed (null once a write succeeds). */
  get error(): unknown {
    return this.lastError;
  }

  /**
   * The next seq, reserving a new range durably first when the current one is used up.
   * @throws DeviceStateError STATE_IO (the reservation could not be written; the seq is not handed out)
   */
  async nextSeq(): Promise<bigint> {
    if (this.next > this.reserved) {
      if (this.next > U64_MAX - SEQ_RESERVE) throw new DeviceStateError('STATE_FORMAT', 'seq space exhausted');
      const want = this.next + SEQ_RESERVE - 1n;
      await this.settle();
      await this.write(want, this.head);
      this.reserved = want;
    }
    return this.next++;
  }

  /**
   * Records a capture that is now durably stored in the outbox and schedules
   * the (coalesced) head write. Seqs must be recorded in increasing order.
   * @throws RangeError when seq does not increase
   */
  advance(seq: bigint, digest: Uint8Array): void {
    abigint(seq, 'seq', 1n, U64_MAX);
    abytes(digest, 'digest', 32);
    if (this.head && seq <= this.head.seq) throw new RangeError(`seq ${seq} does not follow ${this.head.seq}`);
    this.head = { seq, digest: Uint8Array.from(digest) };
    this.dirty = true;
    this.kick();
  }

  /** Resolves once the newest head is durable (retrying a failed write once). @throws DeviceStateError STATE_IO */
  async flush(): Promise<void> {
    await this.settle();
    if (this.dirty) await this.write(this.reserved, this.head);
  }

  private kick(): void {
    if (this.writing || !this.dirty) return;
    this.writing = this.write(this.reserved, this.head)
      .catch(() => {}) // kept in lastError; the next advance/flush retries
      .finally(() => {
        this.writing = null;
        if (this.dirty && this.lastError === null) this.kick();
      });
  }

  private async settle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Makes (reserved, head) durable: a head alone is appended to the log, anything else rewrites chain.json and empties the log. */
  private async write(reserved: bigint, head: ChainHead | null): Promise<void> {
    this.dirty = false;
    try {
      if (head !== null && reserved === this.fileReserved && this.logCount < this.headLogMax) {
        await this.withLog((log) => log.append([encodeHead(head)]));
        this.logCount += 1;
      } else {
        const body: ChainFile = {
          version: 1, reserved: reserved.toString(), head: head ? { seq: head.seq.toString(), digest: toHex(head.digest) } : null,
        };
        await writeJsonState(this.path, body, 0o644);
        this.fileReserved = reserved;
        if (this.logCount > 0) {
          await this.withLog((log) => log.cutTail(0));
          this.logCount = 0;
        }
      }
      this.lastError = null;
      const advanced = head !== null && (this.durableHead === null || head.seq > this.durableHead.seq);
      this.durableHead = head;
      if (advanced) this.onCommit(head.seq);
    } catch (e) {
      this.dirty = true;
      this.lastError = e;
      throw e;
    }
  }
}
