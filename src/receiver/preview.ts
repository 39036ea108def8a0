/**
 * Provenance before data, on BLE sessions (docs/BLE.md §9, docs/RECEIVER.md
 * "Preview"): the device first sends every block of a capture with its data
 * stripped (header, header signature, index, off, len, Merkle proof,
 * FsSignature), then a PREVIEW frame (kind 0xB0) with every block hash and an
 * optional thumbnail. With the registered device key and key cycle, the
 * receiver then checks — before any block data arrives — the header
 * signature (SCHEME.md §6 header stage), the block layout, and for every block
 * the Merkle proof of its leaf (built from the PREVIEW block hash) and its
 * FsSignature. The result is the `preview` event; nothing is stored (the full
 * blocks that follow are verified and stored as usual and complete the
 * capture). A thumbnail counts as signed only with a valid device signature
 * (over `thumbnailSigningMessage`, by the device key of the registration); a
 * thumbnail with an invalid signature is dropped from the event and counted
 * in `stats.previews` as THUMBNAIL_SIGNATURE (the capture is unaffected); an
 * unsigned one (older devices) is passed on with `signed: false`.
 * Per session, bounded (captures waiting for their PREVIEW, blocks each).
 */
import { sha256 } from '../crypto/hash.js';
import { checkBlockLayout, verifyBlockWithHeader, verifyHeader } from '../dstp/verify.js';
import { HEADER_OFFSETS } from '../dstp/header.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { decodePreview, thumbnailSignatureValid, type PreviewMessage } from '../transport/ble/preview.js';
import type { BlockMessage } from '../transport/messages.js';
import type { Frame } from '../transport/transport.js';
import type { ReceiverCore } from './core.js';
import type { PreviewEvent } from './types.js';

export type { PreviewEvent } from './types.js';

/** Captures whose stripped blocks wait for their PREVIEW, per session (older ones are dropped). */
export const MAX_PREVIEW_CAPTURES = 16;


const u64At = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0);

/** Stripped blocks of one session, matched with PREVIEW frames. */
export class PreviewTracker {
  private readonly waiting = new Map<string, Map<number, BlockMessage>>();

  /** Only assigns. */
  constructor(private readonly core: ReceiverCore) {}

  /** Keeps a stripped BLOCK (its header already passed the header stage) until its PREVIEW. */
  stripped(msg: BlockMessage): void {
    const key = toHex(sha256(msg.header));
    let blocks = this.waiting.get(key);
    if (!blocks) {
      if (this.waiting.size >= MAX_PREVIEW_CAPTURES) this.waiting.delete(this.waiting.keys().next().value!);
      this.waiting.set(key, (blocks = new Map()));
    }
    if (msg.index >= 1 && msg.index <= 256) blocks.set(msg.index, msg);
  }

  /**
   * Checks a PREVIEW against the stripped blocks of its capture; null when none were seen here.
   * @throws TransportError MSG_* for a malformed PREVIEW (a protocol violation of the session)
   */
  async preview(frame: Frame): Promise<PreviewEvent | null> {
    const p = decodePreview(frame);
    const key = toHex(p.headerDigest);
    const blocks = this.waiting.get(key);
    if (!blocks) return null;
    this.waiting.delete(key);
    return this.core.exclusive(() => Promise.resolve(this.judge(p, key, [...blocks.values()].sort((a, b) => a.index - b.index))));
  }

  private judge(p: PreviewMessage, digestHex: string, blocks: BlockMessage[]): PreviewEvent {
    const h = blocks[0]!.header;
    const c = (h[HEADER_OFFSETS.c]! << 8) | h[HEADER_OFFSETS.c + 1]!;
    const devAddr = h.subarray(HEADER_OFFSETS.deviceAddr, HEADER_OFFSETS.deviceAddr + 20);
    const base = {
      deviceAddr: toHex(devAddr), seq: u64At(h, HEADER_OFFSETS.seq), headerDigest: digestHex, c,
      captureLen: u64At(h, HEADER_OFFSETS.captureLen), blockHashes: p.blockHashes.map(toHex),
    };
    const reject = (reason: string): PreviewEvent => ({ ...base, verdict: 'rejected', reason });
    const pin = this.core.opts.expectedDevice;
    if (pin !== undefined && !equalBytes(pin, devAddr)) return reject('DEVICE_PIN_MISMATCH');
    if (this.core.registry.device(base.deviceAddr) === undefined) return reject('DEVICE_UNREGISTERED');
    const cycle = this.core.registry.cycle(base.deviceAddr, toHex(h.subarray(HEADER_OFFSETS.keyId, HEADER_OFFSETS.keyId + 32)));
    if (cycle === undefined) return reject('KEYID_UNREGISTERED');
    const reg = { devicePublicKey: cycle.devicePublicKey, suite: cycle.suite };
    const ctx = { ...reg, fsPublicKey: cycle.fsKey };
    const v = verifyHeader(ctx, h, blocks[0]!.headerSignature);
    if (!v.ok) return reject(v.reason);
    if (v.header.header.ts < cycle.validFrom) return reject('BLOCK_BACKDATED');
    if (p.blockHashes.length !== v.header.header.c) return reject('PREVIEW_BLOCK_COUNT');
    if (blocks.length !== v.header.header.c) return reject('PREVIEW_INCOMPLETE');
    if (blocks.some((b) => !equalBytes(b.headerSignature, blocks[0]!.headerSignature))) return reject('ECDSA_BAD_SIGNATURE');
    const layout = checkBlockLayout(v.header.header, blocks.map((b) => ({ i: b.index, off: b.off, len: b.len })));
    if (layout !== null) return reject(layout);
    for (const b of blocks) {
      const r = verifyBlockWithHeader(ctx, v.header, { i: b.index, off: b.off, len: b.len, proof: b.proof, fsSignature: b.fsSignature, blockHash: p.blockHashes[b.index - 1]! });
      if (r !== null) return reject(r);
    }
    const t = p.thumbnail;
    if (!t) return { ...base, verdict: 'verified' };
    const signed = t.signature !== undefined && thumbnailSignatureValid(reg.suite, reg.devicePublicKey, p);
    if (t.signature !== undefined && !signed) {
      this.core.count(this.core.stats.previews, 'THUMBNAIL_SIGNATURE');
      return { ...base, verdict: 'verified', thumbnailRejected: 'THUMBNAIL_SIGNATURE' };
    }
    return { ...base, verdict: 'verified', thumbnail: { width: t.width, height: t.height, jpeg: Uint8Array.from(t.jpeg), signed } };
  }
}
