/**
 * On-disk format of the embedded ledger file (docs/LEDGER.md):
 * ```
 * file  = "SCLG" || u8(1) || 000000 || frame*
 * frame = u32(len) || entry(len) || check(4),  check = first 4 bytes of
 *         H("sealcam/ledger-frame/v1" || u32(len) || entry)
 * ```
 * The scanner reads frames through an injected positional reader and tells a
 * torn tail (the prefix of one interrupted append, or zero fill after it) from
 * corruption (a bad frame followed by other data). Pure apart from the reader.
 */
import { sha256 } from '../crypto/hash.js';
import { concat, equalBytes, u32, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { decodeEntry, encodeEntry, MAX_ENTRY_LENGTH, MIN_ENTRY_LENGTH, type LedgerEntry } from './entry.js';

/** File header: magic, version 1, three zero bytes. */
export const FILE_HEADER: Uint8Array = concat(utf8('SCLG'), Uint8Array.of(1, 0, 0, 0));
/** Largest frame. */
export const MAX_FRAME_LENGTH = 4 + MAX_ENTRY_LENGTH + 4;
const FRAME_TAG = utf8('sealcam/ledger-frame/v1');
const CHUNK = 64 * 1024;

/** Positional reader: exactly `len` bytes at `pos` (callers stay inside the file). */
export type ReadAt = (pos: number, len: number) => Promise<Uint8Array>;

function check(lenBytes: Uint8Array, entry: Uint8Array): Uint8Array {
  return sha256(FRAME_TAG, lenBytes, entry).subarray(0, 4);
}

/** One frame holding `e`. @throws TypeError/RangeError on a malformed entry. */
export function encodeFrame(e: LedgerEntry): Uint8Array {
  const body = encodeEntry(e);
  const len = u32(body.length);
  return concat(len, body, check(len, body));
}

/**
 * Validates the file header.
 * @throws SealcamError LEDGER_FORMAT (not a ledger file) | LEDGER_VERSION.
 */
export function checkFileHeader(head: Uint8Array): void {
  if (head.length < FILE_HEADER.length || !equalBytes(head.subarray(0, 4), FILE_HEADER.subarray(0, 4))) {
    throw new SealcamError('LEDGER_FORMAT', 'not a sealcam ledger file (missing "SCLG" header)');
  }
  if (head[4] !== 1) throw new SealcamError('LEDGER_VERSION', `unsupported ledger file version ${head[4]}`);
  if (!equalBytes(head.subarray(0, FILE_HEADER.length), FILE_HEADER)) throw new SealcamError('LEDGER_FORMAT', 'reserved header bytes must be zero');
}

/** Reads the frames of a file of `size` bytes, from just after the header. */
export class FrameScanner {
  private off = FILE_HEADER.length;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private torn = 0;
  private done = false;

  constructor(private readonly readAt: ReadAt, private readonly size: number) {}

  /** Offset just after the last good frame returned so far. */
  get validEnd(): number {
    return this.off;
  }

  /** Length of the torn tail found at the end (0 when the file ends on a frame boundary). */
  get tornBytes(): number {
    return this.torn;
  }

  private async view(pos: number, n: number): Promise<Uint8Array> {
    if (pos < this.bufStart || pos + n > this.bufStart + this.buf.length) {
      this.buf = await this.readAt(pos, Math.min(this.size - pos, Math.max(n, CHUNK)));
      this.bufStart = pos;
    }
    return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + n);
  }

  private async zeroFrom(pos: number): Promise<boolean> {
    for (let p = pos; p < this.size; p += CHUNK) {
      const v = await this.view(p, Math.min(CHUNK, this.size - p));
      if (v.some((b) => b !== 0)) return false;
    }
    return true;
  }

  private async stop(tornIf: boolean, why: string): Promise<null> {
    if (!tornIf) {
      throw new SealcamError('LEDGER_CORRUPT', `ledger file corrupt at offset ${this.off}: ${why}, and data follows`);
    }
    this.torn = this.size - this.off;
    this.done = true;
    return null;
  }

  /**
   * The next entry, or null at the end (valid end or torn tail).
   * @throws SealcamError LEDGER_CORRUPT when a bad frame is followed by other data.
   */
  async next(): Promise<LedgerEntry | null> {
    if (this.done || this.off >= this.size) {
      this.done = true;
      return null;
    }
    const rem = this.size - this.off;
    if (rem < 4) return this.stop(true, 'short length prefix');
    const lenBytes = Uint8Array.from(await this.view(this.off, 4));
    const len = new DataView(lenBytes.buffer).getUint32(0);
    if (len < MIN_ENTRY_LENGTH || len > MAX_ENTRY_LENGTH) return this.stop(await this.zeroFrom(this.off), `bad frame length ${len}`);
    const frameLen = 4 + len + 4;
    if (frameLen > rem) return this.stop(true, 'incomplete frame');
    const frame = await this.view(this.off, frameLen);
    const body = frame.subarray(4, 4 + len);
    if (!equalBytes(frame.subarray(4 + len), check(lenBytes, body))) {
      return this.stop(await this.zeroFrom(this.off + frameLen), 'frame checksum mismatch');
    }
    let entry: LedgerEntry;
    try {
      entry = decodeEntry(body);
    } catch (e) {
      throw new SealcamError('LEDGER_CORRUPT', `ledger file frame at offset ${this.off} holds a malformed entry`, { cause: e });
    }
    this.off += frameLen;
    return entry;
  }
}
