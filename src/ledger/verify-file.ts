/**
 * `sealcam ledger verify FILE`: read-only verification of a ledger file.
 * The file is never modified; a torn tail is reported, not repaired.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isSealcamError, SealcamError } from '../platform/errors.js';
import { LedgerChecker, type LedgerCheckOptions } from './checker.js';
import type { LifecycleReason } from './errors.js';
import { fileReadAt } from './file-backend.js';
import { checkFileHeader, FILE_HEADER, FrameScanner } from './file-format.js';
import { checkerResult, type LedgerVerifyResult } from './verify.js';

/**
 * Verifies the ledger file at `path` (chain, signatures, life-cycle rules,
 * optional trusted manufacturers and anchors). File-format defects
 * (LEDGER_FORMAT, LEDGER_VERSION, LEDGER_CORRUPT) are reported as problems.
 * @throws SealcamError LEDGER_IO when the file cannot be opened or read.
 */
export async function ledgerVerifyFile(path: string, opts: LedgerCheckOptions = {}): Promise<LedgerVerifyResult> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  let h: FileHandle;
  try {
    h = await fs.open(path, 'r');
  } catch (e) {
    throw new SealcamError('LEDGER_IO', `cannot open ledger ${path}: ${(e as Error).message}`, { cause: e });
  }
  const checker = new LedgerChecker(opts);
  try {
    const size = (await h.stat()).size;
    const readAt = fileReadAt(h);
    checkFileHeader(size >= FILE_HEADER.length ? await readAt(0, FILE_HEADER.length) : await readAt(0, size));
    const scan = new FrameScanner(readAt, size);
    try {
      for (let e = await scan.next(); e !== null; e = await scan.next()) checker.push(e);
    } catch (e) {
      if (!isSealcamError(e, 'LEDGER_CORRUPT')) throw e;
      checker.problems.push({ index: BigInt(checker.entries), code: 'LEDGER_CORRUPT', message: e.message });
    }
    return checkerResult(checker, { tornTailBytes: scan.tornBytes });
  } catch (e) {
    if (isSealcamError(e, 'LEDGER_FORMAT', 'LEDGER_VERSION')) {
      checker.problems.push({ index: 0n, code: e.code as LifecycleReason, message: e.message });
      return checkerResult(checker);
    }
    if (isSealcamError(e)) throw e;
    throw new SealcamError('LEDGER_IO', `cannot read ledger ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    await h.close();
  }
}
