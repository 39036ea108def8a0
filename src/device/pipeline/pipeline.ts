/**
 * The capture pipeline (docs/DAEMON.md "Pipeline"): for each capture, a seq
 * from the durable chain state, prevHeaderDigest chaining, the signed header
 * and blocks (capture-signer.ts), then ONE durable outbox enqueue of all its
 * blocks for every destination, then the chain head.
 *
 * Two stages: signing is serialised (chain order), storing is serialised in
 * the same order; the next capture is signed while the previous one is being
 * written. A capture is hashed as soon as it is handed in (the hash workers
 * work on it while the capture before it is signed); it is admitted, given
 * its seq and linked to the previous header once that one is signed. A
 * signed capture is never dropped: a full outbox or a write error makes its
 * store retry until it succeeds (or the daemon stops); new captures
 * are refused BEFORE signing while the outbox is full. Block bytes go from
 * the hasher's buffer to the outbox's writev without a copy, checksummed by
 * the outbox while the hash workers hash them; the buffer is given back once
 * the capture is stored (after the 'stored' event).
 *
 * With `credentials`, a JPEG capture's signed C2PA manifest store (built
 * right after signing: docs/C2PA.md "Credentials through the receiver") is
 * queued in the same enqueue as one more record, index C2PA_RECORD_INDEX,
 * for the destinations that are not storage servers; the delivery session
 * sends it as a C2PA message after the blocks. A store that cannot be built
 * is logged and counted (stats.c2paFailed); the capture is queued anyway.
 */
import { EventEmitter } from 'node:events';
import type { ServerSpace } from '../../dstp/split.js';
import { toHex } from '../../platform/bytes.js';
import type { Clock } from '../../platform/clock.js';
import { isSealcamError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { ChainState } from '../keys/chain-state.js';
import { signCaptureForOutbox, type CaptureKeys, type SignedForOutbox, type SignIdentity, type SignOptions } from './capture-signer.js';
import type { CaptureHasher } from './hasher.js';
import type { EncodedItems } from '../../outbox/enqueue-items.js';
import { encodeMessage } from '../../transport/messages.js';
import { C2PA_RECORD_INDEX, newPipelineStats, type CaptureInput, type OutboxSink, type PipelineStats, type ProcessOutcome, type SinkItem } from './types.js';

export { C2PA_RECORD_INDEX } from './types.js';
export type { CaptureInput, OutboxSink, PipelineStats, ProcessOutcome, SinkItem } from './types.js';

/** Dependencies of {@link CapturePipeline}. */
export interface PipelineDeps {
  readonly identity: SignIdentity;
  readonly keys: CaptureKeys;
  readonly chain: ChainState;
  readonly outbox: OutboxSink;
  /** Outbox destination ids each capture is queued for. */
  destinations(): readonly string[];
  /** Algorithm 1 input for a key with n blocks per capture. */
  servers(n: number): readonly ServerSpace[];
  /**
   * Destination ids of the storage servers, in the order of `servers(n)`. Each
   * block then goes to the one server Algorithm 1 sized it for, plus every
   * destination that is not a server (the owner's phone gets whole captures).
   * Omitted: every block goes to every destination.
   */
  serverIds?(): readonly string[];
  /** Largest block (bytes): captures above n × this are refused unsigned. */
  readonly maxBlockBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Delay between store retries (ms, default 500). */
  readonly retryMs?: number;
  /** Capture hashing (default: the process-wide hasher, device/pipeline/hasher.ts). */
  readonly hasher?: CaptureHasher;
  /**
   * The signed C2PA manifest store of a just-signed JPEG capture (c2pa-photo.ts captureManifestStore),
   * or null when this device makes none (suite 1, no certificate). Omitted: no credentials are queued.
   */
  readonly credentials?: (jpeg: Uint8Array, signed: SignedForOutbox) => Promise<Uint8Array | null>;
}


type Signed = { kind: 'signed'; capture: SignedForOutbox; c2pa: Uint8Array | null };

/**
 * See the file comment. Emits 'full' / 'available' on outbox admission changes and 'stored' per
 * capture (its payloads are valid during the event only: copy what you keep).
 */
export class CapturePipeline extends EventEmitter<{ full: []; available: []; stored: [SignedForOutbox] }> {
  readonly stats: PipelineStats = newPipelineStats();
  private signing: Promise<unknown> = Promise.resolve();
  private storing: Promise<unknown> = Promise.resolve();
  private lastSigned: Uint8Array | null = null;
  private lastKeyId: Uint8Array | null = null;
  private stopping = false;
  private full_ = false;

  private readonly signOptions: SignOptions;

  /** Only assigns. */
  constructor(private readonly d: PipelineDeps) {
    super();
    const outbox = d.outbox;
    this.signOptions = { ...(d.hasher ? { hasher: d.hasher } : {}), ...(outbox.checksum ? { checksum: (b: Uint8Array) => outbox.checksum!(b) } : {}) };
  }

  /** True while new captures are refused because the outbox is full. */
  get full(): boolean {
    return this.full_;
  }

  /** Called by the daemon on the outbox's 'full' / 'available' events. */
  setFull(full: boolean): void {
    if (full === this.full_) return;
    this.full_ = full;
    this.stats.outboxFull = full;
    if (full) {
      this.stats.fullEpisodes++;
      this.d.logger.warn('pipeline: outbox FULL: new captures are refused (signed data is kept)');
      this.emit('full');
    } else {
      this.d.logger.info({ refused: this.stats.refusedFull }, 'pipeline: outbox has room again; captures are admitted');
      this.emit('available');
    }
  }

  /** Stops retrying stores (they give up at their next attempt) and refuses new captures. */
  stop(): void {
    this.stopping = true;
  }

  /** Resolves when every capture handed in so far has been stored (or given up at stop). */
  async drain(): Promise<void> {
    for (;;) {
      const [s, t] = [this.signing, this.storing];
      await Promise.all([s.catch(() => {}), t.catch(() => {})]);
      if (s === this.signing && t === this.storing) return;
    }
  }

  /**
   * Signs and stores one capture. Resolves once it is durably queued (or refused / given up).
   * Never rejects.
   */
  process(c: CaptureInput): Promise<ProcessOutcome> {
    const signed = this.sign(c, this.signing); // hashes now; links once the capture before it is signed
    this.signing = signed.catch(() => {});
    const before = this.storing;
    // A refusal answers at once; a signed capture is stored after every earlier one (chain order).
    const outcome = signed.then(async (s) => {
      if (s.kind !== 'signed') return s;
      const encoded = this.encode(s); // checks and encodes now, while earlier captures are being written
      await before;
      return this.store(s, encoded);
    });
    this.storing = Promise.all([before, outcome]).catch(() => {});
    return outcome;
  }

  private refuse(reason: Exclude<ProcessOutcome, { kind: 'queued' }>['reason'], detail?: string): ProcessOutcome {
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
    if (reason === 'OUTBOX_FULL') this.stats.refusedFull++;
    if (detail !== undefined) this.stats.lastError = { code: reason, message: detail, at: this.d.clock.now() };
    return { kind: 'refused', reason, ...(detail !== undefined ? { detail } : {}) };
  }

  /** The capture's seq once it may be signed (after `prev`, in chain order), or why it is refused. */
  private async admit(): Promise<bigint | ProcessOutcome> {
    const d = this.d;
    if (this.stopping) return this.refuse('STOPPING');
    if (this.full_) return this.refuse('OUTBOX_FULL');
    if (d.destinations().length === 0) return this.refuse('NO_DESTINATION', 'no outbox destination is configured');
    try {
      return await d.chain.nextSeq();
    } catch (e) {
      d.logger.error({ err: (e as Error).message }, 'pipeline: cannot reserve a seq; capture not signed');
      return this.refuse('STATE_IO', (e as Error).message);
    }
  }

  /**
   * Signs `c`: it is hashed at once (the hash workers work on it while the capture before it is
   * signed), then admitted and linked into the chain once `prev` (that capture's signing) is done.
   */
  private async sign(c: CaptureInput, prev: Promise<unknown>): Promise<Signed | ProcessOutcome> {
    const d = this.d;
    if (this.stopping || this.full_) {
      await prev; // most likely refused: not worth hashing first
      if (this.stopping) return this.refuse('STOPPING');
      if (this.full_) return this.refuse('OUTBOX_FULL');
    }
    let refused: ProcessOutcome | undefined;
    let seq: bigint | undefined;
    const t0 = performance.now();
    let waited = 0; // for the capture before it: not this capture's signing time
    const link = async (): Promise<{ seq: bigint; prevHeaderDigest: Uint8Array }> => {
      const w0 = performance.now();
      await prev;
      waited = performance.now() - w0;
      const a = await this.admit();
      if (typeof a !== 'bigint') {
        refused = a;
        throw new Error('capture refused');
      }
      seq = a;
      return { seq, prevHeaderDigest: this.lastSigned ?? d.chain.prevHeaderDigest };
    };
    try {
      const s = await signCaptureForOutbox(
        { bytes: c.bytes, ts: c.captureTime, seq: 0n, mode: c.mode, contentType: c.contentType, prevHeaderDigest: d.chain.prevHeaderDigest },
        d.identity, d.keys, (n) => {
          if (c.bytes.length > n * d.maxBlockBytes) throw new RangeError(`capture of ${c.bytes.length} bytes exceeds ${n} × ${d.maxBlockBytes}`);
          return d.servers(n);
        }, () => d.clock.now(), { ...this.signOptions, link },
      );
      this.lastSigned = s.headerDigest;
      this.stats.signed++;
      if (s.restamped) this.stats.restamped++;
      this.stats.signMs += performance.now() - t0 - waited;
      this.stats.lastSignedSeq = s.seq;
      if (s.keyId !== this.lastKeyId) [this.lastKeyId, this.stats.keyId] = [s.keyId, toHex(s.keyId)];
      this.stats.period = s.m;
      d.logger.debug({ seq: s.seq.toString(), ts: s.ts.toString(), m: s.m, c: s.payloads.length }, 'pipeline: capture signed');
      return { kind: 'signed', capture: s, c2pa: c.contentType === 1 ? await this.credentials(c.bytes, s) : null };
    } catch (e) {
      if (refused) return refused;
      await prev; // a capture that failed before its link still answers in chain order
      const code = e instanceof RangeError ? 'TOO_LARGE' : isSealcamError(e) ? 'NO_KEY' : 'SIGN_FAILED';
      d.logger.warn({ seq: seq?.toString(), code: isSealcamError(e) ? e.code : code, err: (e as Error).message }, 'pipeline: capture not signed');
      return this.refuse(code, (e as Error).message);
    }
  }

  /** The capture's C2PA manifest store, or null (none made; a failure is logged and counted). */
  private async credentials(jpeg: Uint8Array, s: SignedForOutbox): Promise<Uint8Array | null> {
    if (!this.d.credentials) return null;
    try {
      return await this.d.credentials(jpeg, s);
    } catch (e) {
      this.stats.c2paFailed++;
      this.d.logger.warn({ seq: s.seq.toString(), code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'pipeline: no C2PA manifest for this capture');
      return null;
    }
  }

  private items(signed: Signed): SinkItem[] {
    const s = signed.capture;
    const all = this.d.destinations();
    const ids = this.d.serverIds?.() ?? [];
    const others = all.filter((id) => !ids.includes(id));
    const items: SinkItem[] = s.records.map((data, k) => {
      const idx = s.servers[k];
      const target = idx === null || idx === undefined ? undefined : ids[idx];
      const destinations = target !== undefined && all.includes(target) ? [...others, target] : all;
      return { seq: s.seq, index: k + 1, destinations, data };
    });
    if (signed.c2pa !== null && others.length > 0) {
      items.push({ seq: s.seq, index: C2PA_RECORD_INDEX, destinations: others, data: encodeMessage({ type: 'c2pa', seq: s.seq, store: signed.c2pa }).payload });
    }
    return items;
  }

  /** The capture's records encoded by the outbox ahead of enqueue, or undefined (then enqueue encodes them). */
  private encode(s: Signed): EncodedItems | undefined {
    try {
      return this.d.outbox.encode?.(this.items(s));
    } catch {
      return undefined; // enqueue reports the same error in the store loop
    }
  }

  private async store(signed: Signed, encoded: EncodedItems | undefined): Promise<ProcessOutcome> {
    try {
      return await this.storeWithRetries(signed, encoded);
    } finally {
      signed.capture.release();
    }
  }

  private async storeWithRetries(signed: Signed, encoded: EncodedItems | undefined): Promise<ProcessOutcome> {
    const d = this.d;
    const s = signed.capture;
    const bytes = s.bytes;
    for (let attempt = 1; ; attempt++) {
      try {
        await d.outbox.enqueue(attempt === 1 && encoded ? encoded : this.items(signed)); // a retry re-reads the destinations
        break;
      } catch (e) {
        const code = isSealcamError(e) ? e.code : 'OUTBOX_ERROR';
        if (code === 'OUTBOX_FULL') this.setFull(true);
        this.stats.lastError = { code, message: (e as Error).message, at: d.clock.now() };
        if (this.stopping || code === 'OUTBOX_DUPLICATE' || code === 'OUTBOX_CLOSED') {
          this.stats.lost++;
          d.logger.error({ seq: s.seq.toString(), code }, 'pipeline: a SIGNED capture could not be stored');
          return { kind: 'refused', reason: 'STORE_FAILED', detail: (e as Error).message };
        }
        if (attempt === 1 || attempt % 20 === 0) d.logger.warn({ seq: s.seq.toString(), code, attempt }, 'pipeline: storing a signed capture failed; retrying');
        await d.clock.sleep(d.retryMs ?? 500);
      }
    }
    d.chain.advance(s.seq, s.headerDigest);
    this.stats.queued++;
    this.stats.queuedBytes += bytes;
    this.stats.lastQueuedSeq = s.seq;
    d.logger.info({ seq: s.seq.toString(), ts: s.ts.toString(), m: s.m, blocks: s.payloads.length, bytes }, 'capture queued');
    this.emit('stored', s);
    return { kind: 'queued', seq: s.seq, blocks: s.payloads.length, bytes };
  }
}
