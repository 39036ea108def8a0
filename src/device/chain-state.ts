/**
 * The capture chain of the device (SCHEME.md §6): the DSTP `seq` (u64,
 * strictly increasing, never reused across restarts) and `prevHeaderDigest`
 * (the last stored capture's headerDigest), persisted in `<stateDir>/chain.json`.
 *
 * Seqs are handed out from a durably RESERVED range: before a seq is used the
 * file says `reserved ≥ seq`, and a restart continues after the reserved
 * range, so a seq signed just before a crash is never signed again. The head
 * is written after the capture is durably in the outbox (coalesced: at most
 * one write in flight, always the newest head); `committed` is the newest seq
 * whose head is durable, and delivery only sends captures up to it, so the
 * outbox never forgets a capture the chain file does not know yet.
 */
import { abigint, abytes, fromHex, toHex, U64_MAX } from '../platform/bytes.js';
import { DeviceStateError, readJsonState, STATE_FILES, statePath, writeJsonState } from './state-dir.js';

/** Seqs reserved per durable write. */
export const SEQ_RESERVE = 1024n;

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

  /** Only assigns. `onCommit` is called with the newest durable seq after each head write. */
  constructor(
    private readonly stateDir: string,
    private readonly onCommit: (seq: bigint) => void = () => {},
  ) {}

  private get path(): string {
    return statePath(this.stateDir, STATE_FILES.chain);
  }

  /**
   * Reads chain.json; `recovered` (the newest capture found in the outbox, if
   * any) wins when newer than the file's head. Seqs continue after the reserved range.
   * @throws DeviceStateError STATE_IO | STATE_FORMAT
   */
  async load(recovered: ChainHead | null = null): Promise<void> {
    const raw = await readJsonState(this.path);
    const f = raw === null ? { reserved: 0n, head: null } : parse(raw, this.path);
    let head = f.head;
    if (recovered && (!head || recovered.seq > head.seq)) head = { seq: recovered.seq, digest: Uint8Array.from(recovered.digest) };
    const floor = head && head.seq > f.reserved ? head.seq : f.reserved;
    this.reserved = floor;
    this.next = floor + 1n;
    this.head = head;
    this.durableHead = f.head;
    this.dirty = head !== f.head;
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

  private async write(reserved: bigint, head: ChainHead | null): Promise<void> {
    this.dirty = false;
    const body: ChainFile = {
      version: 1, reserved: reserved.toString(), head: head ? { seq: head.seq.toString(), digest: toHex(head.digest) } : null,
    };
    try {
      await writeJsonState(this.path, body, 0o644);
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
