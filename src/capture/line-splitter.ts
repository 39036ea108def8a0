/**
 * Bounded text line splitter for a child's stderr: UTF-8 safe across chunk
 * boundaries, strips CR, truncates over-long lines instead of buffering them.
 */
import { StringDecoder } from 'node:string_decoder';
import { aint } from '../platform/bytes.js';

/** Splits a byte stream into lines of at most `maxLine` characters. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';
  private overflow = false;
  private readonly maxLine: number;

  /** @throws RangeError naming `maxLine`; TypeError unless `onLine` is a function. */
  constructor(maxLine: number, private readonly onLine: (line: string) => void) {
    this.maxLine = aint(maxLine, 'maxLine', 1, 1 << 20);
    if (typeof onLine !== 'function') throw new TypeError('onLine must be a function');
  }

  /** Feeds a chunk; calls onLine for every completed line. */
  push(chunk: Uint8Array): void {
    this.feed(this.decoder.write(chunk));
  }

  /** Flushes a final unterminated line. */
  end(): void {
    this.feed(this.decoder.end());
    if (this.buf.length > 0 && !this.overflow) this.onLine(this.buf);
    this.buf = '';
    this.overflow = false;
  }

  private feed(s: string): void {
    let from = 0;
    for (;;) {
      const nl = s.indexOf('\n', from);
      const piece = s.slice(from, nl < 0 ? s.length : nl);
      if (!this.overflow) {
        this.buf += piece;
        if (this.buf.length > this.maxLine) {
          this.onLine(this.buf.slice(0, this.maxLine) + '…');
          this.buf = '';
          this.overflow = true;
        }
      }
      if (nl < 0) return;
      if (!this.overflow) this.onLine(this.buf.endsWith('\r') ? this.buf.slice(0, -1) : this.buf);
      this.buf = '';
      this.overflow = false;
      from = nl + 1;
    }
  }
}
