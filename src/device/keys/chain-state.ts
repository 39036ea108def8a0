/**
 * The capture chain of the device (SCHEME.md §6): the DSTP `seq` (u64,
 * strictly increasing, never reused across restarts) and `prevHeaderDigest`
 * (the last stored capture's headerDigest), persisted in `<stateDir>/chain.json`
 * and `<stateDir>/chain-heads.log`.
 *
 * Seqs are handed out from a durably RESERVED range: before a seq is used
 * chain.json says `reserved ≥ seq`, and a restart continues after the reserved
 * range, so a seq signed just before a crash is never signed again.
 *
 * The head is made durable only when it must be: `advance` records a capture
 * that is durably stored (in the daemon: in the outbox, where a restart finds
 * it again — daemon/build.ts recoverChainHead), and {@link ChainState.cover}
 * writes the newest head before anything may forget that capture — the
 * outbox's last ACK of one of its records (delivery/delivery.ts outboxQueue),
 * dropping a destination's records (identity/bind-apply.ts), or, without an
 * outbox, handing the capture out (sdk/sign.ts). So the newest stored capture is
 * always either still pending in the outbox or at most the durable head, and a
 * restart continues the chain from it. Writes are coalesced (at most one in
 * flight, always the newest head): under load one write covers every capture
 * stored since the last one, instead of a write per capture on the store path.
 * `committed` is the newest seq whose head is durable.
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
  /** The write running now, and the next one (not started yet: every caller meanwhile shares it). */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** A range being reserved (written by the next write, in force once it is durable). */
  private reserving: bigint | null = null;
  private dirty = false;
  private lastError: unknown = null;
  /** The reserved range chain.json holds. */
  private fileReserved = 0n;
  /** Records in chain-heads.log. */
  private logCount = 0;

  /** Only assigns. `headLogMax` (default {@link HEAD_LOG_MAX}) is the log length that triggers a chain.json rewrite. */
  constructor(
    private readonly stateDir: string,
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
      this.reserving = want;
      try {
        await this.writeSoon();
      } finally {
        this.reserving = null;
      }
      this.reserved = want;
    }
    return this.next++;
  }

  /**
   * Records a capture that is now durably stored (nothing is written: see {@link cover}).
   * Seqs must be recorded in increasing order.
   * @throws RangeError when seq does not increase
   */
  advance(seq: bigint, digest: Uint8Array): void {
    abigint(seq, 'seq', 1n, U64_MAX);
    abytes(digest, 'digest', 32);
    if (this.head && seq <= this.head.seq) throw new RangeError(`seq ${seq} does not follow ${this.head.seq}`);
    this.head = { seq, digest: Uint8Array.from(digest) };
    this.dirty = true;
  }

  /**
   * Resolves once the durable head is at least `seq`, writing the newest head if it is not yet
   * (one write serves every caller waiting meanwhile). Call it before the capture `seq` may be
   * forgotten by the store that holds it.
   * @throws DeviceStateError STATE_IO (the head could not be written: do not forget the capture) |
   *   STATE_FORMAT (`seq` was never advanced to)
   */
  async cover(seq: bigint): Promise<void> {
    while (this.committed < seq) {
      if (!this.head || this.head.seq < seq) throw new DeviceStateError('STATE_FORMAT', `seq ${seq} is not a stored capture (the head is ${this.head?.seq ?? 0n})`);
      await this.writeSoon();
    }
  }

  /** Resolves once the newest head is durable. @throws DeviceStateError STATE_IO */
  async flush(): Promise<void> {
    do await this.writeSoon(); while (this.dirty);
  }

  /**
   * The next write: after the one running now (writes never overlap), of the newest head and range
   * as they are when it starts; nothing when there is nothing new by then. @throws DeviceStateError STATE_IO
   */
  private writeSoon(): Promise<void> {
    this.queued ??= (this.running ?? Promise.resolve()).catch(() => {}).then(() => {
      this.queued = null;
      if (!this.dirty && this.reserving === null) return undefined;
      const w = this.write(this.reserving ?? this.reserved, this.head);
      this.running = w;
      return w.finally(() => {
        if (this.running === w) this.running = null;
      });
    });
    return this.queued;
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
      this.durableHead = head;
    } catch (e) {
      this.dirty = true;
      this.lastError = e;
      throw e instanceof DeviceStateError ? e : new DeviceStateError('STATE_IO', 'cannot write the chain state', { cause: e });
    }
  }
}
