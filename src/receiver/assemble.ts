/**
 * Reassembly of a capture from its complete block set (SCHEME.md §6): the
 * layout check (indices 1..c, contiguous from 0, Σ len = captureLen,
 * BLOCK_LAYOUT) and H(capture) = captureHash (CAPTURE_HASH). Pure.
 */
import { createHash } from 'node:crypto';
import { checkBlockLayout } from '../dstp/verify.js';
import type { DstpHeader } from '../dstp/header.js';
import { equalBytes } from '../platform/bytes.js';
import type { StoredBlock } from './store/codec.js';

/** Result of {@link assembleCapture}. */
export type AssembleResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: 'BLOCK_LAYOUT' | 'CAPTURE_HASH' };

/**
 * Checks the layout of all c blocks and the capture hash; returns the capture bytes.
 * Never throws for hostile block lists.
 */
export function assembleCapture(h: Pick<DstpHeader, 'c' | 'captureLen' | 'captureHash'>, blocks: readonly StoredBlock[]): AssembleResult {
  if (checkBlockLayout(h, blocks) !== null) return { ok: false, reason: 'BLOCK_LAYOUT' };
  if (blocks.some((b) => b.data.length !== b.len)) return { ok: false, reason: 'BLOCK_LAYOUT' };
  const bytes = new Uint8Array(Number(h.captureLen));
  const hash = createHash('sha256');
  for (const b of [...blocks].sort((x, y) => x.i - y.i)) {
    bytes.set(b.data, Number(b.off));
    hash.update(b.data);
  }
  return equalBytes(new Uint8Array(hash.digest()), h.captureHash) ? { ok: true, bytes } : { ok: false, reason: 'CAPTURE_HASH' };
}
