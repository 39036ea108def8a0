/**
 * Handling of one BLOCK message (docs/RECEIVER.md "Blocks"; the session checked
 * that the header's device is the HELLO's, and that one the pinned device): registered device
 * and key cycle, §6 verification (header stage once per capture), duplicate
 * and conflict checks, bounds, the whole-capture checks when the block
 * completes its capture, then the durable store. The caller sends the signed
 * ACK and then runs `after` (capture completion) — a block is acknowledged
 * STORED only once it is on disk.
 */
import { sha256 } from '../crypto/hash.js';
import { verifyBlockWithHeader, verifyHeader, type DstpVerifyContext, type VerifiedHeader } from '../dstp/verify.js';
import { HEADER_OFFSETS } from '../dstp/header.js';
import { toHex } from '../platform/bytes.js';
import { AckStatus, type BlockMessage } from '../transport/messages.js';
import { assembleCapture } from './assemble.js';
import type { ReceiverCore } from './core.js';
import { captureState, lookupCapture, type CaptureState, type DeviceState } from './device-state.js';
import type { RejectReason } from './errors.js';
import type { StoredBlock } from './store/codec.js';

/** What to acknowledge, and what to do once the ACK is sent. */
export interface BlockOutcome {
  readonly status: AckStatus;
  readonly reason: RejectReason | '';
  readonly deviceAddr: Uint8Array;
  readonly headerDigest: Uint8Array;
  readonly seq: bigint;
  readonly index: number;
  readonly after?: () => Promise<void>;
}

function readU64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0);
}

/**
 * Judges and (when valid and new) stores one block. Never throws for hostile
 * message contents; disk errors become RETRY_LATER / STORE_IO.
 */
export async function handleBlock(core: ReceiverCore, msg: BlockMessage): Promise<BlockOutcome> {
  const h = msg.header;
  const digest = sha256(h);
  const seq = readU64(h, HEADER_OFFSETS.seq);
  const devAddr = h.slice(HEADER_OFFSETS.deviceAddr, HEADER_OFFSETS.deviceAddr + 20);
  const dev = toHex(devAddr);
  const out = (status: AckStatus, reason: RejectReason | '', after?: () => Promise<void>): BlockOutcome =>
    ({ status, reason, deviceAddr: devAddr, headerDigest: digest, seq, index: msg.index, ...(after ? { after } : {}) });
  if (core.registry.device(dev) === undefined) return out(AckStatus.NOT_REGISTERED, 'DEVICE_UNREGISTERED');
  const cycle = core.registry.cycle(dev, toHex(h.subarray(HEADER_OFFSETS.keyId, HEADER_OFFSETS.keyId + 32)));
  if (cycle === undefined) return out(AckStatus.NOT_REGISTERED, 'KEYID_UNREGISTERED');
  const ctx: DstpVerifyContext = { devicePublicKey: cycle.devicePublicKey, suite: cycle.suite, fsPublicKey: cycle.fsKey };
  const ds = await core.device(dev);
  const now = core.opts.clock.now();
  try {
    await core.sweep(ds);
    let cs = await lookupCapture(core.store, ds, seq, now);
    let vh: VerifiedHeader;
    if (cs !== undefined && cs.digestHex === toHex(digest)) {
      vh = cs.vh;
    } else {
      const v = verifyHeader(ctx, h, msg.headerSignature);
      if (!v.ok) return out(AckStatus.REJECTED, v.reason);
      if (v.header.header.ts < cycle.validFrom) return out(AckStatus.REJECTED, 'BLOCK_BACKDATED');
      if (cs !== undefined) {
        core.chainEvents(ds, [{ type: 'fork', seq, otherSeq: cs.seq, prev: toHex(v.header.header.prevHeaderDigest) }]);
        return out(AckStatus.REJECTED, 'SEQ_CONFLICT');
      }
      vh = v.header;
    }
    if (msg.data.length === 0) return out(AckStatus.RETRY_LATER, 'DATA_REQUIRED');
    const block: StoredBlock = { i: msg.index, off: msg.off, len: msg.len, proof: msg.proof, fsSignature: msg.fsSignature, data: msg.data };
    const r = verifyBlockWithHeader(ctx, vh, { ...block, blockHash: sha256(msg.data) });
    if (r !== null) return out(AckStatus.REJECTED, r);
    if (cs?.phase === 'invalid') return out(AckStatus.REJECTED, 'CAPTURE_INVALID');
    if (cs !== undefined && cs.held.has(msg.index)) {
      core.stats.blocksDuplicate++;
      return out(AckStatus.DUPLICATE, '');
    }
    if (msg.len > core.opts.maxPendingBytes) return out(AckStatus.REJECTED, 'PENDING_LIMIT');
    if (cs?.phase === 'evicted') {
      await limitPending(core, ds);
      await core.store.removeMarker(dev, seq, 'evicted');
      ds.revive(cs, now);
    }
    if (cs === undefined) cs = await newCapture(core, ds, seq, vh, msg.headerSignature);
    if (!(await makeRoom(core, ds, cs, msg.len))) return out(AckStatus.RETRY_LATER, 'PENDING_LIMIT');
    let assembled: Uint8Array | null = null;
    if (cs.held.size + 1 === vh.header.c) {
      const a = assembleCapture(vh.header, [...(await core.store.readBlocks(dev, seq)).filter((b) => b.i !== block.i), block]);
      if (!a.ok) {
        await core.invalidate(ds, cs, a.reason);
        return out(AckStatus.REJECTED, a.reason);
      }
      assembled = a.bytes;
    }
    await core.store.putBlock(dev, seq, block);
    ds.addBlock(cs, block.i, block.len, now);
    core.stats.blocksStored++;
    const done = cs;
    return out(AckStatus.STORED, '', assembled === null ? undefined : () => core.complete(ds, done, assembled));
  } catch (e) {
    if ((e as { code?: string }).code === 'RECEIVER_STORE' || (e instanceof Error && 'errno' in e)) {
      core.opts.logger.error({ dev, seq: seq.toString(), err: (e as Error).message }, 'store failure');
      return out(AckStatus.RETRY_LATER, 'STORE_IO');
    }
    throw e;
  }
}

/** Starts a capture: evicts the oldest pending ones beyond the bound, stores the header, observes the chain. */
async function newCapture(core: ReceiverCore, ds: DeviceState, seq: bigint, vh: VerifiedHeader, signature: Uint8Array): Promise<CaptureState> {
  await limitPending(core, ds);
  await core.store.putHeader(ds.addrHex, seq, vh.bytes, signature);
  const cs = captureState(seq, vh.bytes, Uint8Array.from(signature), 'pending', core.opts.clock.now(), vh.header);
  ds.remember(cs);
  core.chainEvents(ds, ds.tracker.observe(vh.digest, seq, vh.header.prevHeaderDigest));
  return cs;
}

/** Evicts the oldest pending captures until one more fits under maxPendingCaptures. */
async function limitPending(core: ReceiverCore, ds: DeviceState): Promise<void> {
  for (let p = ds.pending(); p.length >= core.opts.maxPendingCaptures; p = ds.pending()) await core.evict(ds, p[0]!, 'captures');
}

/** Evicts other pending captures, oldest first, until `len` more bytes fit; false if they cannot. */
async function makeRoom(core: ReceiverCore, ds: DeviceState, cs: CaptureState, len: number): Promise<boolean> {
  while (ds.pendingBytes + len > core.opts.maxPendingBytes) {
    const victim = ds.pending().find((p) => p !== cs);
    if (victim === undefined) return false;
    await core.evict(ds, victim, 'bytes');
  }
  return true;
}
