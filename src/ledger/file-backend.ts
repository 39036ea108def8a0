/**
 * Embedded ledger backend: one append-only file in the state directory
 * (format in file-format.ts) over platform/journal.ts. Each append writes one
 * checksummed frame and fsyncs before resolving. On open, a torn tail left by a crash during an
 * append is detected and truncated (logged); earlier entries are kept.
 * Corruption inside the file (a bad frame followed by data) refuses to open.
 */
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { equalBytes } from '../platform/bytes.js';
import { SealcamError, isSealcamError } from '../platform/errors.js';
import { AppendFile, readExactly } from '../platform/journal.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { LedgerEntry } from './entry.js';
import { checkFileHeader, encodeFrame, FILE_HEADER, FrameScanner, type ReadAt } from './file-format.js';
import type { LedgerBackend } from './ledger.js';

/** Options of {@link FileLedgerBackend.open}. */
export interface FileLedgerOptions {
  /** Logger for recovery notices (default silent). */
  readonly logger?: Logger;
  /** Truncate a torn tail on open (default true). When false, appends are refused if one exists. */
  readonly repair?: boolean;
}

function io(what: string, e: unknown): SealcamError<'LEDGER_IO'> {
  return new SealcamError('LEDGER_IO', `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** Positional reader over an open file that always returns exactly `len` bytes. */
export function fileReadAt(h: FileHandle): ReadAt {
  return async (pos, len) => {
    try {
      return await readExactly(h, pos, len);
    } catch (e) {
      throw e instanceof RangeError ? new SealcamError('LEDGER_IO', `ledger: ${e.message}`, { cause: e }) : e;
    }
  };
}

/** File-backed {@link LedgerBackend}. Create with {@link FileLedgerBackend.open}. */
export class FileLedgerBackend implements LedgerBackend {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: AppendFile,
    private readonly torn: number,
    readonly path: string,
  ) {}

  /**
   * Opens (creating if missing) the ledger file at `path`, scans it and
   * repairs a torn tail.
   * @throws SealcamError LEDGER_FORMAT | LEDGER_VERSION (not a ledger file), LEDGER_CORRUPT, LEDGER_IO.
   */
  static async open(path: string, opts: FileLedgerOptions = {}): Promise<FileLedgerBackend> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    const log = opts.logger ?? silentLogger;
    let file: AppendFile;
    try {
      file = await AppendFile.open(path, { sync: 'full' });
    } catch (e) {
      throw io(`cannot open ledger ${path}`, e);
    }
    try {
      const size = file.size;
      if (size < FILE_HEADER.length) {
        const head = await fileReadAt(file.fh)(0, size);
        if (!equalBytes(head, FILE_HEADER.subarray(0, size))) throw new SealcamError('LEDGER_FORMAT', 'not a sealcam ledger file');
        await file.cutTail(0);
        await file.append([FILE_HEADER]);
        await fsyncDir(dirname(path));
      }
      checkFileHeader(await fileReadAt(file.fh)(0, FILE_HEADER.length));
      const scan = new FrameScanner(fileReadAt(file.fh), file.size);
      while ((await scan.next()) !== null) { /* count frames up to the valid end */ }
      let torn = scan.tornBytes;
      if (torn > 0 && opts.repair !== false) {
        log.warn({ path, tornBytes: torn, validEnd: scan.validEnd }, 'ledger: dropping torn tail of an interrupted append');
        await file.cutTail(scan.validEnd);
        torn = 0;
      }
      return new FileLedgerBackend(file, torn, path);
    } catch (e) {
      await file.close();
      throw isSealcamError(e) ? e : io(`cannot read ledger ${path}`, e);
    }
  }

  /** Bytes of valid frames (header included). */
  get byteLength(): number {
    return this.file.size - this.torn;
  }

  /**
   * Writes `entry` as one frame at the end and fsyncs. On failure the file is
   * cut back to its previous end (or the backend refuses further appends).
   * @throws SealcamError LEDGER_IO; TypeError/RangeError on a malformed entry.
   */
  append(entry: LedgerEntry): Promise<void> {
    const frame = encodeFrame(entry);
    const run = async (): Promise<void> => {
      if (this.torn > 0) throw new SealcamError('LEDGER_IO', 'ledger has an unrepaired torn tail (opened with repair: false)');
      try {
        await this.file.append([frame]);
      } catch (e) {
        throw io('ledger append failed', e);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Yields the entries stored when the iteration starts.
   * @throws SealcamError LEDGER_CORRUPT | LEDGER_IO.
   */
  async *read(): AsyncIterable<LedgerEntry> {
    const scan = new FrameScanner(fileReadAt(this.file.fh), this.byteLength);
    for (let e = await scan.next(); e !== null; e = await scan.next()) yield e;
  }

  /** Closes the file (waits for pending appends). */
  async close(): Promise<void> {
    await this.queue;
    await this.file.close();
  }
}
