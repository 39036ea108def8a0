/**
 * Chunking of large frames (docs/MQTT.md "Chunks"): a payload longer than
 * `chunkBytes` travels as `count = ⌈totalLen / chunkBytes⌉` CHUNK envelopes with
 * the same seq; chunk j carries bytes [j·chunkBytes, min((j+1)·chunkBytes, totalLen)),
 * the SHA-256 of its data and of the whole payload. The {@link ChunkAssembler}
 * treats every chunk as hostile: bounded buffers (per connection and in total),
 * exact sizes, both digests, conflicting repeats and a completion deadline are
 * each a coded error. Pure apart from SHA-256; time is passed in.
 */
import { createHash } from 'node:crypto';
import { equalBytes } from '../../platform/bytes.js';
import { transportError } from '../errors.js';
import type { ChunkEnvelope } from './envelope.js';
import { mqttError } from './errors.js';

/** Smallest allowed chunk size. */
export const MIN_CHUNK_BYTES = 1024;
/** Default chunk size (256 KiB). */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

/** The chunk fields of one piece of a payload (the connection adds from/to/seq). */
export type ChunkPiece = Omit<ChunkEnvelope, 'type' | 'from' | 'to' | 'seq'>;

/**
 * Splits a payload into chunk pieces (data are views into `payload`).
 * @throws RangeError unless payload.length > chunkBytes ≥ MIN_CHUNK_BYTES.
 */
export function splitPayload(kind: number, payload: Uint8Array, chunkBytes: number): ChunkPiece[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES) throw new RangeError(`chunkBytes must be ≥ ${MIN_CHUNK_BYTES}`);
  if (payload.length <= chunkBytes) throw new RangeError('payload fits in one publish: do not chunk');
  const count = Math.ceil(payload.length / chunkBytes);
  const frameDigest = sha256(payload);
  const out: ChunkPiece[] = [];
  for (let index = 0; index < count; index++) {
    const data = payload.subarray(index * chunkBytes, Math.min((index + 1) * chunkBytes, payload.length));
    out.push({ kind, totalLen: payload.length, chunkBytes, index, count, frameDigest, chunkDigest: sha256(data), data });
  }
  return out;
}

/** Shared budget of reassembly bytes across connections (one per listener or transport). */
export interface ReassemblyBudget {
  used: number;
  readonly max: number;
}

interface Pending {
  readonly first: ChunkPiece;
  readonly buf: Buffer;
  readonly have: (Uint8Array | undefined)[];
  got: number;
  readonly deadline: number;
}

/** Options of a {@link ChunkAssembler}. */
export interface ChunkAssemblerOptions {
  /** Largest payload (frame minus kind byte) accepted. */
  maxPayloadBytes: number;
  /** Frames in reassembly at once (default 4). */
  maxFrames?: number;
  /** Bytes in reassembly at once for this connection. */
  maxBytes: number;
  /** A frame must be complete this long after its first chunk (ms). */
  timeoutMs: number;
  budget?: ReassemblyBudget;
}

/** Reassembles chunked payloads of one connection, keyed by seq. */
export class ChunkAssembler {
  private readonly pending = new Map<number, Pending>();
  private bytes = 0;

  constructor(private readonly o: ChunkAssemblerOptions) {}

  /** Bytes currently held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** True when a frame with this seq is being reassembled. */
  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  /**
   * Adds one chunk; returns the payload once every chunk of its frame arrived.
   * A repeated identical chunk is ignored.
   * @throws TransportError FRAME_TOO_LARGE; SealcamError MQTT_CHUNK_FORMAT,
   *   MQTT_CHUNK_DIGEST, MQTT_CHUNK_CONFLICT, MQTT_REASSEMBLY_FULL, MQTT_FRAME_DIGEST.
   */
  add(c: ChunkEnvelope, now: number): { kind: number; payload: Uint8Array } | null {
    if (c.totalLen > this.o.maxPayloadBytes) {
      throw transportError('FRAME_TOO_LARGE', `chunked frame of ${c.totalLen + 1} bytes exceeds ${this.o.maxPayloadBytes + 1}`);
    }
    if (c.chunkBytes < MIN_CHUNK_BYTES || c.count < 2 || c.count !== Math.ceil(c.totalLen / c.chunkBytes)) {
      throw mqttError('MQTT_CHUNK_FORMAT', `inconsistent chunking: ${c.totalLen} bytes, ${c.count} chunks of ${c.chunkBytes}`);
    }
    if (c.index >= c.count) throw mqttError('MQTT_CHUNK_FORMAT', `chunk index ${c.index} ≥ count ${c.count}`);
    const want = c.index < c.count - 1 ? c.chunkBytes : c.totalLen - c.chunkBytes * (c.count - 1);
    if (c.data.length !== want) throw mqttError('MQTT_CHUNK_FORMAT', `chunk ${c.index} has ${c.data.length} bytes, expected ${want}`);
    if (!equalBytes(sha256(c.data), c.chunkDigest)) throw mqttError('MQTT_CHUNK_DIGEST', `chunk ${c.index} of seq ${c.seq} does not match its digest`);
    let p = this.pending.get(c.seq);
    if (p === undefined) {
      p = this.open(c, now);
    } else {
      const f = p.first;
      if (f.kind !== c.kind || f.totalLen !== c.totalLen || f.chunkBytes !== c.chunkBytes || !equalBytes(f.frameDigest, c.frameDigest)) {
        throw mqttError('MQTT_CHUNK_CONFLICT', `chunk ${c.index} of seq ${c.seq} disagrees with the first chunk`);
      }
    }
    const seen = p.have[c.index];
    if (seen !== undefined) {
      if (!equalBytes(seen, c.chunkDigest)) throw mqttError('MQTT_CHUNK_CONFLICT', `two different chunks ${c.index} for seq ${c.seq}`);
      return null;
    }
    p.buf.set(c.data, c.index * c.chunkBytes);
    p.have[c.index] = Uint8Array.from(c.chunkDigest);
    p.got += 1;
    if (p.got < c.count) return null;
    this.drop(c.seq);
    if (!equalBytes(sha256(p.buf), p.first.frameDigest)) throw mqttError('MQTT_FRAME_DIGEST', `reassembled seq ${c.seq} does not match its digest`);
    return { kind: c.kind, payload: p.buf };
  }

  /** Seqs whose deadline passed (they are dropped). */
  expire(now: number): number[] {
    const out: number[] = [];
    for (const [seq, p] of this.pending) {
      if (p.deadline <= now) {
        this.drop(seq);
        out.push(seq);
      }
    }
    return out;
  }

  /** Earliest deadline, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const p of this.pending.values()) d = d === undefined ? p.deadline : Math.min(d, p.deadline);
    return d;
  }

  /** Releases every buffer. */
  clear(): void {
    for (const seq of [...this.pending.keys()]) this.drop(seq);
  }

  private open(c: ChunkEnvelope, now: number): Pending {
    const budget = this.o.budget;
    if (this.pending.size >= (this.o.maxFrames ?? 4) || this.bytes + c.totalLen > this.o.maxBytes) {
      throw mqttError('MQTT_REASSEMBLY_FULL', `connection reassembly limit reached (${this.pending.size} frames, ${this.bytes} bytes)`);
    }
    if (budget !== undefined && budget.used + c.totalLen > budget.max) {
      throw mqttError('MQTT_REASSEMBLY_FULL', `total reassembly budget of ${budget.max} bytes exhausted`);
    }
    const first: ChunkPiece = {
      kind: c.kind, totalLen: c.totalLen, chunkBytes: c.chunkBytes, index: c.index, count: c.count,
      frameDigest: Uint8Array.from(c.frameDigest), chunkDigest: c.chunkDigest, data: new Uint8Array(0),
    };
    const p: Pending = { first, buf: Buffer.allocUnsafe(c.totalLen), have: new Array<Uint8Array | undefined>(c.count), got: 0, deadline: now + this.o.timeoutMs };
    this.pending.set(c.seq, p);
    this.bytes += c.totalLen;
    if (budget !== undefined) budget.used += c.totalLen;
    return p;
  }

  private drop(seq: number): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    this.pending.delete(seq);
    this.bytes -= p.first.totalLen;
    if (this.o.budget !== undefined) this.o.budget.used -= p.first.totalLen;
  }
}
