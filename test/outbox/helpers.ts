/** Shared helpers for outbox tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { EnqueueItem } from '../../src/outbox/index.js';

/** A fresh temporary directory and its remover. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-outbox-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic record bytes for (seq, index) of a given length. */
export function blockData(seq: bigint, index: number, len = 64): Uint8Array {
  const out = new Uint8Array(len);
  let block = new Uint8Array(0);
  for (let o = 0; o < len; o += 32) {
    block = createHash('sha256').update(`${seq}/${index}/${o}`).digest();
    out.set(block.subarray(0, Math.min(32, len - o)), o);
  }
  return out;
}

/** The c block items of capture `seq`. */
export function capture(seq: bigint, destinations: string[], blocks = 4, len = 64): EnqueueItem[] {
  return Array.from({ length: blocks }, (_, k) => ({ seq, index: k + 1, destinations, data: blockData(seq, k + 1, len) }));
}
